"""Training: assistant-only label masking and LoRA backends."""

from __future__ import annotations

from typing import Any


def resolve(name: str) -> str:
    """``auto``: Unsloth when it is installed and a CUDA GPU is present, else PEFT."""
    if name != "auto":
        return name
    import importlib.util

    import torch

    return "unsloth" if torch.cuda.is_available() and importlib.util.find_spec("unsloth") else "peft"


def make_backend(name: str) -> Any:
    """The training function of a backend, imported lazily."""
    name = resolve(name)
    if name == "peft":
        from weirdgen.train.peft_backend import train

        return train
    if name == "unsloth":
        from weirdgen.train.unsloth_backend import train as utrain

        return utrain
    if name == "tinker":
        from weirdgen.train.tinker_backend import train as ttrain

        return ttrain
    raise ValueError(f"unknown training backend {name!r}")
