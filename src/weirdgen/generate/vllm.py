"""vLLM backend (optional extra, CUDA): one engine holds the base weights and serves the base model and
every LoRA adapter of a sweep (multi-LoRA), so a sweep of N adapters loads the base weights once.

Prompts are rendered by ``weirdgen.chat`` (the same text every backend sees, "no system prompt" included)
and passed as token ids, so vLLM adds no BOS or template of its own. Each request carries its own seed
(derived from its key), so a rerun reproduces the same samples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from weirdgen.errors import UserError
from weirdgen import chat, models
from weirdgen.generate import Request, Result, sample_seed


class VLLMError(UserError, RuntimeError):
    pass


def sampler_env(env: dict[str, str], has_flashinfer: bool) -> dict[str, str]:
    """Environment settings vLLM needs here: without flashinfer installed, vLLM 0.23's sampler still tries to
    import it at start and fails; ``VLLM_USE_FLASHINFER_SAMPLER=0`` selects its own sampler (measured on an H100,
    docs/benchmarks.md, session 16). A value the user set is kept."""
    return {} if has_flashinfer or "VLLM_USE_FLASHINFER_SAMPLER" in env else {"VLLM_USE_FLASHINFER_SAMPLER": "0"}


def _import() -> Any:
    import importlib.util
    import os

    os.environ.update(sampler_env(dict(os.environ), importlib.util.find_spec("flashinfer") is not None))
    try:
        import vllm
    except ImportError as e:
        raise VLLMError("backend vllm needs vLLM on a CUDA machine: pip install 'weirdgen[vllm]' "
                        "(or choose backend: transformers)") from e
    return vllm


class VLLMEngine:
    """One vLLM engine; ``for_adapter(path)`` gives a Generator view that samples through that LoRA."""

    def __init__(self, model_dir: Path | str, dtype: str = "bfloat16", max_lora_rank: int = 16, max_loras: int = 4,
                 gpu_memory_utilization: float = 0.85, max_model_len: int = 4096, enable_lora: bool = True,
                 max_num_seqs: int = 256, enforce_eager: bool = False) -> None:
        vllm = _import()
        from transformers import AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(model_dir)
        self.llm = vllm.LLM(model=str(model_dir), dtype=models.resolve_dtype(dtype, "cuda"), enable_lora=enable_lora,
                            max_lora_rank=max_lora_rank, max_loras=max_loras, gpu_memory_utilization=gpu_memory_utilization,
                            max_model_len=max_model_len, max_num_seqs=max_num_seqs, enforce_eager=enforce_eager,
                            seed=0)
        self._lora_ids: dict[str, int] = {}
        self.vllm = vllm
        self.chunk = 4 * max_num_seqs  # requests per engine call (the engine keeps its batch full within a chunk)

    def lora(self, adapter: Path | str | None) -> Any:
        if adapter is None:
            return None
        from vllm.lora.request import LoRARequest

        key = str(Path(adapter).resolve())
        lid = self._lora_ids.setdefault(key, len(self._lora_ids) + 1)
        return LoRARequest(Path(adapter).name, lid, key)

    def generate(self, requests: Sequence[Request], on_result: Callable[[Request, Result], None],
                 adapter: Path | str | None = None) -> None:
        import sys

        from tqdm import tqdm

        sp = self.vllm.SamplingParams
        bar = tqdm(total=len(requests), desc="vllm", file=sys.stderr, mininterval=5)
        # chunks: a progress bar, and results journaled as each chunk ends (a killed job keeps what it finished)
        for i in range(0, len(requests), self.chunk):
            part = requests[i : i + self.chunk]
            prompts = [{"prompt_token_ids": self.tok(chat.render(self.tok, r.messages),
                                                     add_special_tokens=False)["input_ids"]} for r in part]
            params = [sp(temperature=r.temperature, top_p=1.0, max_tokens=r.max_new_tokens, seed=sample_seed(r))
                      for r in part]
            outs = self.llm.generate(prompts, params, lora_request=self.lora(adapter), use_tqdm=False)
            for r, p, o in zip(part, prompts, outs):
                c = o.outputs[0]
                on_result(r, Result(r.key, c.text.strip(), len(p["prompt_token_ids"]), len(c.token_ids),
                                    "stop" if c.finish_reason == "stop" else "length"))
            bar.update(len(part))
        bar.close()

    def for_adapter(self, adapter: Path | str | None) -> "AdapterView":
        return AdapterView(self, adapter)


class AdapterView:
    """The Generator interface over a shared engine, bound to one adapter (or the base model)."""

    def __init__(self, engine: VLLMEngine, adapter: Path | str | None) -> None:
        self.engine, self.adapter = engine, adapter

    def generate(self, requests: Sequence[Request], on_result: Callable[[Request, Result], None]) -> None:
        self.engine.generate(requests, on_result, self.adapter)


class VLLMGenerator(AdapterView):
    """A single-model vLLM generator (distillation, or sampling one model)."""

    def __init__(self, model_dir: Path | str, adapter: Path | str | None = None, dtype: str = "bfloat16",
                 **engine_kw: Any) -> None:
        super().__init__(VLLMEngine(model_dir, dtype, enable_lora=adapter is not None, **engine_kw), adapter)
