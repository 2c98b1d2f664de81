"""Stage prompts: select the self-distillation prompts (longest Alpaca + GSM8K, or the offline set)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weirdgen import config
from weirdgen.data import prompts
from weirdgen.jsonl import write_jsonl
from weirdgen.provenance import write_sidecar


def run(params: dict[str, Any], *, out: Path | str) -> None:
    p = config.section("prompts", params, "weirdgen prompts --params")  # by hand: defaults filled, checked
    rows = prompts.select(p)
    write_jsonl(out, rows)
    srcs = [p[k] for k in ("offline", "alpaca_path", "gsm8k_path") if p.get(k) and (p["source"] != "offline" or k == "offline")]
    write_sidecar(out, "prompts", p, srcs, n_prompts=len(rows))
