"""Training: assistant-only label masking and LoRA backends."""

from __future__ import annotations

from typing import Any


def make_backend(name: str) -> Any:
    """The training function of a backend, imported lazily."""
    if name == "peft":
        from weirdgen.train.peft_backend import train

        return train
    raise ValueError(f"unknown training backend {name!r}")
