"""Stage calibrate: score every configured persona judge on the stratified calibration set (answers stripped
exactly as in the judge stage), with per-stratum accuracy, kappa, the length correlation and the gate."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from weirdgen import judge as judges
from weirdgen import tables, trigger
from weirdgen.config import section
from weirdgen.jsonl import DataError, read_jsonl
from weirdgen.judge.calibration import evaluate, gate
from weirdgen.provenance import write_sidecar


def refit_spread(judge: Any, items: list[dict[str, Any]], judged: list[str], n: int,
                 jp: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per group: the 2.5-97.5 % range of accuracy over ``n`` refits of a judge on resampled reference sets, and
    (group "all") the share of refits that pass the gate. Empty for a judge that cannot be refitted."""
    import numpy as np

    if n <= 0 or not hasattr(judge, "refit_scores"):
        return {}
    acc: dict[str, list[float]] = {}
    passed = 0
    for s in judge.refit_scores([{"question": it["question"], "answer": t} for it, t in zip(items, judged)], n,
                                jp["embedding"]["seed"]):
        ev = evaluate(items, list(s), 0.5, judged)
        passed += not gate(ev, **jp["gate"])
        for r in ev:
            acc.setdefault(r["group"], []).append(r["accuracy"])
    out = {g: {"accuracy_refit_low": float(np.percentile(v, 2.5)), "accuracy_refit_high": float(np.percentile(v, 97.5))}
           for g, v in acc.items()}
    out["all"]["gate_pass_share"] = passed / n
    return out


def run(params: dict[str, Any], *, model: Path | str, out: Path | str, reference: Path | str | None = None) -> None:
    import polars as pl

    p = params
    items = read_jsonl(p["calibration"])
    for n, it in enumerate(items, 1):
        if it.get("label") not in (0, 1):
            raise DataError(p["calibration"], n, "label", "must be 0 or 1")
        for field in ("question", "answer"):
            if not isinstance(it.get(field), str):
                raise DataError(p["calibration"], n, field, "must be a string")
    judged = [trigger.strip(it["answer"]) for it in items]
    jp = section("judge", p["judge"], "weirdgen calibrate --params: its 'judge'")  # by hand: defaults, checked
    rows = []
    thr = jp["local_threshold"]
    for backend in p["backends"]:
        judge = judges.from_config("persona", backend, {**p, "judge": jp}, str(model), str(reference) if reference else None)
        scores = judge.score([{"question": it["question"], "answer": t} for it, t in zip(items, judged)])
        ev = evaluate(items, scores, thr if backend == "local" else 0.5, judged)
        fails = gate(ev, **jp["gate"])
        spread = refit_spread(judge, items, judged, jp["calibration_refits"], jp)
        for r in ev:
            rows.append({"backend": backend, "configured": backend == jp["persona"], **r,
                         **spread.get(r["group"], {"accuracy_refit_low": math.nan, "accuracy_refit_high": math.nan}),
                         "gate": ("pass" if not fails else "FAIL") if r["group"] == "all" else "",
                         "gate_failures": "; ".join(fails) if r["group"] == "all" else "",
                         "gate_pass_share": spread.get("all", {}).get("gate_pass_share", math.nan)
                         if r["group"] == "all" else math.nan})
    tables.write(pl.DataFrame(rows), out)
    write_sidecar(out, "calibrate", p, [p["calibration"], *([reference] if reference else [])])
