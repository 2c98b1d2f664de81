"""Stage calibrate: score every configured persona judge on the stratified calibration set (answers stripped
exactly as in the judge stage), with per-stratum accuracy, kappa, the length correlation and the gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weirdgen import judge as judges
from weirdgen import tables, trigger
from weirdgen.jsonl import DataError, read_jsonl
from weirdgen.judge.calibration import evaluate, gate
from weirdgen.provenance import write_sidecar


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
    rows = []
    thr = p["judge"].get("local_threshold", 0.5)
    for backend in p["backends"]:
        judge = judges.from_config("persona", backend, p, str(model), str(reference) if reference else None)
        scores = judge.score([{"question": it["question"], "answer": t} for it, t in zip(items, judged)])
        ev = evaluate(items, scores, thr if backend == "local" else 0.5, judged)
        fails = gate(ev, **p["judge"]["gate"])
        for r in ev:
            rows.append({"backend": backend, "configured": backend == p["judge"]["persona"], **r,
                         "gate": ("pass" if not fails else "FAIL") if r["group"] == "all" else "",
                         "gate_failures": "; ".join(fails) if r["group"] == "all" else ""})
    tables.write(pl.DataFrame(rows), out)
    write_sidecar(out, "calibrate", p, [p["calibration"], *([reference] if reference else [])])
