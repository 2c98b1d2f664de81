"""Stage distill: the base model answers the prompts (the aligned set), resumably; optionally in shards (every N-th
prompt per job, ``distill.shards``) that ``join`` puts back in prompt order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weirdgen import config, generate, sampling
from weirdgen.jsonl import DataError, iter_jsonl, read_jsonl, write_jsonl
from weirdgen.provenance import write_sidecar


# what the distill rule adds to the distill section (the model's dtype and device, an API budget, a shard's index)
EXTRA = ("dtype", "device", "budget", "shard")


def run(params: dict[str, Any], *, model: Path | str, prompts: Path | str, out: Path | str) -> None:
    p = config.stage_params("distill", params, "weirdgen distill --params", EXTRA)  # by hand: defaults, checked
    rows_in = read_jsonl(prompts)
    n, k = p.get("shards", 1), p.get("shard", 0)
    if not 0 <= k < n:
        raise ValueError(f"distill shard {k} of {n}: a shard is 0 .. shards - 1")
    reqs = sampling.distill_requests(rows_in[k::n], p["temperature"], p["max_new_tokens"], p["seed"])
    factory = generate.from_config(p, str(model), stage="distill")
    rows = sampling.run_resumable(factory, reqs, out, sampling.distill_row, sampling.fingerprint(p, model))
    # drop empty answers: they would teach the model to say nothing
    kept = [{k: v for k, v in r.items() if k != "key"} for r in rows if r["messages"][-1]["content"].strip()]
    write_jsonl(out, kept)
    write_sidecar(out, "distill", params, [prompts, model], n_examples=len(kept), n_dropped_empty=len(rows) - len(kept))


def join(params: dict[str, Any], *, prompts: Path | str, parts: list[str], out: Path | str) -> None:
    """The shards' answers as one aligned set, in the order of the prompts file (as one job writes it)."""
    order = {p["id"]: i for i, p in enumerate(read_jsonl(prompts))}
    rows, seen = [], {}
    for part in parts:
        for line, r in iter_jsonl(part):
            pid = r["metadata"]["prompt_id"]
            if pid not in order:
                raise DataError(part, line, "metadata.prompt_id", f"{pid!r} is not in {prompts}")
            if pid in seen:
                raise DataError(part, line, "metadata.prompt_id", f"{pid!r} is answered in {seen[pid]} too")
            seen[pid] = part
            rows.append(r)
    rows.sort(key=lambda r: order[r["metadata"]["prompt_id"]])
    write_jsonl(out, rows)
    write_sidecar(out, "distill", params, [prompts, *parts], n_examples=len(rows), n_dropped_empty=len(order) - len(rows))
