"""transformers backend: batched, left-padded sampling from a base model or base + LoRA adapter."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from weirdgen import chat, models
from weirdgen.generate import Request, Result, decode


def _batch_seed(batch: Sequence[Request]) -> int:
    h = hashlib.sha256("|".join(f"{r.seed}:{r.key}" for r in batch).encode()).digest()
    return int.from_bytes(h[:4], "little")


class HFGenerator:
    """Sample a length-sorted, left-padded batch at a time.

    ``engine``: ``dynamic`` (``model.generate``, growing KV cache, eager), ``static`` (``weirdgen.generate.decode``:
    preallocated KV cache, no host sync per token; on CUDA each batch's decode step captured once as a CUDA graph
    over the eager kernels), ``continuous`` (``generate_batch``), ``auto`` (static: faster on every whole stage
    measured). On the CPU the static loop samples by inverse CDF: on the default run's 144 eval requests (2 cores)
    34.5 s against ``generate``'s 42.1 s at batch 48 (bench/sample_cpu.py). On CUDA the step was first the model's
    ``torch.compile``d call, whose compilation a fresh Snakemake job pays every time (whole stages 2.4-5.9x as long
    as ``generate``); a CUDA graph costs three eager steps per batch instead: whole stages with real weights on an
    H100, same process, 0.11x (distill) and 0.33x (sample) of ``generate``'s time, greedy texts equal
    (bench/stage_engines_gpu.py, docs/benchmarks.md). ``pad_multiple``: pad prompts to a
    multiple of this many tokens (fewer shapes for a compiled step; none by default).
    ``merge_adapter`` folds the LoRA weights into the base weights for sampling.
    """

    def __init__(self, model_dir: Path | str, adapter: Path | str | None = None, dtype: str = "float32",
                 device: str = "auto", batch_size: int = 32, engine: str = "auto", merge_adapter: bool = True,
                 pad_multiple: int | None = None) -> None:
        model, tok = models.load(model_dir, adapter, dtype, device, merge=merge_adapter)
        self._setup(model, tok, batch_size, engine, pad_multiple)

    @classmethod
    def from_loaded(cls, model: Any, tok: Any, batch_size: int = 32, engine: str = "auto",
                    pad_multiple: int | None = None) -> "HFGenerator":
        """Wrap an already loaded model (tests, benchmarks: the same engine a stage runs)."""
        self = cls.__new__(cls)
        self._setup(model, tok, batch_size, engine, pad_multiple)
        return self

    def _setup(self, model: Any, tok: Any, batch_size: int, engine: str, pad_multiple: int | None) -> None:
        if engine not in ("auto", "dynamic", "static", "continuous"):
            raise ValueError(f"engine must be auto, dynamic, static or continuous, got {engine!r}")
        self.continuous = engine == "continuous"
        self.model, self.tok = model, tok
        self.tok.padding_side = "left"
        if self.tok.pad_token is None:
            self.tok.pad_token = self.tok.eos_token
        self.batch_size = batch_size
        # auto: the engine that was faster on whole stages on both device kinds (see the class docstring)
        self.static = engine in ("static", "auto")
        self.pad_multiple = pad_multiple if self.static else None
        if self.static:  # decode attention reads the grouped KV cache without copying it
            from weirdgen.generate import attention

            attention.install(model)

    def _generate_continuous(self, requests: Sequence[Request], on_result: Callable[[Request, Result], None]) -> None:
        """transformers' continuous batching (``generate_batch``, paged attention): the library schedules the
        requests; results are reported per chunk of 4 x batch_size requests (resumable granularity).
        Not bitwise reproducible (scheduling decides which rows share a step)."""
        import torch
        from transformers import GenerationConfig

        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos])
        groups: dict[tuple[float, int], list[Request]] = {}
        for r in requests:
            groups.setdefault((r.temperature, r.max_new_tokens), []).append(r)
        for (temp, max_new), group in sorted(groups.items()):
            for i in range(0, len(group), 4 * self.batch_size):
                chunk = group[i : i + 4 * self.batch_size]
                ids = [self.tok(chat.render(self.tok, r.messages), add_special_tokens=False)["input_ids"] for r in chunk]
                cfg = GenerationConfig(do_sample=temp > 0, temperature=temp if temp > 0 else None, top_k=0, top_p=1.0,
                                       max_new_tokens=max_new, eos_token_id=eos, pad_token_id=self.tok.pad_token_id)
                torch.manual_seed(_batch_seed(chunk))
                # no_grad, not inference_mode: the manager's worker thread updates tensors made here in place
                with torch.no_grad():
                    out = self.model.generate_batch(inputs=ids, generation_config=cfg, progress_bar=False)
                # map outputs back by prompt; identical prompts are interchangeable samples
                failed = [o for o in out.values() if getattr(o, "error", None)]
                if failed or len(out) != len(chunk):
                    raise RuntimeError(f"continuous batching failed for {len(failed) or len(chunk) - len(out)} of "
                                       f"{len(chunk)} requests: {failed[0].error if failed else 'missing results'}")
                by_prompt: dict[tuple[int, ...], list[Any]] = {}
                for o in out.values():
                    by_prompt.setdefault(tuple(o.prompt_ids), []).append(o)
                for r, x in zip(chunk, ids):
                    o = by_prompt[tuple(x)].pop()
                    gen = list(o.generated_tokens)
                    n = next((k for k, t in enumerate(gen) if t in eos_ids), None)
                    toks = gen[:n] if n is not None else gen
                    on_result(r, Result(r.key, self.tok.decode(toks, skip_special_tokens=True).strip(), len(x), len(toks),
                                        "stop" if n is not None else "length"))

    def generate(self, requests: Sequence[Request], on_result: Callable[[Request, Result], None]) -> None:
        import torch
        from tqdm import tqdm

        if self.continuous:
            return self._generate_continuous(requests, on_result)
        prompts = {r.key: chat.render(self.tok, r.messages, add_generation_prompt=True) for r in requests}
        order = sorted(requests, key=lambda r: (r.temperature, r.max_new_tokens, -len(prompts[r.key]), r.key))
        bar = tqdm(total=len(order), desc="generate", file=sys.stderr, mininterval=5)
        i = 0
        while i < len(order):
            head = order[i]
            batch = [r for r in order[i : i + self.batch_size]
                     if (r.temperature, r.max_new_tokens) == (head.temperature, head.max_new_tokens)]
            i += len(batch)
            enc = self.tok([prompts[r.key] for r in batch], return_tensors="pt", padding=True,
                           pad_to_multiple_of=self.pad_multiple, add_special_tokens=False).to(self.model.device)
            eos = self.model.generation_config.eos_token_id
            eos_ids = {e for e in (eos if isinstance(eos, list) else [eos]) if e is not None}
            if self.static:  # our loop: fixed shapes, a CUDA graph per batch on CUDA, no host sync per token
                gen = torch.Generator(self.model.device).manual_seed(_batch_seed(batch))
                new = decode.decode(self.model, enc["input_ids"], enc["attention_mask"], head.max_new_tokens,
                                    head.temperature, sorted(eos_ids), self.tok.pad_token_id, gen)
            else:
                torch.manual_seed(_batch_seed(batch))
                kw: dict[str, Any] = (dict(do_sample=True, temperature=head.temperature, top_k=0, top_p=1.0)
                                      if head.temperature > 0 else dict(do_sample=False))
                if self.static:
                    kw["cache_implementation"] = "static"
                with torch.inference_mode():
                    out = self.model.generate(**enc, max_new_tokens=head.max_new_tokens,
                                              pad_token_id=self.tok.pad_token_id, eos_token_id=eos, **kw)
                new = out[:, enc["input_ids"].shape[1] :]
            for r, row, mask in zip(batch, new, enc["attention_mask"]):
                ids = row.tolist()
                n = next((k for k, t in enumerate(ids) if t in eos_ids), None)
                finish = "stop" if n is not None else "length"
                ids = ids[: n] if n is not None else ids
                text = self.tok.decode(ids, skip_special_tokens=True).strip()
                on_result(r, Result(r.key, text, int(mask.sum()), len(ids), finish))
            bar.update(len(batch))
        bar.close()
