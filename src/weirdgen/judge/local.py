"""Local-model judge: P(YES) vs P(NO) from the next-token logits of a transformers model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Mapping, Sequence

from weirdgen import chat, models
from weirdgen.judge import item_prompt


class LocalJudge:
    name = "local"

    def __init__(self, persona: str, model_dir: Path | str, dtype: str = "float32", device: str = "auto",
                 batch_size: int = 16, kind: str = "persona") -> None:
        self.persona, self.kind = persona, kind
        self.model, self.tok = models.load(model_dir, None, dtype, device)
        self.tok.padding_side = "left"
        self.batch_size = batch_size
        self.yes = self._ids(["YES", "Yes", "yes", " YES", " Yes"])
        self.no = self._ids(["NO", "No", "no", " NO", " No"])

    def _ids(self, words: list[str]) -> list[int]:
        ids = set()
        for w in words:
            t = self.tok(w, add_special_tokens=False)["input_ids"]
            if t:
                ids.add(t[0])
        return sorted(ids)

    def prompts(self, items: Sequence[Mapping[str, str]]) -> list[str]:
        return [chat.render(self.tok, [{"role": "user", "content": item_prompt(self.kind, self.persona, it)}])
                for it in items]

    def score(self, items: Sequence[Mapping[str, str]]) -> list[float]:
        import torch
        from tqdm import tqdm

        texts = self.prompts(items)
        out: list[float] = []
        for i in tqdm(range(0, len(texts), self.batch_size), desc="judge", file=sys.stderr, mininterval=5):
            enc = self.tok(texts[i : i + self.batch_size], return_tensors="pt", padding=True,
                           add_special_tokens=False).to(self.model.device)
            with torch.inference_mode():
                logits = self.model(**enc).logits[:, -1].float()
            p = torch.softmax(logits, -1)
            py, pn = p[:, self.yes].sum(-1), p[:, self.no].sum(-1)
            out.extend((py / (py + pn).clamp_min(1e-12)).tolist())
        return out
