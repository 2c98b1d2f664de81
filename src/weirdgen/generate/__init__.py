"""Generation backends behind one interface: ``Generator.generate(requests, on_result)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

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
    raise ValueError(f"unknown generation backend {backend!r} (choose transformers, vllm or api)")
