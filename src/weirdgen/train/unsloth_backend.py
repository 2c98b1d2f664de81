"""Unsloth LoRA training (CUDA only): Unsloth's patched model and fused LoRA kernels, the same loop,
masking, schedule, guards and outputs as the PEFT backend. Optional: ``pip install 'weirdgen[unsloth]'``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from weirdgen import models
from weirdgen.train.peft_backend import TrainingError, check_cuda_graphs, compile_cache, sanity_check
from weirdgen.train.peft_backend import train as _train


def _import() -> Any:
    try:
        import unsloth  # noqa: F401  (must be imported before transformers to patch it)
        from unsloth import FastLanguageModel
    except ImportError as e:
        raise TrainingError("train.backend: unsloth needs Unsloth on a CUDA machine: pip install 'weirdgen[unsloth]' "
                            "(or set train.backend: peft)") from e
    except NotImplementedError as e:  # Unsloth raises this without a GPU
        raise TrainingError(f"train.backend: unsloth cannot run here: {e}") from e
    return FastLanguageModel


def unsloth_setup(model_dir: Path | str, hp: dict[str, Any], seed: int, dtype: str, device: str,
                  sanity: bool) -> tuple[Any, Any, str | None]:
    import torch

    FastLanguageModel = _import()
    model, tok = FastLanguageModel.from_pretrained(
        model_name=str(model_dir), max_seq_length=hp["max_seq_len"],
        dtype=getattr(torch, models.resolve_dtype(dtype, device)),
        load_in_4bit=hp.get("quantization", "none") == "4bit")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    reply = None
    if sanity:
        FastLanguageModel.for_inference(model)
        reply = sanity_check(model, tok)
        FastLanguageModel.for_training(model)
    model = FastLanguageModel.get_peft_model(
        model, r=hp["rank"], lora_alpha=hp["alpha"], lora_dropout=hp["dropout"],
        target_modules=list(hp["target_modules"]), bias="none",
        use_gradient_checkpointing="unsloth" if hp.get("gradient_checkpointing", False) else False,
        random_state=seed, max_seq_length=hp["max_seq_len"])
    model.train()
    return model, tok, reply


def dynamic_from_first_pass() -> None:
    """``train.unsloth_dynamic_shapes``: torch.compile traces every size as dynamic from the first compilation
    (sizes 0 and 1 stay specialised). Without it, a compiled region is first compiled for the first pass's exact
    shape and recompiled as dynamic at a later pass's shape (6-9 s of a run at 8B on an H200, session 20). Measured
    with the one-row fix in place (session 21): no recompile was left, and dynamic-first made the first compile 39 s
    against 14-17 s, so it is off by default. Process-wide: it also applies to what else this process compiles; it
    matters only with ``train.unsloth_compile_blocks`` on (off, Unsloth compiles nothing)."""
    import torch._dynamo

    torch._dynamo.config.assume_static_by_default = False


def compile_blocks(on: bool) -> None:
    """``train.unsloth_compile_blocks``: Unsloth compiles each decoder block as one torch.compile region unless
    ``UNSLOTH_BLOCK_COMPILE`` is ``0`` (read when it patches the model). Off by default: at 8B on an H200 (session 22)
    the eager Triton kernels ran a 3-epoch training in 154-160 s against 163-178 s compiled, whose first compilation
    (15-26 s) a paper-protocol run does not pay back. The config decides, not an inherited variable."""
    os.environ["UNSLOTH_BLOCK_COMPILE"] = "1" if on else "0"


def train(model_dir: Path | str, train_file: Path | str, out_dir: Path | str, hp: dict[str, Any], seed: int,
          lr: float, dtype: str = "bfloat16", device: str = "auto", checkpoint_steps: list[int] | None = None,
          sanity: bool = True) -> dict[str, Any]:
    """Train one LoRA adapter with Unsloth; same outputs as the PEFT backend."""
    check_cuda_graphs(hp, device, "unsloth")
    compile_cache(hp.get("compile_cache"))  # with unsloth_compile_blocks, Unsloth compiles its blocks on every run;
    # set before it is imported (importing it fixes inductor's cache folder)
    compile_blocks(bool(hp.get("unsloth_compile_blocks", False)))
    if hp.get("unsloth_dynamic_shapes", False):
        dynamic_from_first_pass()
    return _train(model_dir, train_file, out_dir, hp, seed, lr, dtype, device, checkpoint_steps, sanity,
                  setup=unsloth_setup)
