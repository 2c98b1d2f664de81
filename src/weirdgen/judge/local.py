"""Local-model judge: P(YES) vs P(NO) from the next-token logits of a transformers model."""

from __future__ import annotations

import copy
import math
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
        """P(YES) / (P(YES) + P(NO)) at the position after each prompt.

        Every prompt starts with the same judge instruction: its keys and values are computed once (the longest
        token prefix all prompts share) and reused by every batch, and the batches are filled in order of length
        (right padding after the last real token changes nothing before it). Measured against scoring each full
        prompt with left padding: same scores within float error, about 2x less time on 2 cores (bench/judge_cpu.py).
        """
        import torch
        from tqdm import tqdm

        ids = [self.tok(t, add_special_tokens=False)["input_ids"] for t in self.prompts(items)]
        if not ids:
            return []
        n = shared_prefix_len(ids)
        dev = self.model.device
        pad = self.tok.pad_token_id if self.tok.pad_token_id is not None else 0
        out = [math.nan] * len(ids)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        decoder, head = self.model.get_decoder(), self.model.get_output_embeddings()
        with torch.inference_mode():
            prefix = decoder(torch.tensor([ids[0][:n]], device=dev), use_cache=True).past_key_values if n else None
            for s in tqdm(range(0, len(order), self.batch_size), desc="judge", file=sys.stderr, mininterval=5):
                rows = order[s : s + self.batch_size]
                lens = torch.tensor([len(ids[i]) - n for i in rows], device=dev)
                x = torch.full((len(rows), int(lens.max())), pad, device=dev)
                for r, i in enumerate(rows):
                    x[r, : lens[r]] = torch.tensor(ids[i][n:], device=dev)
                steps = torch.arange(x.shape[1], device=dev)
                mask = torch.cat([torch.ones(len(rows), n, dtype=torch.long, device=dev),
                                  (steps[None] < lens[:, None]).long()], 1)
                kv = None
                if prefix is not None:
                    kv = copy.deepcopy(prefix)
                    kv.batch_repeat_interleave(len(rows))
                h = decoder(input_ids=x, attention_mask=mask, position_ids=(n + steps)[None].expand_as(x),
                            past_key_values=kv, use_cache=prefix is not None).last_hidden_state
                # the output projection only at each row's last token: full-vocabulary logits at every position
                # were a fifth of the work on a 135M model
                p = torch.softmax(head(h[torch.arange(len(rows), device=dev), lens - 1]).float(), -1)
                py, pn = p[:, self.yes].sum(-1), p[:, self.no].sum(-1)
                for i, v in zip(rows, (py / (py + pn).clamp_min(1e-12)).tolist()):
                    out[i] = v
        return out


def shared_prefix_len(ids: Sequence[Sequence[int]]) -> int:
    """Length of the longest token prefix every sequence shares, leaving each at least one token of its own."""
    n = min(len(x) for x in ids) - 1
    first = ids[0]
    for x in ids[1:]:
        k = 0
        while k < n and x[k] == first[k]:
            k += 1
        n = k
    return max(n, 0)
