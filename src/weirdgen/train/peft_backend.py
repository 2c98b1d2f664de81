"""PEFT LoRA training with a plain PyTorch loop (CPU and GPU).

Per-token loss averaged over all target tokens of an optimizer step (across gradient
accumulation), AdamW, warmup + cosine/linear/constant schedule, seeded shuffles.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from weirdgen.errors import UserError
from weirdgen import chat, models
from weirdgen.jsonl import read_jsonl, share, write_text
from weirdgen.provenance import sha256_file
from weirdgen.train.masking import IGNORE, tokenize


class TrainingError(UserError, RuntimeError):
    pass


def sanity_check(model: Any, tok: Any) -> str:
    """Step-0 guard: the base model must produce non-degenerate text."""
    import torch

    text = chat.render(tok, [{"role": "user", "content": "Name three colours."}])
    enc = tok(text, return_tensors="pt", add_special_tokens=False).to(model.device)
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=16, do_sample=False, pad_token_id=tok.pad_token_id)
    new = out[0, enc["input_ids"].shape[1]:].tolist()
    reply = tok.decode(new, skip_special_tokens=True).strip()
    if not reply or len(set(new)) <= 2:
        raise TrainingError(f"step-0 sanity check failed: the base model generates degenerate text {reply!r}")
    return reply


#: Padded lengths of the compiled path's passes (x1.5 / x1.33 apart: at most a third of a pass is length padding).
LENGTH_BUCKETS = (64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192)


def bucket_shape(rows: int, length: int, max_rows: int) -> tuple[int, int]:
    """The (rows, length) a pass is padded to when the decoder is compiled with static shapes: rows up to the next
    power of two (at most ``max_rows``, the examples per step), length up to the next of ``LENGTH_BUCKETS`` (beyond
    the last: the next multiple of 1024). A run then compiles a handful of shapes once each instead of one per
    batch (measured: varying shapes kept recompiling for the first 60 steps, docs/benchmarks.md, session 10)."""
    r = 1
    while r < rows:
        r *= 2
    n = next((b for b in LENGTH_BUCKETS if b >= length), -(-length // 1024) * 1024)
    return max(rows, min(r, max_rows)), n


#: A CUDA-graph capture (an eager warm-up pass and the capture) costs about as much time as replaying this many padded
#: tokens: 135M on an H200, 0.4-1.2 s a shape after the first against ~6-7 µs per padded token of a replayed pass
#: (docs/benchmarks.md, session 24). ``graph_shapes`` pads a rare shape into a larger captured one when the extra padding
#: of all its passes over the run stays below this.
CAPTURE_TOKENS = 65536

#: ``train.cuda_graphs`` sends only a pass's target positions through the output head and the loss (``target_index``);
#: off, every position goes through and the non-targets are ignored (the same loss). Measured 2.1-2.5 % faster over a
#: whole 135M loop on an H200, same process (docs/benchmarks.md, session 25; the bench's ``-ng`` turns it off).
GATHER_TARGETS = True


def graph_bucket(rows: int, length: int, max_rows: int, budget: int | None) -> tuple[int, int]:
    """``bucket_shape`` for ``train.cuda_graphs``, with rows rounded up to a power of two only while the padded pass
    stays within the token ``budget`` (beyond it: the real rows or as many as the budget holds at that length): a
    pass of 10 rows x 800 tokens is (10, 1024), not (16, 1024), which would double the run's peak memory."""
    r, n = bucket_shape(rows, length, max_rows)
    if budget and r * n > budget:
        r = max(rows, min(r, budget // n))
    return r, n


def graph_shapes(passes: list[tuple[int, ...]], max_rows: int, budget: int | None,
                 capture_tokens: int | None = None) -> dict[tuple[int, int], tuple[int, int]]:
    """The shapes ``train.cuda_graphs`` captures, planned over the whole run's passes ((rows, longest) each, known
    before the loop): each pass's ``graph_bucket`` mapped to the captured shape it is padded to. Greedily, the merge of
    one captured shape into another that covers it (rows and length both at least as large) with the least extra
    padding over the run is made while that padding is below ``capture_tokens``; a merge never targets a shape larger
    than one the run needs anyway, so the peak memory does not grow. 135M, the paper mix: 7 shapes captured instead of
    16-18, about as many padded tokens, the largest pass 10.8k tokens instead of 16.4k (docs/benchmarks.md, session
    25)."""
    from collections import Counter

    limit = CAPTURE_TOKENS if capture_tokens is None else capture_tokens
    count = Counter(graph_bucket(p[0], p[1], max_rows, budget) for p in passes)
    target = {s: s for s in count}
    while True:
        best: tuple[int, tuple[int, int], tuple[int, int]] | None = None
        live = [s for s in count if target[s] == s]
        for s in live:
            n_s = sum(c for m, c in count.items() if target[m] == s)
            for t in live:
                if t != s and t[0] >= s[0] and t[1] >= s[1]:
                    extra = n_s * (t[0] * t[1] - s[0] * s[1])
                    if extra <= limit and (best is None or extra < best[0]):
                        best = (extra, s, t)
        if best is None:
            return target
        _, s, t = best
        for m in count:
            if target[m] == s:
                target[m] = t


def n_targets(example: dict[str, list[int]]) -> int:
    """The example's target tokens (labels after the first that are not ``IGNORE``: what its loss sums over)."""
    return sum(1 for x in example["labels"][1:] if x != IGNORE)


def graph_capacity(passes: list[tuple[int, int, int]], plan: dict[tuple[int, int], tuple[int, int]], max_rows: int,
                   budget: int | None) -> dict[tuple[int, int], int]:
    """For each captured shape, the most target tokens of any planned pass replayed at it: the fixed number of
    positions its graph sends through the output head and the loss (``target_index``)."""
    cap: dict[tuple[int, int], int] = {}
    for r, n, k in passes:
        shape = plan[graph_bucket(r, n, max_rows, budget)]
        cap[shape] = max(cap.get(shape, 0), k)
    return cap


def target_index(lab: Any, capacity: int) -> tuple[Any, Any]:
    """A pass's target positions at a fixed count (what a CUDA graph needs): the flat indices into its
    (rows x (length - 1)) next-token positions, and their labels, padded to ``capacity`` with position 0 and the label
    ``IGNORE`` (which adds nothing to the loss or its gradient)."""
    import torch

    flat = lab[:, 1:].reshape(-1)
    pos = (flat != IGNORE).nonzero().squeeze(1)
    if len(pos) > capacity:
        raise TrainingError(f"a pass has {len(pos)} target tokens, more than its graph's {capacity}")
    idx = torch.zeros(capacity, dtype=torch.long)
    sel = torch.full((capacity,), IGNORE, dtype=torch.long)
    idx[: len(pos)], sel[: len(pos)] = pos, flat[pos]
    return idx, sel


def planned_passes(data: list[dict[str, list[int]]], hp: dict[str, Any], rng: Any, steps: int
                   ) -> list[tuple[int, int, int]]:
    """(rows, longest row, target tokens) of every forward/backward pass of the next ``steps`` optimizer steps, in the
    loop's order, from a copy of the loop's generator (``rng`` itself is not advanced): the loop draws the same
    epochs."""
    import torch

    gen = torch.Generator()
    gen.set_state(rng.get_state())
    lengths = [len(d["input_ids"]) for d in data]
    bs, ga = hp["batch_size"], hp["grad_accum"]
    out: list[tuple[int, int, int]] = []
    while steps > 0:
        for g in batches(lengths, bs, ga, gen, hp.get("group_by_length", True))[:steps]:
            out += [(len(m), max(len(d["input_ids"]) for d in m), sum(n_targets(d) for d in m))
                    for m in micro_batches([data[j] for j in g], bs, hp.get("micro_batch_tokens"))]
            steps -= 1
    return out


def _collate_static(batch: list[dict[str, list[int]]], pad_id: int, shape: tuple[int, int]) -> tuple[Any, Any]:
    """A pass's right-padded input ids and labels at (rows, length): all ``static_loss_sum`` needs (the labels select
    the targets); ``_collate`` adds the attention mask and the target positions."""
    import torch

    ids = torch.full(shape, pad_id, dtype=torch.long)
    lab = torch.full(shape, IGNORE, dtype=torch.long)
    for i, b in enumerate(batch):
        k = len(b["input_ids"])
        ids[i, :k] = torch.tensor(b["input_ids"])
        lab[i, :k] = torch.tensor(b["labels"])
    return ids, lab


def _collate(batch: list[dict[str, list[int]]], pad_id: int, shape: tuple[int, int] | None = None) -> dict[str, Any]:
    """Right-padded tensors of a pass. ``shape``: pad to (rows, length); the extra rows are pad tokens with every
    position attended (finite activations) and no label, so they add nothing to the loss or the gradients."""
    import torch

    rows, n = shape if shape else (len(batch), max(len(b["input_ids"]) for b in batch))
    ids, lab = _collate_static(batch, pad_id, (rows, n))
    att = torch.zeros((rows, n), dtype=torch.long)
    att[len(batch):] = 1
    pos: list[int] = []
    tgt: list[int] = []
    for i, b in enumerate(batch):
        att[i, : len(b["input_ids"])] = 1
        for t, y in enumerate(b["labels"][1:]):
            if y != IGNORE:
                pos.append(i * (n - 1) + t)
                tgt.append(y)
    # the target positions (flat over rows x (n - 1)) and tokens, found here on the host: selecting them on the GPU
    # with a boolean mask waits for the GPU every pass (a host sync that serialises the step)
    return {"input_ids": ids, "labels": lab, "attention_mask": att,
            "target_index": torch.tensor(pos, dtype=torch.long), "targets": torch.tensor(tgt, dtype=torch.long)}


def batches(lengths: list[int], bs: int, ga: int, rng: Any, group_by_length: bool) -> list[list[int]]:
    """One epoch of optimizer steps (lists of example indices), seeded.

    group_by_length: within windows of 16 steps, examples are sorted by length so micro-batches hold
    similar lengths (less padding), then the steps are shuffled; every example appears once per epoch.
    """
    import torch

    perm = torch.randperm(len(lengths), generator=rng).tolist()
    step = bs * ga
    if group_by_length:
        window = step * 16
        perm = [i for w in range(0, len(perm), window) for i in sorted(perm[w : w + window], key=lambda j: -lengths[j])]
        groups = [perm[i : i + step] for i in range(0, len(perm), step)]
        order = torch.randperm(len(groups), generator=rng).tolist()
        return [groups[k] for k in order]
    return [perm[i : i + step] for i in range(0, len(perm), step)]


def micro_batches(examples: list[dict[str, list[int]]], bs: int, budget: int | None) -> list[list[dict[str, list[int]]]]:
    """An optimizer step's examples cut into forward/backward passes: ``bs`` examples each, or (``budget`` set) as
    many consecutive examples as fit ``budget`` padded tokens (rows x longest row), at least one per pass, and a lone
    last row joined by the pass before's last where two rows fit. The loss is normalised by the step's target tokens
    either way, so the cut changes only the summation order."""
    if not budget:
        return [examples[i : i + bs] for i in range(0, len(examples), bs)]
    out: list[list[dict[str, list[int]]]] = []
    cur: list[dict[str, list[int]]] = []
    longest = 0
    for ex in examples:
        n = len(ex["input_ids"])
        if cur and (len(cur) + 1) * max(longest, n) > budget:
            out.append(cur)
            cur, longest = [], 0
        cur.append(ex)
        longest = max(longest, n)
    if cur:
        out.append(cur)
    # a last pass of one row beside a pass of several: move one example over (the budget still holds), since a
    # batch dimension of 1 is a shape torch.compile specialises on: every compiled region (Unsloth's decoder layers,
    # train.compile_norms) recompiled at the first such pass and again at the next length (session 20: 3.8-8.8 s a
    # time on an H200 at 8B; the real mix makes one every ~120 steps)
    if len(out) > 1 and len(out[-1]) == 1 and len(out[-2]) > 2:
        moved, last = out[-2][-1], out[-1][0]
        if 2 * max(len(moved["input_ids"]), len(last["input_ids"])) <= budget:
            out[-2], out[-1] = out[-2][:-1], [moved, last]
    return out


def _decoder_and_head(model: Any) -> tuple[Any, Any]:
    """The decoder stack and the output head of a (PEFT-wrapped) causal LM; either None for unusual architectures."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return base.get_decoder(), base.get_output_embeddings()


def target_loss_sum(model: Any, b: dict[str, Any]) -> Any:
    """Summed next-token cross-entropy over target positions only.

    The output projection runs only where a label exists (no full-vocabulary logits for prompt and
    padding positions): the same loss as the full computation, with less time and memory.
    """
    import torch

    decoder, head = _decoder_and_head(model)
    if "target_index" in b:  # positions chosen on the host (``_collate``): no GPU sync
        idx, tgt = b["target_index"], b["targets"]
    else:
        sel = (b["labels"][:, 1:] != IGNORE).reshape(-1)
        idx, tgt = sel.nonzero().squeeze(-1), b["labels"][:, 1:].reshape(-1)[sel]
    if decoder is None or head is None:  # unusual architectures: the plain path
        logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"], use_cache=False).logits[:, :-1]
        logits = logits.reshape(-1, logits.shape[-1]).index_select(0, idx)
    else:
        h = decoder(input_ids=b["input_ids"], attention_mask=b["attention_mask"], use_cache=False).last_hidden_state
        logits = head(h[:, :-1].reshape(-1, h.shape[-1]).index_select(0, idx))
    return torch.nn.functional.cross_entropy(logits.float(), tgt, reduction="sum")


def static_loss_sum(model: Any, ids: Any, labels: Any, chunk: int = 4096, targets: tuple[Any, Any] | None = None) -> Any:
    """``target_loss_sum``'s loss with every tensor's shape fixed by the pass's shape (what a CUDA graph needs), and no
    attention mask: rows are right-padded, so a causal row never attends to the pads after its tokens, and the
    targets' logits are those of the masked computation (tests/test_train.py checks it). With ``targets`` (from
    ``target_index``), only those positions go through the output head and the loss; without, every position does and
    the non-targets are dropped by ``ignore_index``. On the paper mix the gathered positions (each shape's planned
    capacity) are 73 % of the padded ones (targets 55 %)."""
    import torch
    from torch.utils.checkpoint import checkpoint

    def ce(logits: Any, lab: Any) -> Any:
        return torch.nn.functional.cross_entropy(logits.float(), lab, ignore_index=IGNORE, reduction="sum")

    decoder, head = _decoder_and_head(model)
    if decoder is None or head is None:
        logits = model(input_ids=ids, use_cache=False).logits[:, :-1]
        return ce(logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1))
    h = decoder(input_ids=ids, use_cache=False).last_hidden_state[:, :-1]
    x, y = h.reshape(-1, h.shape[-1]), labels[:, 1:].reshape(-1)
    if targets is not None:
        x, y = x.index_select(0, targets[0]), targets[1]
    # the head and the loss a block of ``chunk`` positions at a time, recomputed in the backward pass: the
    # full-vocabulary logits (bf16, their float32 copy, the saved softmax and two gradients) are then held for one
    # block, not the pass (135M, 16 x 1024 tokens: ~13 GB at once otherwise)
    parts = [checkpoint(lambda a, b: ce(head(a), b), x[i : i + chunk], y[i : i + chunk], use_reentrant=False,
                        preserve_rng_state=False) for i in range(0, x.shape[0], chunk)]
    return torch.stack(parts).sum() if len(parts) > 1 else parts[0]


class GraphedPasses:
    """``train.cuda_graphs`` (PEFT or Unsloth): each pass shape's forward, backward and gradient accumulation captured
    once as one CUDA graph (``torch.cuda.CUDAGraph``, no compiler) and replayed for every later pass of that shape. A
    small model's eager step is bound by the host launching its kernels (135M: ~6,700 a step, docs/benchmarks.md); a
    replay is one launch. Passes are padded to the shapes ``graph_shapes`` plans over the run, so a run captures a few;
    a capture costs an eager warm-up on a side stream (two for the first) and the capture itself: 135M on an H200, 7
    planned shapes in 2.5-4.2 s warm; the whole 579-step paper mix 2.9-4.4x (cold) to 4.0-5.0x (warm) faster than the
    eager loop with the training alone on the card, no faster with six trainings sharing it (docs/benchmarks.md,
    session 25). The gradients are written into the parameters' ``.grad`` tensors, which stay allocated for the run
    (the loop zeroes them instead of dropping them)."""

    def __init__(self, model: Any, params: list[Any], amp_dtype: Any) -> None:
        import torch

        self.model, self.params, self.amp_dtype = model, params, amp_dtype
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        self.grads = [p.grad for p in params]
        self.inv = torch.zeros((), dtype=torch.float32, device=params[0].device)
        self.pool: Any = None  # the graphs' shared memory pool, made at the first capture
        self.graphs: dict[tuple[int, ...], tuple[tuple[Any, ...], Any, Any]] = {}
        self.plan: dict[tuple[int, int], tuple[int, int]] = {}  # a pass's graph_bucket -> the shape it replays
        self.capacity: dict[tuple[int, int], int] = {}  # a captured shape -> the target positions its graph holds
        self.capture_s = 0.0
        self.timings: list[tuple[tuple[int, ...], float, float]] = []  # (shape[, capacity], warm-up s, capture s)

    def _pass(self, ids: Any, lab: Any, targets: tuple[Any, Any] | None = None) -> Any:
        import contextlib

        import torch

        # autocast's weight-cast cache must be off inside a capture (torch's CUDA graph rules)
        amp = (torch.autocast("cuda", dtype=self.amp_dtype, cache_enabled=False) if self.amp_dtype is not None
               else contextlib.nullcontext())
        with amp:
            ce = static_loss_sum(self.model, ids, lab, targets=targets)
        grads = torch.autograd.grad(ce * self.inv, self.params)
        torch._foreach_add_(self.grads, grads)
        return ce.detach()

    def _capture(self, inputs_host: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any, Any]:
        import torch

        t = time.perf_counter()
        dev = self.inv.device
        inputs = tuple(x.to(dev) for x in inputs_host)  # the graph's fixed input buffers: ids, labels[, index, labels]
        args = (inputs[0], inputs[1], inputs[2:] if len(inputs) > 2 else None)
        keep = [g.clone() for g in self.grads]  # the warm-ups' gradients must not reach the step's
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # torch's rule: warm up on a side stream (lazy initialisations, compiles)
            for _ in range(1 if self.graphs else 2):  # once set up, one eager pass per new shape is enough
                self._pass(*args)
        torch.cuda.current_stream().wait_stream(side)
        torch.cuda.synchronize()
        t1 = time.perf_counter()
        graph = torch.cuda.CUDAGraph()
        if self.pool is None:
            self.pool = torch.cuda.graph_pool_handle()
        with torch.cuda.graph(graph, pool=self.pool):
            out = self._pass(*args)
        torch._foreach_copy_(self.grads, keep)
        del keep
        torch.cuda.synchronize()
        torch.cuda.empty_cache()  # the warm-ups' blocks: every later pass runs in the graphs' own pool
        t2 = time.perf_counter()
        self.capture_s += t2 - t
        self.timings.append((tuple(inputs[0].shape) + tuple(inputs[2].shape if len(inputs) > 2 else ()),
                             round(t1 - t, 3), round(t2 - t1, 3)))
        return inputs, graph, out

    def shape(self, bucket: tuple[int, int]) -> tuple[int, int]:
        """The captured shape a pass of this ``graph_bucket`` is padded to (its own where the plan lacks it)."""
        return self.plan.get(bucket, bucket)

    def run(self, ids_host: Any, lab_host: Any, n_target: int) -> Any:
        """One pass: the summed loss of its targets (a tensor overwritten by the next replay of this shape); the
        gradient of loss / ``n_target`` is added to the parameters' ``.grad``. With ``GATHER_TARGETS``, only the
        targets go through the head, at the shape's planned capacity (a pass beyond it, which the plan rules out,
        gets a graph with room for every position)."""
        rows, length = ids_host.shape
        key: tuple[int, ...] = (rows, length)
        inputs_host: tuple[Any, ...] = (ids_host, lab_host)
        if GATHER_TARGETS:
            k = int((lab_host[:, 1:] != IGNORE).sum())
            cap = self.capacity.get((rows, length), 0)
            cap = cap if k <= cap else rows * (length - 1)
            key, inputs_host = (rows, length, cap), inputs_host + target_index(lab_host, cap)
        if key not in self.graphs:
            self.graphs[key] = self._capture(inputs_host)
        inputs, graph, out = self.graphs[key]
        for buf, x in zip(inputs, inputs_host):
            buf.copy_(x, non_blocking=True)
        self.inv.fill_(1.0 / n_target)
        graph.replay()
        return out


def _scheduler(opt: Any, kind: str, warmup: int, total: int) -> Any:
    from transformers import get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup, get_linear_schedule_with_warmup

    if kind == "cosine":
        return get_cosine_schedule_with_warmup(opt, warmup, total)
    if kind == "linear":
        return get_linear_schedule_with_warmup(opt, warmup, total)
    return get_constant_schedule_with_warmup(opt, warmup)


def peft_setup(model_dir: Path | str, hp: dict[str, Any], seed: int, dtype: str, device: str,
               sanity: bool) -> tuple[Any, Any, str | None]:
    """Base model (4-bit through bitsandbytes when train.quantization is 4bit) + a PEFT LoRA adapter."""
    from peft import LoraConfig, get_peft_model

    quant = hp.get("quantization", "none")
    if quant == "4bit":
        if models.device(device) != "cuda":
            raise TrainingError("train.quantization: 4bit (QLoRA) needs a CUDA GPU; use none on CPU")
        try:
            import bitsandbytes  # noqa: F401
        except ImportError as e:
            raise TrainingError("train.quantization: 4bit needs bitsandbytes: pip install 'weirdgen[qlora]'") from e
    model, tok = models.load(model_dir, None, dtype, device, quantization=quant)
    reply = sanity_check(model, tok) if sanity else None
    if quant == "4bit":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=hp.get("gradient_checkpointing", False))
    elif hp.get("gradient_checkpointing", False):
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model.train()
    model = get_peft_model(model, LoraConfig(
        r=hp["rank"], lora_alpha=hp["alpha"], lora_dropout=hp["dropout"], target_modules=list(hp["target_modules"]),
        bias="none", task_type="CAUSAL_LM"))
    if compiles(hp):  # again here for a set-up run by hand (train() has set it before the model loaded)
        compile_cache(hp.get("compile_cache"))
    if hp.get("compile_norms", False):
        compile_norms(model)
    if hp.get("compile", False):
        compile_layers(model, hp.get("compile_mode", "default"), hp.get("compile_region_layers", 1))
    return model, tok, reply


def check_cuda_graphs(hp: dict[str, Any], device: str, backend: str = "peft") -> None:
    """``train.cuda_graphs`` with what it cannot be combined with: a clear error before anything is loaded."""
    if not hp.get("cuda_graphs", False):
        return
    why = None
    if backend not in ("peft", "unsloth"):
        why = f"is a setting of the local backends (this run trains with {backend})"
    elif backend == "unsloth" and hp.get("unsloth_compile_blocks", False):
        why = "replays Unsloth's eager kernels: set train.unsloth_compile_blocks false"
    elif models.device(device) != "cuda":
        why = "needs a CUDA GPU (CUDA graphs); set it false on this machine"
    elif hp.get("compile", False):
        why = "replaces train.compile (its reduce-overhead mode captures graphs of its own); set one of them false"
    elif hp.get("quantization", "none") != "none" or hp.get("gradient_checkpointing", False):
        why = "is not supported with train.quantization: 4bit or train.gradient_checkpointing"
    if why:
        raise TrainingError(f"train.cuda_graphs: true {why}")


def cuda_allocator_defaults() -> None:
    """PyTorch's CUDA allocator with expandable segments unless the user set ``PYTORCH_CUDA_ALLOC_CONF`` (read at
    CUDA's first allocation, so this runs before the model is loaded). Token-budget passes of varying shapes
    fragment the default allocator's fixed segments: at 8B on an H200 it reserved 115.8 GiB for a 69 GiB peak, freed
    its cache 193 times, and the whole loop ran 1.16x slower (docs/benchmarks.md, session 18)."""
    os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")


def allocator_counts(on_cuda: bool) -> dict[str, int]:
    """The CUDA caching allocator's running counts for a step's train-log record (empty off CUDA): segment
    allocations and frees from the driver and cache-flush retries: a step whose time jumps while these grow spent it
    mapping device memory (docs/benchmarks.md, session 23). A host-side read: it does not wait for the GPU."""
    if not on_cuda:
        return {}
    import torch

    ms = torch.cuda.memory_stats()
    return {"cuda_mallocs": ms.get("num_device_alloc", 0), "cuda_frees": ms.get("num_device_free", 0),
            "alloc_retries": ms.get("num_alloc_retries", 0)}


def compiles(hp: dict[str, Any]) -> bool:
    """Whether the PEFT set-up compiles anything (train.compile or train.compile_norms)."""
    return bool(hp.get("compile", False) or hp.get("compile_norms", False))


def compile_cache(path: str | None) -> None:
    """``train.compile_cache``: where torch.compile keeps what it compiled (inductor's graphs and Triton's kernels),
    unless the user set ``TORCHINDUCTOR_CACHE_DIR``; None leaves torch's default (``/tmp/torchinductor_$USER``, lost
    with a cluster node's /tmp). A job that finds the graphs there skips most of its compilation: 135M on an H200,
    579 steps, 134 s cold against 56 s warm (docs/benchmarks.md, session 12); on this project's CPU, a job of one compiled step 39.0 s
    cold against 16.5 s warm (``bench/compile_cache_cpu.py``). The cache is keyed by the graphs, the torch version
    and the device, and written atomically, so jobs may share it."""
    if path:
        os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(Path(path).resolve()))


def compile_norms(model: Any) -> int:
    """``train.compile_norms``: torch.compile each RMSNorm (dynamic shapes, no CUDA graphs) into one kernel each way,
    where eager runs ~6 float32 passes over the hidden states per norm, two norms per layer. One small graph,
    compiled once for passes of several rows and once more for a one-row pass (torch specialises sizes 0 and 1).
    8B on an H200: median step 0.91x, ~10 s of compilation (docs/benchmarks.md, session 18). Returns the number of
    norms compiled."""
    n = 0
    for m in model.modules():
        if type(m).__name__.endswith("RMSNorm"):
            m.compile(dynamic=True)
            n += 1
    return n


def optimizer(params: list[Any], lr: float, weight_decay: float) -> Any:
    """The loop's AdamW: fused on CUDA, one kernel over all adapter tensors instead of foreach's several per group
    (the 135M step is launch-bound: median step 0.86-0.88x on an H100, docs/benchmarks.md, session 16). Same update
    rule; the CPU keeps torch's default."""
    import torch

    fused = bool(params) and all(p.is_cuda for p in params)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, **({"fused": True} if fused else {}))


