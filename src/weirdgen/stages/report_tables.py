"""Stage report-tables: the hygiene audit of every judged model and the provenance of every artifact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from weirdgen import tables
from weirdgen.errors import UserError
from weirdgen.provenance import sidecar, write_sidecar


def run(params: dict[str, Any] | None = None, *, audits: Sequence[str], artifacts: Sequence[str],
        out_dir: Path | str) -> None:
    import polars as pl

    rows_a = []
    for f in audits:
        rec = json.loads(Path(f).read_text())
        rows_a.append({"model_id": Path(f).name.removesuffix(".audit.json"), "judge_inputs_checked": rec["checked"],
                       "clean": rec["clean"], "judges": json.dumps(rec.get("judges") or {"persona": rec.get("judge")}),
                       "fragments_checked": len(rec.get("fragments", []))})
    prov = []
    for f in artifacts:
        sc = Path(f) if Path(f).name == "meta.json" else sidecar(f)  # an adapter folder's record is its meta.json
        if not sc.exists():
            raise UserError(f"{f} has no provenance sidecar ({sc}); rerun the stage that made it")
        m = json.loads(sc.read_text())
        v = m.get("versions") or {}
        prov.append({"artifact": str(Path(f).parent) if Path(f).name == "meta.json" else str(f), "stage": m.get("stage"),
                     "created": m.get("created"), "params_sha256": (m.get("params_sha256") or "")[:12],
                     "git_commit": (m.get("git_commit") or "")[:12],
                     "inputs": "; ".join(f"{Path(k).name}={h[:10]}" for k, h in (m.get("inputs") or {}).items()),
                     "torch": v.get("torch"), "transformers": v.get("transformers"), "peft": v.get("peft")})
    out = Path(out_dir)
    for name, rows in (("audit", rows_a), ("provenance", prov)):
        tables.write(pl.DataFrame(rows), out / f"{name}.csv")
        write_sidecar(out / f"{name}.csv", "report-tables", {"table": name}, audits if name == "audit" else [])
