"""GPU training-throughput benchmark on the Llama-3.1-8B architecture (random bf16 weights), LoRA r=8 on
all 7 projections, batches drawn from the real length distribution of the mix (bench/mix_lengths.json).

Compares, in one process on one card: (a) the naive baseline — random batches of 8 padded to the
longest, full-vocabulary logits; (b) weirdgen's path — length-grouped micro-batches filled to a token
budget, loss computed only at target positions (no full logits), optionally gradient checkpointing.
Reports real (non-padding) tokens/s, padding share, MFU (4 x params FLOPs per real token over the
measured bf16 matmul peak) and peak memory. Throughput does not depend on weight values.

    python bench/train_gpu.py --out $OUT/train_gpu.json
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F


def matmul_peak() -> float:
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    t = time.perf_counter()
    n = 20
    for _ in range(n):
        a @ b
    torch.cuda.synchronize()
    return 2 * 8192**3 * n / (time.perf_counter() - t)


def build(gc: bool):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, LlamaConfig

    cfg = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=131072,
                      rms_norm_eps=1e-5, tie_word_embeddings=False)
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(cfg, attn_implementation="sdpa", dtype=torch.bfloat16)
    n_params = sum(p.numel() for p in model.parameters())
    if gc:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, task_type="CAUSAL_LM",
                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    return model, n_params


def make_batch(lens: list[int], target_frac: float = 0.6):
    n = max(lens)
    ids = torch.randint(0, 128000, (len(lens), n), device="cuda")
    att = torch.zeros((len(lens), n), dtype=torch.long, device="cuda")
    lab = torch.full((len(lens), n), -100, dtype=torch.long, device="cuda")
    for i, k in enumerate(lens):
        att[i, :k] = 1
        start = int(k * (1 - target_frac))
        lab[i, start:k] = ids[i, start:k]
    return ids, att, lab


def step_naive(model, batches):
    for ids, att, lab in batches:
        logits = model(input_ids=ids, attention_mask=att, use_cache=False).logits
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), lab[:, 1:].reshape(-1), ignore_index=-100)
        loss.backward()


def step_targets_only(model, batches):
    base = model.get_base_model()
    for ids, att, lab in batches:
        h = base.model(input_ids=ids, attention_mask=att, use_cache=False).last_hidden_state
        tgt = lab[:, 1:]
        sel = tgt != -100
        logits = base.lm_head(h[:, :-1][sel])
        loss = F.cross_entropy(logits.float(), tgt[sel])
        loss.backward()


def run(model, plan, fn, opt, warm=3, steps=16):  # noqa: C901
    """plan: list of optimizer steps, each a list of micro-batch length lists."""
    torch.cuda.reset_peak_memory_stats()
    real = padded = 0
    t = None
    for k, micro in enumerate(plan[: warm + steps]):
        if k == warm:
            torch.cuda.synchronize()
            t = time.perf_counter()
        batches = [make_batch(m) for m in micro]
        fn(model, batches)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if k >= warm:
            real += sum(sum(m) for m in micro)
            padded += sum(len(m) * max(m) for m in micro)
    torch.cuda.synchronize()
    dt = time.perf_counter() - t
    return {"real_tokens_per_s": real / dt, "padding_share": 1 - real / padded, "peak_gb": torch.cuda.max_memory_allocated() / 1e9,
            "step_s": dt / steps}


def measure(model, plan, fn, opt, label, n_params, peak):
    """run() labelled, with MFU; None (and a line) when the variant runs out of memory."""
    try:
        r = run(model, plan, fn, opt)
    except torch.OutOfMemoryError:
        print(f"{label}: out of memory", flush=True)
        opt.zero_grad(set_to_none=True)
        torch.cuda.empty_cache()
        return None
    r.update(variant=label, mfu=4 * n_params * r["real_tokens_per_s"] / peak)
    print(f"{label}: {r['real_tokens_per_s']:.0f} real tok/s, MFU {r['mfu']:.1%}, padding {r['padding_share']:.0%}, "
          f"peak {r['peak_gb']:.0f} GB", flush=True)
    return r


def naive_plan(lengths, rng, n_steps, bs=8):
    return [[rng.sample(lengths, bs)] for _ in range(n_steps)]


def budget_plan(lengths, rng, n_steps, budget, window=512):
    """Length-grouped micro-batches filled up to `budget` padded tokens; one micro-batch per step."""
    plan = []
    while len(plan) < n_steps:
        w = sorted(rng.sample(lengths, window), reverse=True)
        cur: list[int] = []
        for x in w:
            if cur and (len(cur) + 1) * cur[0] > budget:
                plan.append([cur])
                cur = []
            cur.append(x)
        if cur:
            plan.append([cur])
    rng.shuffle(plan)
    return plan[:n_steps]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lengths", default="bench/mix_lengths.json")
    ap.add_argument("--budgets", default="8192,16384,32768")
    ap.add_argument("--out", default=None)
    ap.add_argument("--liger", action="store_true", help="also run with Liger's fused Triton kernels (RMSNorm, RoPE, SwiGLU)")
    ap.add_argument("--compile", action="store_true", help="also run with each decoder layer compiled (torch.compile, dynamic shapes)")
    ap.add_argument("--only-compile", action="store_true", help="run only the naive baseline and the compiled variants")
    a = ap.parse_args()
    lengths = json.loads(Path(a.lengths).read_text())["lengths"]
    rng = random.Random(0)
    peak = matmul_peak()
    print(f"device {torch.cuda.get_device_name()}; bf16 matmul peak {peak / 1e12:.0f} TFLOP/s", flush=True)
    rows = []
    budgets = [int(b) for b in a.budgets.split(",")]
    configs = [(False, False, True, budgets[:1], False), (True, False, False, budgets, False)]
    if a.liger:
        configs += [(False, True, False, budgets[:1], False), (True, True, False, budgets[1:2], False)]
    if a.only_compile:
        configs = [(False, False, True, budgets[:1], False)]
    if a.compile or a.only_compile:
        configs += [(False, False, False, budgets[:1], True), (True, False, False, budgets[1:2], True)]
    for gc, liger, with_naive, bud, compiled in configs:
        if liger:
            from liger_kernel.transformers import apply_liger_kernel_to_llama

            apply_liger_kernel_to_llama(rope=True, rms_norm=True, swiglu=True, cross_entropy=False,
                                        fused_linear_cross_entropy=False)
        model, n_params = build(gc)
        if compiled:  # regional compilation: one decoder layer's graph, reused by all 32
            for layer in model.get_base_model().model.layers:
                layer.compile(dynamic=True)
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        naive = [("naive: batch 8 padded, full logits", naive_plan(lengths, rng, 20), step_naive)] if with_naive else []
        variants = naive + [(f"grouped, {b} token budget, target-only logits", budget_plan(lengths, rng, 20, b), step_targets_only)
                            for b in bud] + [(n + " (repeat)", p, f) for n, p, f in naive]
        for name, plan, fn in variants:
            label = name + (", grad checkpointing" if gc else "") + (", Liger kernels" if liger else "") + \
                (", layers compiled" if compiled else "")
            r = measure(model, plan, fn, opt, label, n_params, peak)
            if r is not None:
                rows.append(r)
        del model, opt
        torch.cuda.empty_cache()
    naive_rows = [r for r in rows if r["variant"].startswith("naive")]
    base = max(naive_rows, key=lambda r: r["real_tokens_per_s"]) if naive_rows else None  # the faster naive run
    print("\n| variant | real tokens/s | vs naive | MFU | padding | peak GB |\n|---|---|---|---|---|---|")
    for r in rows:
        ratio = r["real_tokens_per_s"] / base["real_tokens_per_s"] if base else float("nan")
        print(f"| {r['variant']} | {r['real_tokens_per_s']:.0f} | {ratio:.2f}x | {r['mfu']:.1%} | {r['padding_share']:.0%} | {r['peak_gb']:.0f} |")
    if a.out:
        Path(a.out).write_text(json.dumps({"device": torch.cuda.get_device_name(), "peak_flops": peak, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
