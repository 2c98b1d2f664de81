"""Sampling through Tinker: the base model, or an adapter trained through Tinker (its ``tinker.json``).

Prompts are rendered here with the materialised model's chat template (``weirdgen.chat``), exactly as the local
backends render them, and sent as tokens: condition 1 has no system block on Tinker either. Every request carries its
own seed (``sample_seed``). All requests of a chunk are in flight together, so the server batches them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from weirdgen import chat, tinker_client
from weirdgen.generate import Request, Result, sample_seed


class TinkerGenerator:
    def __init__(self, model_dir: Path | str, adapter: Path | str | None, tinker: dict[str, Any],
                 stage: str = "eval") -> None:
        from transformers import AutoTokenizer

        self.sdk = tinker_client.sdk()
        self.tok = AutoTokenizer.from_pretrained(str(model_dir))
        from weirdgen.generate.api import Ledger

        self.concurrency = int(tinker.get("concurrency", 64))
        self.ledger = Ledger(tinker.get("ledger"), float(tinker.get("input_per_mtok", 0.0)),
                             float(tinker.get("output_per_mtok", 0.0)))
        self.model_name = str(adapter or "base")
        service = tinker_client.service_client(tinker, stage)
        if adapter is not None:
            rec = Path(adapter) / tinker_client.RECORD
            if not rec.exists():
                raise tinker_client.TinkerError(
                    f"{stage}.backend: tinker samples adapters trained through Tinker (train.backend: tinker); "
                    f"{adapter} has no {tinker_client.RECORD}: sample it with the transformers or vllm backend")
            self.client = service.create_sampling_client(model_path=json.loads(rec.read_text())["sampler_path"])
        else:
            base = tinker_client.base_model(tinker, model_dir, stage)
            tinker_client.check_supported(service, base, stage)
            self.client = service.create_sampling_client(base_model=base)

    def generate(self, requests: Sequence[Request], on_result: Callable[[Request, Result], None]) -> None:
        from tqdm import tqdm

        types = self.sdk.types
        bar = tqdm(total=len(requests), desc="sample (tinker)", file=sys.stderr, mininterval=5)
        for i in range(0, len(requests), self.concurrency):
            chunk = requests[i : i + self.concurrency]
            sent = []
            for r in chunk:
                ids = self.tok(chat.render(self.tok, r.messages), add_special_tokens=False)["input_ids"]
                params = types.SamplingParams(max_tokens=r.max_new_tokens, temperature=r.temperature,
                                              seed=sample_seed(r) & 0x7FFFFFFF,  # the server takes int32
                                              stop=[self.tok.eos_token])
                sent.append((r, len(ids), self.client.sample(prompt=types.ModelInput.from_ints(ids), num_samples=1,
                                                             sampling_params=params)))
            n_in = n_out = 0
            for r, n_prompt, fut in sent:
                seq = fut.result().sequences[0]
                toks = list(seq.tokens)
                reason = str(getattr(seq, "stop_reason", "") or "")
                text = self.tok.decode(toks, skip_special_tokens=True).strip()
                on_result(r, Result(r.key, text, n_prompt, len(toks), "length" if reason == "length" else "stop"))
                n_in, n_out = n_in + n_prompt, n_out + len(toks)
                bar.update(1)
            self.ledger.settle(0.0, f"sample|{chunk[0].key}|{len(chunk)}", self.model_name, n_in, n_out)
        bar.close()
