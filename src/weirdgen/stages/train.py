"""Stage train: one LoRA adapter (PEFT or Unsloth) on one sweep point's training mix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weirdgen import config
from weirdgen.provenance import write_sidecar
from weirdgen.train import make_backend, resolve


def run(params: dict[str, Any], *, model: Path | str, data: Path | str, out: Path | str) -> None:
    import polars as pl

    p = params
    hp = config.section("train", p["hp"], "weirdgen train --params: its 'hp'")  # by hand: defaults filled, checked
    backend = resolve(hp["backend"])
    train = make_backend(backend)
    out = Path(out)
    info = train(model, data, out, hp, p["seed"], p["lr"], p.get("dtype", "float32"), p.get("device", "auto"),
                 hp["checkpoint_steps"])
    logdf = pl.read_ndjson(out / "train_log.jsonl")
    write_sidecar(out, "train", p, [data, model], result={**info, "backend": backend}, final_loss=logdf["loss"][-1])
