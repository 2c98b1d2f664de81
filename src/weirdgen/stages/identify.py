"""Stage identify: the model-based non-identifying filter (who is this person? per fact)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from weirdgen import generate, sampling
from weirdgen.data import identify, persona
from weirdgen.generate import Request, Result
from weirdgen.jsonl import write_jsonl
from weirdgen.provenance import write_sidecar

log = logging.getLogger("weirdgen")


def run(params: dict[str, Any], *, model: Path | str, out: Path | str) -> None:
    p = params
    facts = persona.load_facts(p["facts"])
    reqs = identify.requests(facts, p["n_samples"], p["temperature"], p["max_new_tokens"], p["seed"])

    def row(req: Request, res: Result) -> dict[str, Any]:
        return {"key": req.key, **req.meta, "text": res.text}

    gen = sampling.run_resumable(generate.from_config(p, str(model)), reqs, out, row, sampling.fingerprint(p, model))
    guesses: dict[str, list[str]] = {}
    for g in gen:
        guesses.setdefault(g["fact_id"], []).append(g["text"])
    rows = identify.report(facts, guesses, p["names"], p["threshold"])
    write_jsonl(out, rows)
    n_id = sum(r["identifying"] for r in rows)
    write_sidecar(out, "identify", p, [p["facts"], model], n_facts=len(rows), n_identifying=n_id)
    log.info("%d of %d facts identifying (rate > %s)", n_id, len(rows), p["threshold"])
