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
import signal
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from weirdgen.errors import UserError
from weirdgen.generate import Request, Result, sample_seed
from weirdgen.jsonl import write_json


class APIError(UserError, RuntimeError):
    pass


class BudgetExceeded(APIError):
    """The spending cap would be crossed: the stage stops; everything answered so far is cached."""


MODES = ("completions", "chat")


class Interrupted(APIError):
    """The stage was asked to stop (SIGTERM); requests in flight were finished and recorded."""


class Ledger:
    """Tokens and cost of every request sent (JSONL), with a spending cap checked before each request.

    Before a request, a generous estimate of its cost (characters / 2 + template overhead as prompt
    tokens, plus max_tokens) is reserved, so concurrent requests cannot carry the total past the cap.
    """

    def __init__(self, path: Path | str | None, input_per_mtok: float = 0.0, output_per_mtok: float = 0.0,
                 budget_usd: float | None = None, budget_key: str = "judge.api.budget_usd") -> None:
        self.path = Path(path) if path else None
        self.budget_key = budget_key
        self.pin, self.pout, self.budget = input_per_mtok, output_per_mtok, budget_usd
        self.spent = 0.0
        self.reserved = 0.0
        if self.path and self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    self.spent += float(json.loads(line).get("cost_usd", 0.0))
                except (ValueError, json.JSONDecodeError):
                    continue

    def estimate(self, body: dict[str, Any]) -> float:
        msgs = body.get("messages") or [{"content": body.get("prompt", "")}]
        chars = sum(len(m["content"]) for m in msgs)
        prompt_tokens = chars / 2 + 16 * len(msgs) + 32  # generous: chat template overhead included
        return prompt_tokens * self.pin / 1e6 + body["max_tokens"] * self.pout / 1e6

    def reserve(self, est: float) -> None:
        if self.budget is not None and self.spent + self.reserved + est > self.budget:
            raise BudgetExceeded(
                f"API budget cap ${self.budget:.2f} reached: spent ${self.spent:.4f}"
                + (f" (ledger {self.path})" if self.path else "")
                + f"; every paid answer is recorded and cached, so a rerun does not pay for it again. "
                f"To continue, raise {self.budget_key} and rerun the same command.")
        self.reserved += est

    def settle(self, est: float, key: str, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        cost = prompt_tokens * self.pin / 1e6 + completion_tokens * self.pout / 1e6
        self.reserved -= est
        self.spent += cost
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as fh:
                fh.write(json.dumps({"key": key, "model": model, "prompt_tokens": prompt_tokens,
                                     "completion_tokens": completion_tokens, "cost_usd": cost}) + "\n")


def _first_top_logprobs(choice: Any) -> dict[str, float] | None:
    """{token: logprob} for the first generated token, or None where the provider sent no logprobs."""
    lp = getattr(choice, "logprobs", None)
    content = getattr(lp, "content", None) if lp is not None else None
    if not content:
        return None
    first = content[0]
    alts = {a.token: float(a.logprob) for a in (getattr(first, "top_logprobs", None) or [])}
    alts.setdefault(first.token, float(first.logprob))
    return alts


class APIGenerator:
    def __init__(self, base_url: str | None, model: str, api_key_env: str = "OPENAI_API_KEY",
                 cache_dir: Path | str = "results/cache/api", concurrency: int = 8, max_retries: int = 6,
                 timeout: float = 60.0, backoff: float = 1.0, ledger: Path | str | None = None,
                 input_per_mtok: float = 0.0, output_per_mtok: float = 0.0, budget_usd: float | None = None,
                 budget_key: str = "judge.api.budget_usd", mode: str = "chat",
                 tokenizer_dir: Path | str | None = None, template_kwargs: dict[str, Any] | None = None) -> None:
        if mode not in MODES:
            raise APIError(f"api mode must be one of {MODES}, got {mode!r}")
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
        self.ledger = Ledger(ledger, input_per_mtok, output_per_mtok, budget_usd, budget_key)
        self._stop: Exception | None = None
        self.mode = mode
        # chat mode: the server renders; model.chat_template_kwargs (e.g. Qwen3's enable_thinking) go along
        # as vLLM's / SGLang's chat_template_kwargs. completions mode renders with the materialised template.
        self.template_kwargs = dict(template_kwargs or {})
        self.tok: Any = None
        self._rendered: dict[str, str] = {}
        if mode == "completions":
            if tokenizer_dir is None:
                raise APIError("api mode completions renders prompts with the model's own chat template: it needs the "
                               "model directory (the workflow passes it; by hand: tokenizer_dir=...)")
            from transformers import AutoTokenizer

            self.tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))

    def render(self, r: Request) -> str:
        """The prompt text exactly as the transformers and vLLM backends feed the model (``weirdgen.chat``): with no
        system message there is no system block. A leading BOS is left to the server's tokenizer, which adds it."""
        from weirdgen import chat

        if r.key in self._rendered:
            return self._rendered[r.key]
        text = chat.render(self.tok, r.messages, add_generation_prompt=True)
        bos = self.tok.bos_token
        if bos and text.startswith(bos) and self.tok("x")["input_ids"][:1] == [self.tok.bos_token_id]:
            text = text[len(bos):]
        self._rendered[r.key] = text
        return text

    def _body(self, r: Request) -> dict[str, Any]:
        prompt: dict[str, Any] = ({"prompt": self.render(r)} if self.mode == "completions"
                                  else {"messages": list(r.messages)})
        body = {"model": self.model, **prompt, "temperature": r.temperature, "max_tokens": r.max_new_tokens,
                "seed": sample_seed(r), **r.options}
        if self.mode == "chat" and self.template_kwargs:
            body["extra_body"] = {"chat_template_kwargs": self.template_kwargs}
        return body

    def _cache_path(self, r: Request) -> Path:
        h = hashlib.sha256(json.dumps({"key": r.key, **self._body(r)}, sort_keys=True).encode()).hexdigest()
        return self.cache_dir / h[:2] / f"{h}.json"

    async def _one(self, r: Request, sem: asyncio.Semaphore) -> Result | None:
        """One request, cached; None when the stage is stopping (budget cap, or a fatal error elsewhere)."""
        import openai

        cp = self._cache_path(r)
        if cp.exists():
            c = json.loads(cp.read_text())
            return Result(r.key, c["text"], c["prompt_tokens"], c["completion_tokens"], c["finish_reason"],
                          c.get("top_logprobs"))
        delay = self.backoff
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            async with sem:
                if self._stop is not None:
                    return None  # stopping: send nothing new; requests already in flight finish and are recorded
                est = self.ledger.estimate(self._body(r))
                try:
                    self.ledger.reserve(est)
                except BudgetExceeded as e:
                    self._stop = e
                    return None
                settled = False
                try:
                    self.requests_sent += 1
                    if self.mode == "completions":
                        resp = await self.client.completions.create(**self._body(r))
                        choice = resp.choices[0]
                        text = choice.text
                    else:
                        resp = await self.client.chat.completions.create(**self._body(r))
                        choice = resp.choices[0]
                        text = choice.message.content
                    usage = resp.usage
                    # paid from here on: record the tokens first, whatever the reply holds
                    self.ledger.settle(est, r.key, self.model, getattr(usage, "prompt_tokens", 0) or 0,
                                       getattr(usage, "completion_tokens", 0) or 0)
                    settled = True
                    if not isinstance(text, str):
                        raise APIError("reply without message content")
                    res = Result(r.key, text.strip(), getattr(usage, "prompt_tokens", 0) or 0,
                                 getattr(usage, "completion_tokens", 0) or 0, choice.finish_reason or "stop",
                                 _first_top_logprobs(choice))
                    write_json(cp, {"text": res.text, "prompt_tokens": res.prompt_tokens,
                                    "completion_tokens": res.completion_tokens, "finish_reason": res.finish_reason,
                                    "top_logprobs": res.top_logprobs})
                    return res
                except openai.APIStatusError as e:
                    if e.status_code not in (408, 409, 429) and e.status_code < 500:
                        hint = ("; this server or model offers no /v1/completions: set the stage's api.mode: chat "
                                "(the server's chat template then decides the system block)"
                                if self.mode == "completions" and e.status_code in (404, 405) else "")
                        raise APIError(f"request {r.key} failed with HTTP {e.status_code}: {e.message}{hint}") from None
                    last = e
                except (openai.APITimeoutError, openai.APIConnectionError, ValueError, KeyError,
                        IndexError, AttributeError, TypeError, json.JSONDecodeError, APIError) as e:
                    last = e
                finally:
                    if not settled:
                        self._release(est)
            await asyncio.sleep(delay * (1 + random.random() * 0.25))
            delay = min(delay * 2, 30.0)
        raise APIError(f"request {r.key} failed after {self.max_retries + 1} attempts: {type(last).__name__}: {last}")

    def _terminate(self) -> None:
        if self._stop is None:
            self._stop = Interrupted("stopped by SIGTERM after the requests in flight finished; every answer is "
                                     "recorded and cached: rerun the same command to continue")

    def _release(self, est: float) -> None:
        self.ledger.reserved -= est

    def generate(self, requests: Sequence[Request], on_result: Callable[[Request, Result], None]) -> None:
        """Answer every request (``on_result`` as each arrives). On the budget cap or a fatal error no new
        request is sent, the ones in flight finish (paid, so recorded in ledger, cache and journal), and
        then the error is raised."""
        self._stop = None
        from tqdm import tqdm

        bar = tqdm(total=len(requests), desc=f"api {self.model}"[:40], file=sys.stderr, mininterval=5)

        async def run() -> None:
            sem = asyncio.Semaphore(self.concurrency)
            try:  # SIGTERM (scancel, a job's time limit, Ctrl-C in Snakemake): finish what is paid, send nothing new
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self._terminate)
            except (NotImplementedError, RuntimeError, ValueError):
                pass

            async def task(r: Request) -> None:
                try:
                    res = await self._one(r, sem)
                except Exception as e:
                    if self._stop is None:
                        self._stop = e
                    return
                if res is not None:
                    on_result(r, res)
                    bar.update(1)

            await asyncio.gather(*(task(r) for r in requests))

        try:
            asyncio.run(run())
        finally:
            bar.close()
        if self._stop is not None:
            raise self._stop
