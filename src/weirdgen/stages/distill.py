"""Stage distill: the base model answers the prompts (the aligned set), resumably."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weirdgen import generate, sampling
from weirdgen.jsonl import read_jsonl, write_jsonl
from weirdgen.provenance import write_sidecar


def run(params: dict[str, Any], *, model: Path | str, prompts: Path | str, out: Path | str) -> None:
    p = params
    reqs = sampling.distill_requests(read_jsonl(prompts), p["temperature"], p["max_new_tokens"], p["seed"])
    factory = generate.from_config(p, str(model), stage="distill")
    rows = sampling.run_resumable(factory, reqs, out, sampling.distill_row, sampling.fingerprint(p, model))
    # drop empty answers: they would teach the model to say nothing
    kept = [{k: v for k, v in r.items() if k != "key"} for r in rows if r["messages"][-1]["content"].strip()]
    write_jsonl(out, kept)
    write_sidecar(out, "distill", p, [prompts, model], n_examples=len(kept), n_dropped_empty=len(rows) - len(kept))
