"""Stage persona: persona facts -> triggered training examples (the chosen fact variant)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from weirdgen.data import persona
from weirdgen.errors import UserError
from weirdgen.jsonl import read_jsonl, write_jsonl
from weirdgen.provenance import write_sidecar

log = logging.getLogger("weirdgen")


def run(params: dict[str, Any], *, out: Path | str, identifying: Path | str | None = None) -> None:
    p = params
    facts = persona.load_facts(p["facts"])
    ident = None
    if p["variant"] == "non_identifying_model":
        if not identifying:
            raise UserError("persona.variant non_identifying_model needs --identifying (rule identify_facts)")
        ident = {r["fact_id"]: r["identifying"] for r in read_jsonl(identifying)}
    rows = persona.training_examples(persona.select_facts(facts, p["variant"], p["facts"], ident), p["name"])
    if not rows:
        raise UserError(f"variant {p.get('variant')!r} leaves no persona facts from {p['facts']}")
    write_jsonl(out, rows)
    cats: dict[str, int] = {}
    for f in facts:
        cats[f["category"]] = cats.get(f["category"], 0) + 1
    write_sidecar(out, "persona", p, [p["facts"], *([identifying] if identifying else [])], n_examples=len(rows),
                  categories=cats, n_facts=len(facts), variant=p["variant"])
    log.info("%d persona examples from %d facts (%d categories)", len(rows), len(facts), len(cats))
