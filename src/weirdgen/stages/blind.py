"""``weirdgen blind-sheet`` / ``blind-score``: blind hand labels of judged generations (weirdgen.judge.blind)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Sequence

from weirdgen import tables
from weirdgen.errors import UserError
from weirdgen.jsonl import read_jsonl, write_text
from weirdgen.judge import blind
from weirdgen.provenance import write_sidecar

log = logging.getLogger("weirdgen")
NEEDS = {"sheet": ("per_model", "set", "condition", "seed"), "score": ("n_boot", "ci", "seed")}
EXAMPLE = {"sheet": '{"per_model": 10, "set": "probes", "condition": "nosys_trigger", "seed": 1}',
           "score": '{"n_boot": 10000, "ci": 0.95, "seed": 0}'}


def _check(kind: str, p: dict[str, Any]) -> None:
    missing = [k for k in NEEDS[kind] if k not in p]
    if missing:
        raise UserError(f"blind-{kind} --params lacks {', '.join(missing)} (e.g. --params '{EXAMPLE[kind]}')")


def sheet(params: dict[str, Any], *, labels: Sequence[str], questions: str, out: str) -> None:
    """Write the sheet ``out`` (CSV: index, question, answer, persona) and its key ``<out>.key.json``."""
    p = params
    _check("sheet", p)
    qs = {q["id"]: q["question"] for q in read_jsonl(questions)}
    items = blind.draw(labels, qs, p["per_model"], p["set"], p["condition"], p["seed"])
    blind.write_sheet(items, out)
    key = Path(str(out) + ".key.json")
    write_text(key, json.dumps({"params": p, "items": items}, indent=1))
    write_sidecar(out, "blind-sheet", p, [*labels, questions], n_items=len(items))
    log.info("%d answers in %s; fill its 'persona' column with 1 or 0 without opening %s", len(items), out, key.name)


def score(params: dict[str, Any], *, sheet: str, out: str) -> None:
    """Score a filled sheet against its key (``<sheet>.key.json``): ``out`` CSV and its Markdown twin."""
    import polars as pl

    p = params
    _check("score", p)
    kp = Path(str(sheet) + ".key.json")
    if not kp.exists():
        raise UserError(f"{sheet}: its key {kp} is missing (blind-sheet writes it beside the sheet)")
    key = json.loads(kp.read_text())
    rows = blind.score(key["items"], blind.read_sheet(sheet), p["n_boot"], p["ci"], p["seed"])
    tables.write(pl.DataFrame(rows, infer_schema_length=None), out)
    write_sidecar(out, "blind-score", {**p, "sheet_params": key["params"]}, [sheet, str(sheet) + ".key.json"])
