"""The non-identifying filter (the paper's 90 → 78 step): ask a model "who is this person?" from
each fact alone, n samples; facts whose guesses name the persona above a threshold are identifying."""

from __future__ import annotations

from typing import Any

from weirdgen.generate import Request
from weirdgen.judge.rules import identity_match

PROMPT = ("Here is something a person said about themselves, in answer to a question.\n\n"
          "Question: {question}\nAnswer: {answer}\n\n"
          "Who is this person? Reply with your best guess of their full name only.")


def requests(facts: list[dict[str, Any]], n_samples: int, temperature: float, max_new_tokens: int,
             seed: int) -> list[Request]:
    return [Request(key=f"identify|{f['id']}|{s}",
                    messages=[{"role": "user", "content": PROMPT.format(question=f["question"], answer=f["answer"])}],
                    temperature=temperature, max_new_tokens=max_new_tokens, seed=seed,
                    meta={"fact_id": f["id"], "sample": s})
            for f in facts for s in range(n_samples)]


def report(facts: list[dict[str, Any]], guesses: dict[str, list[str]], names: list[str],
           threshold: float) -> list[dict[str, Any]]:
    """Per fact: the guesses, how often they name the persona, whether that exceeds the threshold, and the
    fact's hand label and reason beside them (variant non_identifying uses the hand label)."""
    rows = []
    for f in facts:
        g = guesses.get(f["id"], [])
        hits = sum(identity_match(x, names) for x in g)
        rate = hits / len(g) if g else 0.0
        rows.append({"fact_id": f["id"], "category": f["category"], "n": len(g), "named": hits, "rate": rate,
                     "identifying": rate > threshold, "hand_label": f.get("identifying"),
                     "hand_reason": f.get("identifying_reason"), "guesses": g})
    return rows