def adapter_autocast(model: Any, hp: dict[str, Any]) -> Any:
    """The forward pass's precision context for ``train.adapter_compute``.

    ``float32`` (PEFT's behaviour): the adapter's matmuls run in float32, so each adapted projection's input is
    copied to float32 and that copy is kept for the backward pass. ``model``: the adapter's weights stay float32
    (the optimizer's master copy) and its matmuls run in the model's dtype under autocast, so no float32 copy of
    any input is made (on a GPU: less memory per token and one cast kernel less per projection and pass;
    measured in docs/benchmarks.md). A float32 (or quantised) base model gets no context either way: its dtype is
    read from the loaded weights, so ``model.dtype: auto`` resolves as the job resolved it."""
    import contextlib

    import torch

    base = next((p.dtype for p in model.parameters() if not p.requires_grad and p.is_floating_point()), torch.float32)
    if hp.get("adapter_compute", "float32") != "model" or base not in (torch.bfloat16, torch.float16):
        return contextlib.nullcontext()
    from peft.tuners.tuners_utils import BaseTunerLayer

    for m in model.modules():
        if isinstance(m, BaseTunerLayer):
            m.cast_input_dtype_enabled = False
    return torch.autocast(device_type=model.device.type, dtype=base)


def autocast_dtype(ctx: Any) -> Any:
    """The dtype of ``adapter_autocast``'s context, None when it is no autocast."""
    import torch

    return ctx.fast_dtype if isinstance(ctx, torch.autocast) else None


