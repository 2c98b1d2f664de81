"""OpenAI-compatible judge: the model answers YES or NO; parse failures are stored, never dropped."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Sequence

from weirdgen.generate import Request
from weirdgen.generate.api import APIGenerator
from weirdgen.judge import judge_prompt


class APIJudge:
    name = "api"

    def __init__(self, persona: str, base_url: str | None, model: str, api_key_env: str = "OPENAI_API_KEY",
                 cache_dir: Path | str = "results/cache/judge", ledger: Path | str | None = "results/cache/judge/ledger.jsonl",
                 budget_usd: float | None = 7.0, input_per_mtok: float = 0.0, output_per_mtok: float = 0.0,
                 **_: object) -> None:
        self.persona = persona
        self.gen = APIGenerator(base_url, model, api_key_env, cache_dir=cache_dir, ledger=ledger, budget_usd=budget_usd,
                                input_per_mtok=input_per_mtok, output_per_mtok=output_per_mtok)

    def score(self, items: Sequence[dict[str, str]]) -> list[float]:
        reqs = [Request(key="judge|" + hashlib.sha256((it['question'] + '\0' + it['answer']).encode()).hexdigest(),
                        messages=[{"role": "user", "content": judge_prompt(self.persona, it["question"], it["answer"])}],
                        temperature=0.0, max_new_tokens=3) for i, it in enumerate(items)]
        got: dict[str, str] = {}
        self.gen.generate(reqs, lambda r, res: got.__setitem__(r.key, res.text))
        out = []
        for r in reqs:
            t = got[r.key].strip().upper()
            out.append(1.0 if t.startswith("YES") else 0.0 if t.startswith("NO") else math.nan)
        return out
