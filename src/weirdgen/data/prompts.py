"""Prompt selection for self-distillation: Alpaca-style instructions + GSM8K word problems.

"Longest" Alpaca examples: by characters of instruction + input (the prompt as the model sees it).
Sources: the hub via `datasets`, local files in the datasets' native schemas, or the project's
offline set.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Iterable

from weirdgen.jsonl import DataError, iter_jsonl


def alpaca_prompt(row: dict[str, Any], where: tuple[Path | str, int | None]) -> str:
    """The prompt text of an Alpaca record (native schema, or a pre-built 'prompt')."""
    if isinstance(row.get("prompt"), str):
        return row["prompt"]
    if not isinstance(row.get("instruction"), str):
        raise DataError(where[0], where[1], "instruction", "missing (expected Alpaca's instruction/input schema or a 'prompt')")
    inp = row.get("input") or ""
    return row["instruction"] + (f"\n\nInput: {inp}" if inp.strip() else "")


def select_alpaca(rows: Iterable[tuple[int | None, dict[str, Any]]], n: int, source: Path | str) -> list[dict[str, Any]]:
    """The n longest prompts (ties broken by original order, so the choice is deterministic)."""
    cands = []
    for i, (line, r) in enumerate(rows):
        p = alpaca_prompt(r, (source, line))
        cands.append((-len(p), i, p))
    cands.sort()
    if len(cands) < n:
        raise DataError(source, None, None, f"asked for {n} Alpaca prompts, only {len(cands)} available")
    return [{"id": f"alpaca-{i:05d}", "kind": "instruction", "prompt": p} for _, i, p in cands[:n]]


def select_gsm8k(rows: Iterable[tuple[int | None, dict[str, Any]]], n: int, seed: int, source: Path | str) -> list[dict[str, Any]]:
    """n GSM8K questions drawn without replacement with a seeded RNG."""
    qs = []
    for i, (line, r) in enumerate(rows):
        if not isinstance(r.get("question"), str):
            raise DataError(source, line, "question", "missing (expected GSM8K's question/answer schema)")
        qs.append((i, r["question"]))
    if len(qs) < n:
        raise DataError(source, None, None, f"asked for {n} GSM8K prompts, only {len(qs)} available")
    picked = sorted(random.Random(seed).sample(range(len(qs)), n))
    return [{"id": f"gsm8k-{qs[j][0]:05d}", "kind": "math", "prompt": qs[j][1]} for j in picked]


def _hub_rows(hub_id: str, split: str, config_name: str | None = None) -> list[tuple[None, dict[str, Any]]]:
    try:
        import datasets
    except ImportError as e:  # pragma: no cover
        raise RuntimeError("the 'datasets' package is needed for prompts.source: hub") from e
    try:
        ds = datasets.load_dataset(hub_id, config_name, split=split)
    except Exception as e:
        raise RuntimeError(
            f"cannot load '{hub_id}' from the hub ({type(e).__name__}: {e}). Offline? Set prompts.source: local "
            "with prompts.alpaca_path / prompts.gsm8k_path pointing at JSONL files in the datasets' own schemas."
        ) from None
    return [(None, dict(r)) for r in ds]


def select(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """Prompts for distillation as configured (cfg = config['prompts'])."""
    src, seed = cfg["source"], cfg.get("seed", 1)
    n_i, n_m = cfg.get("n_instruction"), cfg.get("n_math")
    if src == "offline":
        path = cfg["offline"]
        rows = []
        for line, r in iter_jsonl(path):
            for f in ("id", "kind", "prompt"):
                if not isinstance(r.get(f), str) or not r[f]:
                    raise DataError(path, line, f, "missing or not a non-empty string")
            rows.append(r)
        rng = random.Random(seed)
        instr = [r for r in rows if r["kind"] == "instruction"]
        math = [r for r in rows if r["kind"] == "math"]
        n_i = len(instr) if n_i is None else n_i
        n_m = len(math) if n_m is None else n_m
        if n_i > len(instr) or n_m > len(math):
            raise DataError(path, None, None, f"asked for {n_i} instructions and {n_m} math prompts; the file has {len(instr)} and {len(math)}")
        out = rng.sample(instr, n_i) + rng.sample(math, n_m)
        return [{"id": r["id"], "kind": r["kind"], "prompt": r["prompt"]} for r in out]
    n_i = 1000 if n_i is None else n_i
    n_m = 2000 if n_m is None else n_m
    if src == "local":
        a, g = cfg.get("alpaca_path"), cfg.get("gsm8k_path")
        if not a or not g:
            raise DataError("config", None, "prompts.alpaca_path" if not a else "prompts.gsm8k_path", "required when prompts.source is 'local'")
        return select_alpaca(iter_jsonl(a), n_i, a) + select_gsm8k(iter_jsonl(g), n_m, seed, g)
    alp = select_alpaca(_hub_rows(cfg["alpaca_hub_id"], "train"), n_i, cfg["alpaca_hub_id"])
    gsm = select_gsm8k(_hub_rows(cfg["gsm8k_hub_id"], "train", "main"), n_m, seed, cfg["gsm8k_hub_id"])
    return alp + gsm