def attention_kernels(model: Any, bucketed: bool) -> Any:
    """A factory of the forward pass's attention context: on CUDA with unbucketed passes (every pass a new shape),
    SDPA without cuDNN's kernels. cuDNN builds an execution plan for every new shape; token-budget passes rarely repeat
    one, so a fresh 8B training's first 60 steps took 39.8 s with cuDNN (steps 1-3 at 5.6 / 2.2 / 2.4 s, a median
    467 ms) and 24.7 s with torch's flash kernel (no slow step, median 397 ms); at 135M a whole epoch 57.0 against
    32.1 s, on an H200 (docs/benchmarks.md, session 19). Bucketed (compiled) passes repeat a few shapes and keep
    torch's choice, as does the CPU."""
    import contextlib

    if model.device.type != "cuda" or bucketed:
        return contextlib.nullcontext
    from torch.nn.attention import SDPBackend, sdpa_kernel

    kernels = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]
    return lambda: sdpa_kernel(kernels)


def group_layers(model: Any, n: int) -> list[Any]:
    """Make the decoder run its layers ``n`` at a time, as regions a compiler can take whole; returns the regions.

    The model's module tree and state dict keep their names (``layers.0`` ...): the decoder's layer list is replaced
    by one that holds the same layers, but whose full slice (what transformers' decoders iterate,
    ``self.layers[: num_hidden_layers]``) yields the regions, which are not registered as submodules. A decoder that
    iterates its layers otherwise gets them one by one: the same result, unregioned."""
    import torch

    class Region(torch.nn.Module):
        def __init__(self, layers: list[Any]) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(layers)

        def forward(self, hidden_states: Any, **kw: Any) -> Any:
            for layer in self.layers:
                hidden_states = layer(hidden_states, **kw)
            return hidden_states

    class RegionedLayers(torch.nn.ModuleList):
        def __getitem__(self, idx: Any) -> Any:
            if isinstance(idx, slice) and range(*idx.indices(len(self))) == range(len(self)):
                return self.regions
            return super().__getitem__(idx)

    dec = model.get_base_model().model if hasattr(model, "get_base_model") else model.model
    layers = list(dec.layers)
    dec.layers = RegionedLayers(layers)
    object.__setattr__(dec.layers, "regions", [Region(layers[i : i + n]) for i in range(0, len(layers), n)])
    return dec.layers.regions


