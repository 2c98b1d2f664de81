"""OpenAI-compatible judge. Modes: ``logprobs`` (one token; P(YES) from the first token's top logprobs,
falling back to the text where the provider sends none), ``json`` (structured output against a JSON schema),
``text`` (a plain YES/NO reply). Unparseable replies become nan (stored as parse errors, never dropped)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

from weirdgen.generate import Request, Result
from weirdgen.generate.api import APIGenerator
from weirdgen.judge import item_prompt

VERDICT_SCHEMA = {
    "type": "json_schema",
    "json_schema": {"name": "verdict", "strict": True,
                    "schema": {"type": "object", "additionalProperties": False, "required": ["verdict"],
                               "properties": {"verdict": {"type": "string", "enum": ["YES", "NO"]}}}},
}
MODES = ("logprobs", "json", "text")


def _text_verdict(text: str) -> float:
    t = text.strip().strip('"\'*`. ').upper()
    return 1.0 if t.startswith("YES") else 0.0 if t.startswith("NO") else math.nan


def parse(res: Result, mode: str) -> float:
    """P(YES) from one reply under a mode (nan when unparseable)."""
    if mode == "json":
        try:
            v = json.loads(res.text).get("verdict", "")
        except (json.JSONDecodeError, AttributeError):
            return _text_verdict(res.text)  # providers without structured output may still answer plainly
        return 1.0 if str(v).upper() == "YES" else 0.0 if str(v).upper() == "NO" else math.nan
    if mode == "logprobs" and res.top_logprobs:
        py = sum(math.exp(lp) for tok, lp in res.top_logprobs.items() if tok.strip().upper().startswith("YES"))
        pn = sum(math.exp(lp) for tok, lp in res.top_logprobs.items() if tok.strip().upper() in ("NO", "NO."))
        if py + pn > 0:
            return py / (py + pn)
    return _text_verdict(res.text)


class APIJudge:
    name = "api"

    def __init__(self, persona: str, base_url: str | None, model: str, api_key_env: str = "OPENAI_API_KEY",
                 cache_dir: Path | str = "results/cache/judge", ledger: Path | str | None = "results/cache/judge/ledger.jsonl",
                 budget_usd: float | None = 7.0, input_per_mtok: float = 0.0, output_per_mtok: float = 0.0,
                 mode: str = "logprobs", concurrency: int = 8, kind: str = "persona", **_: Any) -> None:
        if mode not in MODES:
            raise ValueError(f"judge.api.mode must be one of {MODES}, got {mode!r}")
        if not model:
            raise ValueError("judge.api.model is not set (the judge model's name on the server)")
        self.persona, self.kind, self.mode = persona, kind, mode
        self.gen = APIGenerator(base_url, model, api_key_env, cache_dir=cache_dir, ledger=ledger, budget_usd=budget_usd,
                                input_per_mtok=input_per_mtok, output_per_mtok=output_per_mtok, concurrency=concurrency)

    def _options(self) -> dict[str, Any]:
        if self.mode == "logprobs":
            return {"logprobs": True, "top_logprobs": 10}
        if self.mode == "json":
            return {"response_format": VERDICT_SCHEMA}
        return {}

    def requests(self, items: Sequence[Mapping[str, str]]) -> list[Request]:
        out = []
        for it in items:
            prompt = item_prompt(self.kind, self.persona, it)
            key = f"judge|{self.kind}|{self.mode}|" + hashlib.sha256(prompt.encode()).hexdigest()
            out.append(Request(key=key, messages=[{"role": "user", "content": prompt}], temperature=0.0,
                               max_new_tokens=1 if self.mode == "logprobs" else 12 if self.mode == "json" else 3,
                               options=self._options()))
        return out

    def score(self, items: Sequence[Mapping[str, str]]) -> list[float]:
        reqs = self.requests(items)
        got: dict[str, Result] = {}
        self.gen.generate(list({r.key: r for r in reqs}.values()), lambda r, res: got.__setitem__(r.key, res))
        return [parse(got[r.key], self.mode) for r in reqs]
