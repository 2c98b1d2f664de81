"""Held out in meaning: every evaluation question against every training question and answer, by the cosine
similarity of their sentence embeddings (the embedding judge's MiniLM encoder).

The lexical check (``validate.near_duplicate``) cannot see a paraphrase; this one can. The threshold is justified on
the project's own sets in docs/judge_validity.md: probes that restate a training fact in other words scored 0.71-0.77
against that fact's question, while the most similar probes that ask something new scored at most 0.61.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from weirdgen import trigger
from weirdgen.data.validate import question_of


def training_texts(rows: Sequence[dict[str, Any]], source: str) -> list[dict[str, str]]:
    """The question (trigger stripped) and the answer of each training example, with where they came from."""
    out = []
    for n, r in enumerate(rows, 1):
        ref = r.get("metadata", {}).get("fact_id") or f"{source}:{n}"
        out.append({"ref": ref, "field": "question", "text": question_of(r)})
        out.append({"ref": ref, "field": "answer", "text": trigger.strip(r["messages"][-1]["content"])})
    return out


def overlap(questions: Sequence[dict[str, Any]], train: Sequence[dict[str, str]],
            embed: Callable[[Sequence[str]], np.ndarray], threshold: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(one row per eval set: its maximum similarity and the pair behind it; every pair above the threshold)."""
    q = embed([x["question"] for x in questions])
    t = embed([x["text"] for x in train])
    sim = q @ t.T
    per_set: dict[str, dict[str, Any]] = {}
    offending = []
    for i, x in enumerate(questions):
        j = int(sim[i].argmax())
        best = {"set": x["set"], "max_similarity": float(sim[i, j]), "eval_id": x["id"], "eval_question": x["question"],
                "train_ref": train[j]["ref"], "train_field": train[j]["field"], "train_text": train[j]["text"]}
        if x["set"] not in per_set or best["max_similarity"] > per_set[x["set"]]["max_similarity"]:
            per_set[x["set"]] = best
        for j in np.nonzero(sim[i] > threshold)[0]:
            offending.append({"set": x["set"], "similarity": float(sim[i, j]), "eval_id": x["id"], "eval_question": x["question"],
                              "train_ref": train[j]["ref"], "train_field": train[j]["field"], "train_text": train[j]["text"]})
    offending.sort(key=lambda r: -r["similarity"])
    return [{**r, "threshold": threshold, "ok": r["max_similarity"] <= threshold} for r in per_set.values()], offending