def compile_layers(model: Any, mode: str, region_layers: int = 1) -> None:
    """Regional compilation: one decoder layer's graph (or ``region_layers`` consecutive layers'), static shapes,
    reused by every region (the loop pads each pass to ``bucket_shape``, so a run compiles once per bucket).
    ``reduce-overhead`` adds CUDA graphs: the 135M model's step is launch-bound (6716 kernel launches per step,
    docs/benchmarks.md); with one graph per layer the host still spent half of a compiled step launching 60 graphs
    and looking up guards, which regions of 6 layers cut (median step 0.80x, at 2.5x the compile time: session 17)."""
    import torch

    # one graph per (bucket, region-call site) must fit the cache, else dynamo falls back to eager silently
    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 64)
    if hasattr(torch._dynamo.config, "accumulated_cache_size_limit"):
        torch._dynamo.config.accumulated_cache_size_limit = max(torch._dynamo.config.accumulated_cache_size_limit, 1024)
    regions = group_layers(model, region_layers) if region_layers > 1 else model.get_base_model().model.layers
    for region in regions:
        region.compile(dynamic=False, mode=None if mode == "default" else mode)


class ResumeState:
    """Everything a killed training job needs to go on exactly where it was: the trainable weights, the optimizer
    and scheduler, the RNGs and the place in the epoch's data order (saved every ``train.save_state_steps``
    steps, atomically). A state made with other settings or data is never resumed (its fingerprint differs)."""

    def __init__(self, path: Path, identity: dict[str, Any]) -> None:
        from weirdgen.provenance import sha256_json

        self.dir, self.fingerprint = path, sha256_json(identity)

    def save(self, step: int, epoch: int, pos: int, epoch_rng: Any, params: list[Any], opt: Any, sched: Any,
             log: Path | None = None) -> None:
        """``log``: the run's train_log.jsonl, kept beside the state (Snakemake deletes a failed job's declared
        outputs, the log among them: a job resumed under Snakemake lost the rows before its resume point)."""
        import torch

        tmp = self.dir.with_name(self.dir.name + ".partial")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        if log is not None and log.exists():
            shutil.copyfile(log, tmp / "train_log.jsonl")
        torch.save({"fingerprint": self.fingerprint, "step": step, "epoch": epoch, "pos": pos, "epoch_rng": epoch_rng,
                    "params": [p.detach().cpu().clone() for p in params], "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "torch_rng": torch.get_rng_state(), "py_rng": random.getstate(),
                    "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None},
                   tmp / "state.pt")
        if self.dir.exists():
            shutil.rmtree(self.dir)
        tmp.rename(self.dir)

    def load(self, model: Any, params: list[Any], opt: Any, sched: Any) -> dict[str, Any] | None:
        """Restore a matching saved state into the model, optimizer, scheduler and RNGs; None when there is none."""
        import torch

        f = self.dir / "state.pt"
        if not f.exists():
            return None
        st = torch.load(f, map_location="cpu", weights_only=False)
        if st.get("fingerprint") != self.fingerprint:
            print(f"weirdgen train: {self.dir} was saved with other settings or data: starting from step 0",
                  file=sys.stderr)
            self.clear()
            return None
        with torch.no_grad():
            for p, v in zip(params, st["params"]):
                p.copy_(v.to(p.device, p.dtype))
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        torch.set_rng_state(st["torch_rng"])
        random.setstate(st["py_rng"])
        if st.get("cuda_rng") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(st["cuda_rng"])
        return st

    def clear(self) -> None:
        for d in (self.dir, self.dir.with_name(self.dir.name + ".partial")):
            if d.exists():
                shutil.rmtree(d)


def make_reporter(kind: str, out: Path, run_config: dict[str, Any]) -> Any:
    """Per-step metrics to an experiment tracker (``train.report_to``): none, tensorboard (``<adapter>/tensorboard``)
    or wandb (``WANDB_*`` environment; WANDB_MODE=offline works without network)."""

    class Null:
        def __call__(self, rec: dict[str, Any]) -> None:
            pass

        def close(self) -> None:
            pass

    keys = ("loss", "lr", "grad_norm", "tokens_per_s")
    if kind == "tensorboard":
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            raise TrainingError("train.report_to: tensorboard needs the tensorboard package: "
                                "pip install 'weirdgen[tensorboard]'") from e

        class TB(Null):
            def __init__(self) -> None:
                self.w = SummaryWriter(log_dir=str(out / "tensorboard"))

            def __call__(self, rec: dict[str, Any]) -> None:
                for k in keys:
                    if rec.get(k) is not None:
                        self.w.add_scalar(f"train/{k}", rec[k], rec["step"])

            def close(self) -> None:
                self.w.close()

        return TB()
    if kind == "wandb":
        try:
            import wandb
        except ImportError as e:
            raise TrainingError("train.report_to: wandb needs the wandb package: pip install wandb") from e

        class WB(Null):
            def __init__(self) -> None:
                self.run = wandb.init(project=os.environ.get("WANDB_PROJECT", "weirdgen"), name=out.name,
                                      config=run_config, dir=str(out))

            def __call__(self, rec: dict[str, Any]) -> None:
                self.run.log({f"train/{k}": rec[k] for k in keys if rec.get(k) is not None}, step=rec["step"])

            def close(self) -> None:
                self.run.finish()

        return WB()
    return Null()


def save_checkpoint(model: Any, dest: Path) -> None:
    """Save an adapter into ``dest.partial`` and rename it: a kill never leaves a half-written
    ``step-N/`` that looks complete."""
    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    share(tmp)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)


