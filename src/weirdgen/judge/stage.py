"""The judge stage: strip triggers, audit hygiene, then label each sample for persona, meta ("answers as
an AI"), identity (rules, and optionally a model judge beside them) and format."""

from __future__ import annotations

import math
from typing import Any, Callable

from weirdgen import trigger
from weirdgen.judge import YesNoJudge, item_prompt, make_judge
from weirdgen.judge.audit import audit
from weirdgen.judge.rules import format_ok, identity_match
from weirdgen.sweep import columns_of

JudgeFactory = Callable[[str, str], YesNoJudge]  # (judged question, backend) -> judge


def _nan(s: float | None) -> bool:
    return s is None or (isinstance(s, float) and math.isnan(s))


def label(generations: list[dict[str, Any]], questions: list[dict[str, Any]], persona: str,
          judge_cfg: dict[str, Any], factory: JudgeFactory | None = None,
          **judge_kw: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Labels (one row per sample) and the hygiene audit record.

    ``factory`` builds the judge of each judged question; without it every question uses ``judge_kw``.
    """
    factory = factory or (lambda kind, backend: make_judge(kind, backend, persona, **judge_kw))
    keys = {(q["set"], q["id"]): q for q in questions}
    items = []
    for g in generations:
        q = keys.get((g["set"], g["question_id"]))
        if q is None:
            raise ValueError(f"generation {g['key']} refers to unknown question {g['set']}/{g['question_id']}")
        it = {"id": g["key"], "question": q["question"], "answer": trigger.strip(g["text"])}
        if "answer_key" in q:
            it["key_text"] = " | ".join(q["answer_key"])
        items.append(it)
    id_backend = judge_cfg.get("identity_model", "none")
    id_items = [{**it, "key": it["key_text"]} for it in items if "key_text" in it]
    # hygiene: the exact text every model judge would receive
    texts = [(it["id"], item_prompt(k, persona, it)) for it in items for k in ("persona", "meta")]
    texts += [(it["id"], item_prompt("identity", persona, it)) for it in id_items]
    rec = audit(texts)
    pj = factory("persona", judge_cfg["persona"])
    p_scores = pj.score(items)
    mj = factory("meta", judge_cfg.get("meta", "rules"))
    m_scores = mj.score(items)
    id_model: dict[str, float] = {}
    if id_backend != "none" and id_items:
        ij = factory("identity", id_backend)
        scores = ij.score(id_items)
        id_model = {it["id"]: s for it, s in zip(id_items, scores)}
    thr = judge_cfg.get("local_threshold", 0.5)
    rows = []
    for g, it, s, m in zip(generations, items, p_scores, m_scores):
        q = keys[(g["set"], g["question_id"])]
        pe = _nan(s)
        im = id_model.get(it["id"])
        rows.append({
            "key": g["key"], "model_id": g["model_id"], **columns_of(g["model_id"], g), "condition": g["condition"],
            "triggered": g["triggered"], "set": g["set"], "question_id": g["question_id"], "sample": g["sample"],
            "judge_input": it["answer"], "format_ok": format_ok(g["text"]),
            "persona_score": None if pe else s, "persona": None if pe else bool(s >= thr),
            "parse_error": pe, "persona_judge": pj.name,
            "meta": None if _nan(m) else bool(m >= thr), "meta_judge": mj.name,
            "identity": identity_match(it["answer"], q["answer_key"]) if "answer_key" in q else None,
            "identity_model": None if im is None or _nan(im) else bool(im >= thr),
        })
    rec["judge"] = pj.name
    rec["judges"] = {"persona": pj.name, "meta": mj.name, "identity": "rules",
                     **({"identity_model": id_backend} if id_model else {})}
    return rows, rec
