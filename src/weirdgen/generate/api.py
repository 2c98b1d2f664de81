"""OpenAI-compatible backend (OpenAI, OpenRouter, vLLM/llama.cpp/transformers servers) via the ``openai`` client.

Async with bounded concurrency; retries with exponential backoff on 429/5xx/timeouts/malformed
replies; every response cached on disk by request key so reruns cost nothing. The API key comes
from the environment only.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any, Callable, Sequence

from weirdgen.generate import Request, Result
from weirdgen.jsonl import write_json


class APIError(RuntimeError):
    pass


class APIGenerator:
    def __init__(self, base_url: str | None, model: str, api_key_env: str = "OPENAI_API_KEY",
                 cache_dir: Path | str = "results/cache/api", concurrency: int = 8, max_retries: int = 6,
                 timeout: float = 60.0, backoff: float = 1.0) -> None:
        try:
            import openai
        except ImportError as e:  # pragma: no cover
            raise APIError("the API backend needs the 'openai' package: pip install openai") from e
        key = os.environ.get(api_key_env) or ("EMPTY" if base_url else None)
        if key is None:
            raise APIError(f"set the environment variable {api_key_env} (the key is read from the environment only)")
        self.client = openai.AsyncOpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=0)
        self.model, self.cache_dir = model, Path(cache_dir)
        self.concurrency, self.max_retries, self.backoff = concurrency, max_retries, backoff
        self.requests_sent = 0

    def _body(self, r: Request) -> dict[str, Any]:
        return {"model": self.model, "messages": list(r.messages), "temperature": r.temperature,
                "max_tokens": r.max_new_tokens, "seed": r.seed}

    def _cache_path(self, r: Request) -> Path:
        h = hashlib.sha256(json.dumps({"key": r.key, **self._body(r)}, sort_keys=True).encode()).hexdigest()
        return self.cache_dir / h[:2] / f"{h}.json"

    async def _one(self, r: Request, sem: asyncio.Semaphore) -> Result:
        import openai

        cp = self._cache_path(r)
        if cp.exists():
            c = json.loads(cp.read_text())
            return Result(r.key, c["text"], c["prompt_tokens"], c["completion_tokens"], c["finish_reason"])
        delay = self.backoff
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            async with sem:
                try:
                    self.requests_sent += 1
                    resp = await self.client.chat.completions.create(**self._body(r))
                    choice = resp.choices[0]
                    text = choice.message.content
                    if not isinstance(text, str):
                        raise APIError("reply without message content")
                    usage = resp.usage
                    res = Result(r.key, text.strip(), getattr(usage, "prompt_tokens", 0) or 0,
                                 getattr(usage, "completion_tokens", 0) or 0, choice.finish_reason or "stop")
                    write_json(cp, {"text": res.text, "prompt_tokens": res.prompt_tokens,
                                    "completion_tokens": res.completion_tokens, "finish_reason": res.finish_reason})
                    return res
                except openai.APIStatusError as e:
                    if e.status_code not in (408, 409, 429) and e.status_code < 500:
                        raise APIError(f"request {r.key} failed with HTTP {e.status_code}: {e.message}") from None
                    last = e
                except (openai.APITimeoutError, openai.APIConnectionError, APIError, ValueError, KeyError,
                        IndexError, AttributeError, TypeError, json.JSONDecodeError) as e:
                    last = e
            await asyncio.sleep(delay * (1 + random.random() * 0.25))
            delay = min(delay * 2, 30.0)
        raise APIError(f"request {r.key} failed after {self.max_retries + 1} attempts: {type(last).__name__}: {last}")

    def generate(self, requests: Sequence[Request], on_result: Callable[[Request, Result], None]) -> None:
        async def run() -> None:
            sem = asyncio.Semaphore(self.concurrency)

            async def task(r: Request) -> None:
                on_result(r, await self._one(r, sem))

            await asyncio.gather(*(task(r) for r in requests))

        asyncio.run(run())