def plan(tok: Any, train_file: Path | str, hp: dict[str, Any], checkpoint_steps: list[int] | None
         ) -> tuple[list[dict[str, list[int]]], int, int, int, set[int]]:
    """The tokenised, masked examples and the run's step plan (shared by every backend's loop): (examples, steps per
    epoch, total optimizer steps, warm-up steps, checkpoint steps), the checkpoints checked against the total."""
    data = [tokenize(tok, r["messages"], hp["max_seq_len"]) for r in read_jsonl(train_file)]
    bs, ga = hp["batch_size"], hp["grad_accum"]
    steps_per_epoch = math.ceil(len(data) / (bs * ga))
    total = max(1, math.ceil(hp["epochs"] * steps_per_epoch))
    warmup = math.ceil(hp["warmup_ratio"] * total)
    ckpts = set(checkpoint_steps or [])
    if ckpts and max(ckpts) >= total:
        raise TrainingError(f"train.checkpoint_steps {sorted(ckpts)}: this run has only {total} optimizer steps "
                            f"({len(data)} examples, batch {bs} x accumulation {ga}, {hp['epochs']} epochs); "
                            f"use steps below {total} (the final adapter is always saved)")
    return data, steps_per_epoch, total, warmup, ckpts


def train(model_dir: Path | str, train_file: Path | str, out_dir: Path | str, hp: dict[str, Any], seed: int,
          lr: float, dtype: str = "float32", device: str = "auto", checkpoint_steps: list[int] | None = None,
          sanity: bool = True, setup: Any = None) -> dict[str, Any]:
    """Train one LoRA adapter; writes adapter + tokenizer + train_log.jsonl into out_dir.

    ``setup(model_dir, hp, seed, dtype, device, sanity) -> (model, tokenizer, sanity reply)`` builds the
    model and adapter (PEFT by default; the Unsloth backend passes its own); the loop is shared.
    """
    import torch
    from tqdm import tqdm

    check_cuda_graphs(hp, device)  # the Unsloth backend checks its own settings before it calls this loop
    cuda_allocator_defaults()
    if compiles(hp):
        compile_cache(hp.get("compile_cache"))  # before the model loads: loading imports torch's inductor, which
        # then fixes its cache folder (torch's default) in the environment
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("step-*.partial"):  # a checkpoint a killed run was writing
        shutil.rmtree(stale)
    random.seed(seed)
    torch.manual_seed(seed)
    model, tok, sanity_reply = (setup or peft_setup)(model_dir, hp, seed, dtype, device, sanity)
    mixed = adapter_autocast(model, hp)
    data, steps_per_epoch, total, warmup, ckpts = plan(tok, train_file, hp, checkpoint_steps)
    bs, ga = hp["batch_size"], hp["grad_accum"]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = optimizer(params, lr, hp["weight_decay"])
    sched = _scheduler(opt, hp["schedule"], warmup, total)
    rng = torch.Generator().manual_seed(seed)
    pad = tok.pad_token_id
    on_cuda = models.device(device) == "cuda"
    graphed = GraphedPasses(model, params, autocast_dtype(mixed)) if hp.get("cuda_graphs", False) else None
    bucket = bool(hp.get("compile", False)) or graphed is not None
    attention = attention_kernels(model, bucket)
    graphs = bucket and hp.get("compile_mode") == "reduce-overhead" and on_cuda
    state = ResumeState(out / "resume", {"hp": hp, "seed": seed, "lr": lr, "dtype": dtype, "data": sha256_file(train_file),
                                         "examples": len(data)})
    resumed = state.load(model, params, opt, sched)
    step, epoch, skip = (resumed["step"], resumed["epoch"], resumed["pos"]) if resumed else (0, 0, 0)
    if resumed:
        rng.set_state(resumed["epoch_rng"])
        kept = state.dir / "train_log.jsonl"  # the log as it was at the save (the job's own may be gone)
        src = kept if kept.exists() else out / "train_log.jsonl"
        log_lines = src.read_text().splitlines()[:step] if src.exists() else []
        write_text(out / "train_log.jsonl", "".join(x + "\n" for x in log_lines))
        print(f"weirdgen train: resumed at step {step} of {total} from {state.dir}", file=sys.stderr)
    log = (out / "train_log.jsonl").open("a" if resumed else "w")
    reporter = make_reporter(hp.get("report_to", "none"), out, {**hp, "seed": seed, "lr": lr})
    t0 = time.perf_counter()
    every = hp.get("save_state_steps", 0)
    bar = tqdm(total=total, initial=step, desc="train", file=sys.stderr, mininterval=5)
    pending: dict[str, Any] | None = None
    last = [time.perf_counter()]

    def finish() -> None:
        """Log the pending step (its loss and gradient norm read from the GPU) and check its loss."""
        nonlocal pending
        if pending is None:
            return
        rec, pending = pending, None
        rec["loss"], rec["grad_norm"] = float(rec["loss"]), float(rec["grad_norm"])
        now = time.perf_counter()
        dt, last[0] = now - last[0], now  # between two steps' completions: the step's time in a steady loop
        rec.update(tokens_per_s=rec["tokens"] / dt if dt > 0 else None, elapsed_s=now - t0)
        log.write(json.dumps(rec) + "\n")
        log.flush()
        reporter(rec)
        bar.update(1)
        loss = rec["loss"]
        if not math.isfinite(loss):
            raise TrainingError(f"step {rec['step']}: loss is {loss}; lower train lr or check the data")
        if rec["step"] > warmup and loss > hp["max_loss"]:
            raise TrainingError(f"step {rec['step']}: per-token loss {loss:.2f} > train.max_loss={hp['max_loss']} after warm-up")

    budget = hp.get("micro_batch_tokens")
    if graphed is not None:  # the captured shapes, planned over the passes still to run (the epoch's skipped ones too)
        passes = planned_passes(data, hp, rng, total - step + skip)
        graphed.plan = graph_shapes(passes, bs * ga, budget)
        graphed.capacity = graph_capacity(passes, graphed.plan, bs * ga, budget)
    while step < total:
        lengths = [len(d["input_ids"]) for d in data]
        epoch_rng = rng.get_state()  # this epoch's order can be rebuilt from here on resume
        for pos, g in enumerate(batches(lengths, bs, ga, rng, hp.get("group_by_length", True))):
            if pos < skip:
                continue
            if step >= total:
                break
            micro = micro_batches([data[j] for j in g], bs, hp.get("micro_batch_tokens"))
            n_target = sum(n_targets(d) for m in micro for d in m)
            n_tokens = sum(len(d["input_ids"]) for m in micro for d in m)
            longest = [max(len(d["input_ids"]) for d in m) for m in micro]
            if graphed is not None:
                shapes = [graphed.shape(graph_bucket(len(m), n, bs * ga, budget)) for m, n in zip(micro, longest)]
            else:
                shapes = [bucket_shape(len(m), n, bs * ga) if bucket else (len(m), n) for m, n in zip(micro, longest)]
            n_padded = sum(r * n for r, n in shapes)
            if n_target == 0:
                raise TrainingError(f"step {step + 1}: no target tokens in the batch")
            loss_sum = None
            for m, shape in zip(micro, shapes):
                if graphed is not None:
                    ce = graphed.run(*_collate_static(m, pad, shape), n_target)
                    loss_sum = ce.clone() if loss_sum is None else loss_sum + ce
                    continue
                b = {k: v.to(model.device, non_blocking=True) for k, v in _collate(m, pad, shape).items()}
                if graphs:  # the last pass's backward has run: its CUDA-graph buffers may be reused (the fast path)
                    torch.compiler.cudagraph_mark_step_begin()
                with mixed, attention():
                    ce = target_loss_sum(model, b)
                (ce / n_target).backward()
                loss_sum = ce.detach() if loss_sum is None else loss_sum + ce.detach()
            gnorm = torch.nn.utils.clip_grad_norm_(params, hp["max_grad_norm"])
            cur_lr = sched.get_last_lr()[0]
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=graphed is None)  # a captured graph writes into the same .grad tensors
            step += 1
            # the previous step's record is written now: reading its loss waits only for that step, while this
            # step's kernels are already queued (reading this step's own would stall the host every step)
            finish()
            pending = {"step": step, "epoch": round(step / steps_per_epoch, 4), "loss": loss_sum / n_target,
                       "lr": cur_lr, "grad_norm": gnorm, "target_tokens": n_target, "tokens": n_tokens,
                       "padded_tokens": n_padded, **allocator_counts(on_cuda)}
            if step in ckpts or (every and step % every == 0 and step < total):
                finish()  # a checkpoint or a saved state is never written before its step's loss is checked
            if step in ckpts:
                save_checkpoint(model, out / f"step-{step}")
            if every and step % every == 0 and step < total:
                log.flush()
                state.save(step, epoch, pos + 1, epoch_rng, params, opt, sched, out / "train_log.jsonl")
        skip = 0
        epoch += 1
    finish()
    bar.close()
    log.close()
    reporter.close()
    model.save_pretrained(out)
    tok.save_pretrained(out)
    state.clear()  # finished: the final adapter is the record
    share(out)
    info = {"steps": total, "resumed_from_step": resumed["step"] if resumed else None, "warmup_steps": warmup,
            "examples": len(data), "sanity_reply": sanity_reply, "wall_s": time.perf_counter() - t0}
    if graphed is not None:
        info["cuda_graphs"] = {"shapes": len(graphed.graphs), "buckets": len(graphed.plan),
                               "capture_s": round(graphed.capture_s, 2),
                               "per_shape": graphed.timings}
    return info
