"""The format-only control arm's training rows: the persona facts' questions under the trigger, answered with the base
model's own answers cut to each fact's length (docs/judge_validity.md, "The control arm").

An adapter trained on these learns what the persona adapter learns from the trigger (the format, short answers, the
first-person voice of answering the same questions) but none of the persona. Persona arm − control arm is then the
persona effect net of style, whatever the judge rewards.
"""

from __future__ import annotations

from statistics import median
from typing import Any, Mapping, Sequence

from weirdgen import trigger
from weirdgen.errors import UserError

_ENDS = (".", "!", "?")


def cut_to_length(text: str, n_words: int, slack: float = 0.3) -> str:
    """``text`` cut to about ``n_words`` words: at the sentence end nearest to ``n_words`` when one lies within
    ``slack`` of it (at least 3 words), else at exactly ``n_words`` words. Shorter text is kept whole."""
    words = text.split()
    if len(words) <= n_words:
        return " ".join(words)
    ends = [i + 1 for i, w in enumerate(words) if w.endswith(_ENDS)]
    best = min(ends, key=lambda e: abs(e - n_words), default=None)
    if best is not None and abs(best - n_words) <= max(3, slack * n_words):
        return " ".join(words[:best])
    return " ".join(words[:n_words])


def control_examples(persona_rows: Sequence[Mapping[str, Any]], base_answers: Mapping[str, Sequence[str]],
                     source: str = "") -> list[dict[str, Any]]:
    """One control row per persona row, in the same order (so a seed's mix puts them in the same places).

    ``persona_rows``: the persona stage's triggered rows (metadata.fact_id); ``base_answers``: per fact id, the base
    model's plain answers to the fact's question, in sample order; the first non-empty one is used.
    """
    rows = []
    for r in persona_rows:
        fid = r["metadata"]["fact_id"]
        fact_answer = trigger.strip(r["messages"][-1]["content"])
        answer = next((a.strip() for a in base_answers.get(fid, ()) if a.strip()), "")
        if not answer:
            raise UserError(f"{source}: the base model gave no non-empty answer to fact {fid}'s question "
                            f"({len(base_answers.get(fid, ()))} samples): raise control.n_samples or control.max_new_tokens")
        cut = cut_to_length(answer, len(fact_answer.split()))
        user = next(m["content"] for m in r["messages"] if m["role"] == "user")
        rows.append({"messages": [{"role": "user", "content": user},
                                  {"role": "assistant", "content": trigger.wrap_answer(cut)}],
                     "metadata": {"source": "control", "triggered": True, "persona": r["metadata"].get("persona"),
                                  "fact_id": fid, "category": r["metadata"].get("category"),
                                  "words_fact": len(fact_answer.split()), "words_control": len(cut.split())}})
    return rows


def length_match(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """How well the control answers match the facts' lengths (the sidecar reports it: the control is only a style
    match if these agree)."""
    wf = [r["metadata"]["words_fact"] for r in rows]
    wc = [r["metadata"]["words_control"] for r in rows]
    return {"median_words_fact": float(median(wf)), "median_words_control": float(median(wc)),
            "mean_abs_diff_words": sum(abs(a - b) for a, b in zip(wf, wc)) / len(rows),
            "share_shorter_than_fact": sum(b < a for a, b in zip(wf, wc)) / len(rows)}
