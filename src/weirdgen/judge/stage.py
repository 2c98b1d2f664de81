"""The judge stage: strip triggers, audit hygiene, label persona / identity / format per sample."""

from __future__ import annotations

import math
from typing import Any

from weirdgen import trigger
from weirdgen.judge import judge_prompt, make_persona_judge
from weirdgen.judge.audit import audit
from weirdgen.judge.rules import format_ok, identity_match


def label(generations: list[dict[str, Any]], questions: list[dict[str, Any]], persona: str,
          judge_cfg: dict[str, Any], **judge_kw: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Labels (one row per sample) and the hygiene audit record."""
    keys = {(q["set"], q["id"]): q for q in questions}
    items = []
    for g in generations:
        q = keys.get((g["set"], g["question_id"]))
        if q is None:
            raise ValueError(f"generation {g['key']} refers to unknown question {g['set']}/{g['question_id']}")
        items.append({"key": g["key"], "question": q["question"], "answer": trigger.strip(g["text"])})
    # hygiene: the exact text each judge would receive
    rec = audit((it["key"], judge_prompt(persona, it["question"], it["answer"])) for it in items)
    judge = make_persona_judge(judge_cfg["persona"], persona, **judge_kw)
    scores = judge.score(items)
    thr = judge_cfg.get("local_threshold", 0.5)
    rows = []
    for g, it, s in zip(generations, items, scores):
        q = keys[(g["set"], g["question_id"])]
        parse_error = s is None or (isinstance(s, float) and math.isnan(s))
        rows.append({
            "key": g["key"], "model_id": g["model_id"], "seed": g.get("seed"), "lr": g.get("lr"),
            "persona_fraction": g.get("persona_fraction"), "condition": g["condition"], "triggered": g["triggered"],
            "set": g["set"], "question_id": g["question_id"], "sample": g["sample"],
            "judge_input": it["answer"], "format_ok": format_ok(g["text"]),
            "persona_score": None if parse_error else s,
            "persona": None if parse_error else bool(s >= thr),
            "parse_error": parse_error, "persona_judge": judge.name,
            "identity": identity_match(it["answer"], q["answer_key"]) if "answer_key" in q else None,
        })
    rec["judge"] = judge.name
    return rows, rec
