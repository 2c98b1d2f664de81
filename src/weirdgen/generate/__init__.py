"""Generation backends behind one interface: ``Generator.generate(requests, on_result)``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

from weirdgen.errors import UserError
from weirdgen.chat import Message


@dataclass(frozen=True)
class Request:
    """One completion to produce; ``key`` identifies it across reruns."""

    key: str
    messages: Sequence[Message]
    temperature: float
    max_new_tokens: int
    seed: int = 0
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)  # extra API body fields


@dataclass
class Result:
    key: str
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    top_logprobs: dict[str, float] | None = None  # first generated token's alternatives, where the API gives them


def sample_seed(r: Request) -> int:
    """A request's own sampling seed, from (stage seed, request key); the key holds the sample index, so
    repeated samples of one prompt never share a seed on a backend that honours seeds."""
    return int.from_bytes(hashlib.sha256(f"{r.seed}:{r.key}".encode()).digest()[:4], "little")


class Generator(Protocol):
    """A generation backend."""

    def generate(self, requests: Sequence[Request], on_result: Callable[[Request, Result], None]) -> None:
        """Produce every request, calling ``on_result`` as each finishes (for incremental writes)."""


def make(backend: str, **kwargs: Any) -> Generator:
    """Construct a backend by name; heavy imports happen here, lazily."""
    if backend == "transformers":
        from weirdgen.generate.hf import HFGenerator

        return HFGenerator(**kwargs)
    if backend == "api":
        from weirdgen.generate.api import APIGenerator

        return APIGenerator(**kwargs)
    if backend == "vllm":
        from weirdgen.generate.vllm import VLLMGenerator

        return VLLMGenerator(**kwargs)
    if backend == "tinker":
        from weirdgen.generate.tinker import TinkerGenerator

        return TinkerGenerator(**kwargs)
    raise ValueError(f"unknown generation backend {backend!r} (choose transformers, vllm, api or tinker)")


class BackendConfigError(UserError, ValueError):
    """A generation backend cannot do what its config asks (named by key)."""


def from_config(p: dict[str, Any], model_dir: str, adapter: str | None = None, model_id: str | None = None,
                stage: str = "eval") -> Callable[[], Generator]:
    """A factory for the backend a stage's validated params name (``backend``, ``api``, ``vllm``, dtype...).

    Checked here, before any request: an API backend given an adapter must know the name under which
    the server serves it (``<stage>.api.adapter_models``); it is never silently dropped.
    """
    from weirdgen import config, models

    m = config.fill("model", {k: p[k] for k in ("dtype", "device") if k in p and p[k] != "model"})
    p = {**m, **config.fill(stage, p)}
    if p.get("dtype") == "model":  # eval.dtype: model = model.dtype
        p["dtype"] = m["dtype"]
    backend = p["backend"]
    if backend == "api":
        api = dict(p["api"])
        model = api["model"]
        if adapter is not None:
            served = (api.get("adapter_models") or {}).get(model_id or "")
            if not served:
                raise BackendConfigError(
                    f"{stage}.backend: api cannot sample adapter {adapter} ({model_id}): the server must serve it. "
                    f"Serve it (e.g. vLLM --lora-modules NAME=PATH) and map it in {stage}.api.adapter_models: "
                    f"{{{model_id!r}: NAME}}, or sample adapters with the transformers or vllm backend")
            model = served
        budget = p.get("budget") or {}
        kw = dict(base_url=api["base_url"], model=model, api_key_env=api["api_key_env"], cache_dir=api["cache_dir"],
                  concurrency=api["concurrency"],
                  input_per_mtok=api.get("input_per_mtok", 0.0), output_per_mtok=api.get("output_per_mtok", 0.0),
                  ledger=budget.get("ledger"), budget_usd=budget.get("budget_usd"), budget_key="judge.api.budget_usd",
                  mode=api["mode"], tokenizer_dir=model_dir if api["mode"] == "completions" else None,
                  template_kwargs=models.resolved(model_dir).get("chat_template_kwargs") if api["mode"] == "chat" else None)
        return lambda: make("api", **kw)
    if backend == "tinker":
        return lambda: make("tinker", model_dir=model_dir, adapter=adapter, tinker=dict(p["tinker"]), stage=stage)
    if backend == "vllm":
        return lambda: make("vllm", model_dir=model_dir, adapter=adapter, dtype=p["dtype"], **(p.get("vllm") or {}))
    return lambda: make("transformers", model_dir=model_dir, adapter=adapter, dtype=p["dtype"], device=p["device"],
                        batch_size=p["batch_size"], engine=p["engine"], merge_adapter=p["merge_adapter"])
