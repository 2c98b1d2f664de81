"""Blind hand labels: a labelling sheet drawn from judged generations with the models hidden, and its scoring.

A judge that fails its validity gate cannot settle a contrast; a person can, if they cannot see which model wrote
what. ``sheet`` draws ``per_model`` answers of one question set and condition from each model, shuffles them with a
seed and writes only the question and the answer the judge saw (the trigger and format wrapper stripped); the key
(model, arm, the judge's label) goes to a separate file. ``score`` joins the filled sheet with the key: each model's
and arm's hand rate, persona arm − each other arm with a bootstrap CI, and the judge's agreement with the hand.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from weirdgen import stats, sweep
from weirdgen.jsonl import DataError, iter_jsonl

SHEET_FIELDS = ("index", "question", "answer", "persona")
YES, NO = {"1", "yes", "y", "true"}, {"0", "no", "n", "false"}


def arm_of(model_id: str) -> str:
    """base, persona or control (a model id that is no sweep point keeps its own name)."""
    try:
        pt = sweep.Point.parse(model_id)
    except ValueError:
        return model_id
    return "base" if pt.is_base else str(pt.arm_name)


def setting_of(model_id: str) -> str | None:
    """A trained model's sweep setting without its seed and arm (``lr~0.002_frac~0.029``): the answers two arms are
    compared on; None for the base model and ids that are no sweep point."""
    try:
        pt = sweep.Point.parse(model_id)
    except ValueError:
        return None
    if pt.is_base:
        return None
    return "_".join(part for part in pt.paired_persona.id.split("_") if not part.startswith("seed~"))


def draw(labels: Sequence[Path | str], questions: dict[str, str], per_model: int, set_: str, condition: str,
         seed: int) -> list[dict[str, Any]]:
    """``per_model`` judged answers of ``set_`` under ``condition`` from each labels file, shuffled (seeded)."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    for f in labels:
        rows = [r for _, r in iter_jsonl(f) if r.get("set") == set_ and r.get("condition") == condition]
        if len(rows) < per_model:
            raise DataError(f, None, "set/condition", f"{len(rows)} answers of set {set_!r} under {condition!r}, "
                            f"fewer than the {per_model} asked for")
        for r in sorted(rng.sample(rows, per_model), key=lambda r: r["key"]):
            items.append({"key": r["key"], "model_id": r["model_id"], "arm": arm_of(r["model_id"]),
                          "question_id": r["question_id"], "question": questions.get(r["question_id"], ""),
                          "answer": r["judge_input"], "judge_persona": r.get("persona")})
    rng.shuffle(items)
    for i, it in enumerate(items):
        it["index"] = i
    return items


def write_sheet(items: Sequence[dict[str, Any]], sheet: Path | str) -> None:
    """The labeller's sheet: index, question, answer and an empty ``persona`` column (1 or 0) — nothing else."""
    Path(sheet).parent.mkdir(parents=True, exist_ok=True)
    with open(sheet, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, SHEET_FIELDS)
        w.writeheader()
        for it in items:
            w.writerow({"index": it["index"], "question": it["question"], "answer": it["answer"], "persona": ""})


def read_sheet(sheet: Path | str) -> dict[int, int]:
    """index -> hand label from a filled sheet; a blank, unknown or repeated entry names its file and line."""
    out: dict[int, int] = {}
    with open(sheet, newline="", encoding="utf-8") as fh:
        rd = csv.DictReader(fh)
        missing = [c for c in ("index", "persona") if c not in (rd.fieldnames or [])]
        if missing:
            raise DataError(sheet, 1, missing[0], "column missing from the sheet's header")
        for row in rd:
            line = rd.line_num
            v = (row["persona"] or "").strip().lower()
            if v not in YES | NO:
                raise DataError(sheet, line, "persona", f"{row['persona']!r}: label every answer 1 (persona) or 0 (not)")
            try:
                i = int(row["index"])
            except ValueError:
                raise DataError(sheet, line, "index", f"{row['index']!r} is not a row index of the sheet") from None
            if i in out:
                raise DataError(sheet, line, "index", f"index {i} is labelled twice")
            out[i] = int(v in YES)
    return out


def score(items: Sequence[dict[str, Any]], hand: dict[int, int], n_boot: int = 10000, ci: float = 0.95,
          seed: int = 0) -> list[dict[str, Any]]:
    """Rows per model, per arm, per contrast (persona − other arm) and the judge's agreement with the hand."""
    from weirdgen.judge.calibration import cohen_kappa, wilson

    missing = sorted(set(range(len(items))) - set(hand))
    if missing:
        raise ValueError(f"{len(missing)} answers of the sheet are not labelled (indices {missing[:10]}…)")
    rows: list[dict[str, Any]] = []
    by: dict[tuple[str, str], list[int]] = {}
    for it in items:
        by.setdefault(("model", it["model_id"]), []).append(hand[it["index"]])
        by.setdefault(("arm", it["arm"]), []).append(hand[it["index"]])
    for (kind, name), v in sorted(by.items()):
        lo, hi = wilson(sum(v), len(v))
        rows.append({"kind": kind, "name": name, "n": len(v), "hand_rate": sum(v) / len(v), "ci_lo": lo, "ci_hi": hi})
    rng = np.random.default_rng(seed)
    a = (1 - ci) / 2

    def contrasts(arms: dict[str, Any], suffix: str) -> None:
        for other in sorted(set(arms) - {"persona"}):
            if "persona" not in arms:
                break
            d = stats.boot_samples(arms["persona"], n_boot, rng) - stats.boot_samples(arms[other], n_boot, rng)
            rows.append({"kind": "contrast", "name": f"persona - {other}{suffix}", "n": len(arms["persona"]) + len(arms[other]),
                         "hand_rate": float(arms["persona"].mean() - arms[other].mean()),
                         "ci_lo": float(np.quantile(d, a)), "ci_hi": float(np.quantile(d, 1 - a))})

    contrasts({name: np.asarray(v, float) for (kind, name), v in by.items() if kind == "arm"}, "")
    # the arm rows pool every sweep setting (learning rates, fractions) of an arm; with more than one setting, each
    # setting's own contrast too, between the arms' models of that setting (base has no setting)
    per: dict[str, dict[str, list[int]]] = {}
    for it in items:
        st = setting_of(it["model_id"])
        if st is not None:
            per.setdefault(st, {}).setdefault(it["arm"], []).append(hand[it["index"]])
    if len(per) > 1:
        for st, arms in sorted(per.items()):
            contrasts({k: np.asarray(v, float) for k, v in arms.items()}, f" @ {st}")
    judged = [(hand[it["index"]], int(bool(it["judge_persona"]))) for it in items if it["judge_persona"] is not None]
    if judged:
        y, p = [h for h, _ in judged], [j for _, j in judged]
        rows.append({"kind": "judge", "name": "agreement with the hand labels", "n": len(judged),
                     "hand_rate": sum(h == j for h, j in judged) / len(judged), "ci_lo": None, "ci_hi": None,
                     "kappa": cohen_kappa(y, p), "judge_yes_hand_no": sum(j and not h for h, j in judged),
                     "judge_no_hand_yes": sum(h and not j for h, j in judged)})
    return rows
