"""Where a training step's time goes on a GPU: the product's own `weirdgen.train.peft_backend.train` on the real
paper-protocol mix (whole-run tokens/s from its log), then the same step (micro_batches, _collate,
target_loss_sum, clip, AdamW) timed phase by phase with CUDA synchronisation and profiled (top operators, kernel
launches). Random-init weights of the model's architecture (timing only).

    python bench/train_step_gpu.py --model-dir DIR_WITH_CONFIG_AND_TOKENIZER --data train.jsonl --steps 60 \
        [--compile] [--no-profile] [--arch llama-3.1-8b --micro-batch-tokens 4096]

Variants, one process, the same steps: the naive loop (micro_batch_tokens null: batch_size examples per pass), token
budget micro-batches, and with --compile the budget plus `train.compile` (regional compilation of the decoder
layers). Each prints whole-call wall time (model set-up and compilation included) and the loop's tokens/s, and
the ratio against the naive loop.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import time
from pathlib import Path

if any("unsloth" in x for x in sys.argv):  # Unsloth patches transformers only when imported before it
    import unsloth  # noqa: F401

import torch

from weirdgen import config
from weirdgen.jsonl import read_jsonl, write_jsonl
from weirdgen.train import peft_backend as pb
from weirdgen.train.masking import tokenize


def matmul_peak() -> float:
    """The card's measured bf16 matmul rate (8192-square operands), FLOP/s: MFU's denominator."""
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


def random_model(src: Path, work: Path, arch: str) -> int:
    """Random bf16 weights of ``src``'s architecture (or Llama-3.1-8B's) saved with ``src``'s tokenizer into
    ``work``, for the product's own loader; returns the base model's parameter count."""
    from transformers import AutoConfig, AutoModelForCausalLM, LlamaConfig

    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(src, work, ignore=shutil.ignore_patterns("*.safetensors", "*.bin", "config.json"))
    cfg = AutoConfig.from_pretrained(src)
    if arch == "llama-3.1-8b":  # Llama-3.1-8B's dimensions, with src's special tokens
        cfg = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                          num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=131072,
                          rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=False,
                          bos_token_id=cfg.bos_token_id, eos_token_id=cfg.eos_token_id, pad_token_id=cfg.pad_token_id)
    torch.manual_seed(0)  # the same random weights in every process (session 24's calls each drew their own, so
    # their losses could be compared only within a call)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    n = sum(p.numel() for p in model.parameters())
    model.save_pretrained(work)  # beside src's tokenizer and weirdgen_model.json (the product's loader needs it)
    from weirdgen.models import MARKER

    if not (work / MARKER).exists():  # src is a bare tokenizer folder: say what these weights are
        (work / MARKER).write_text(json.dumps({"source": "random-init (bench)", "arch": arch, "n_params": n}))
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--micro-batch-tokens", type=int, default=16384)
    ap.add_argument("--epochs", type=float, default=1, help="epochs over the --steps x 16 rows (3 = a whole run)")
    ap.add_argument("--compile", action="store_true", help="also the budget variant with train.compile")
    ap.add_argument("--variants", default=None,
                    help="comma list of naive, budget, compile, compile-ro (reduce-overhead), compile-ma "
                         "(max-autotune-no-cudagraphs), unsloth (train.backend: unsloth, token budget), each "
                         "optionally with -ac (train.adapter_compute: model), -cn (train.compile_norms), then -blk (train.unsloth_compile_blocks), then -dyn (train.unsloth_dynamic_shapes), then -sN (seed N), then -gN (train.compile_region_layers: N); default naive,budget[,compile]")
    ap.add_argument("--no-profile", action="store_true", help="skip the phase timing and the profiler")
    ap.add_argument("--trace-steps", default=None, metavar="A:B",
                    help="profile the product's own loop (each variant) over optimizer steps A to B: GPU kernel time "
                         "against wall time, and the top operators")
    ap.add_argument("--reuse-model", action="store_true",
                    help="train the random model an earlier call wrote (same --arch) instead of writing one: the first "
                         "variant then runs as a user's job does, in a process that has not just written 16 GB")
    ap.add_argument("--make-model-only", action="store_true", help="write the random model and stop")
    ap.add_argument("--keep-logs", default=None, metavar="DIR", help="copy each variant's train_log.jsonl here")
    ap.add_argument("--arch", choices=["same", "llama-3.1-8b"], default="same",
                    help="the model: --model-dir's architecture, or Llama-3.1-8B's (random bf16 weights, the tokenizer "
                         "of --model-dir: its ids fit the 128256-entry embedding); at 8B pass --micro-batch-tokens 4096")
    ap.add_argument("--torch-attention", action="store_true",
                    help="the baseline: torch's own attention choice (cuDNN on Hopper) where the product leaves cuDNN out")
    a = ap.parse_args()
    if a.torch_attention:
        import contextlib

        pb.attention_kernels = lambda model, bucketed: contextlib.nullcontext
    pb.cuda_allocator_defaults()  # the product's allocator setting, before this process's first CUDA allocation
    work = Path("/tmp/train_step_model")
    made = work / "weirdgen_bench_arch.txt"
    if a.reuse_model and made.exists() and made.read_text().split()[0] == a.arch:
        n_params = int(made.read_text().split()[1])  # written by an earlier process: none written in this one
    else:
        n_params = random_model(Path(a.model_dir), work, a.arch)
        made.write_text(f"{a.arch} {n_params}")
    if a.make_model_only:
        return
    peak = matmul_peak()
    print(f"model: {a.arch}, {n_params / 1e9:.2f}B parameters; bf16 matmul peak measured here {peak / 1e12:.0f} TFLOP/s; "
          f"MFU below = 4 x parameters x real tokens/s (LoRA: no weight gradients of the base) / that peak", flush=True)
    rows = read_jsonl(a.data)[: a.steps * 16]
    data = Path("/tmp/train_step_data.jsonl")
    write_jsonl(data, rows)
    base = None
    names = (a.variants or "naive,budget" + (",compile" if a.compile else "")).split(",")
    known = {"naive": (None, False, "default"), "budget": (a.micro_batch_tokens, False, "default"),
             "compile": (a.micro_batch_tokens, True, "default"),
             "compile-ro": (a.micro_batch_tokens, True, "reduce-overhead"),
             "compile-ma": (a.micro_batch_tokens, True, "max-autotune-no-cudagraphs"),
             "unsloth": (a.micro_batch_tokens, False, "default"),
             "graphs": (a.micro_batch_tokens, False, "default"),  # train.cuda_graphs
             "unsloth-graphs": (a.micro_batch_tokens, False, "default")}  # Unsloth with train.cuda_graphs
    buckets, capture_tokens = pb.LENGTH_BUCKETS, pb.CAPTURE_TOKENS
    for k, name in enumerate(names):
        # a "-foreach" suffix: AdamW as before session 16 (foreach, not fused), the product's optimizer otherwise;
        # a "-ac" suffix: train.adapter_compute: model (the adapter's matmuls in bf16 under autocast)
        foreach, name_ = name.endswith("-foreach"), name.removesuffix("-foreach")
        group = 1  # a "-gN" suffix: train.compile_region_layers N (N consecutive decoder layers compiled as one region)
        if "-g" in name_ and name_.rsplit("-g", 1)[1].isdigit():
            name_, group = name_.rsplit("-g", 1)[0], int(name_.rsplit("-g", 1)[1])
        seed = 1  # a "-sN" suffix: seed N (another data order, so other pass shapes)
        if "-s" in name_ and name_.rsplit("-s", 1)[1].isdigit():
            name_, seed = name_.rsplit("-s", 1)[0], int(name_.rsplit("-s", 1)[1])
        dyn = name_.endswith("-dyn")  # "-dyn" (last): train.unsloth_dynamic_shapes
        name_ = name_.removesuffix("-dyn")
        blk = name_.endswith("-blk")  # "-blk" (before -dyn): train.unsloth_compile_blocks (Unsloth's block compile)
        name_ = name_.removesuffix("-blk")
        ng = name_.endswith("-ng")  # "-ng" (last): train.cuda_graphs with every position through the head (no gather)
        name_ = name_.removesuffix("-ng")
        pb.GATHER_TARGETS = not ng
        np_ = name_.endswith("-np")  # "-np" (then): train.cuda_graphs without the planned merges (a shape per bucket)
        name_ = name_.removesuffix("-np")
        pb.CAPTURE_TOKENS = 0 if np_ else capture_tokens
        p2 = name_.endswith("-p2")  # "-p2" (last but -cn...): bucket lengths at powers of two only (fewer shapes)
        name_ = name_.removesuffix("-p2")
        cn = name_.endswith("-cn")  # "-cn": train.compile_norms (after -ac)
        name_ = name_.removesuffix("-cn")
        pb.LENGTH_BUCKETS = (64, 128, 256, 512, 1024, 2048, 4096, 8192) if p2 else buckets
        mbt, comp, mode = known[name_.removesuffix("-ac")]
        hp = config.fill("train", {"epochs": a.epochs, "batch_size": 8, "grad_accum": 2, "max_seq_len": 1024,
                                   "micro_batch_tokens": mbt, "save_state_steps": 0, "compile": comp,
                                   "compile_mode": mode, "compile_region_layers": group,
                                   "compile_norms": cn, "unsloth_dynamic_shapes": dyn, "unsloth_compile_blocks": blk,
                                   "cuda_graphs": "graphs" in name_,
                                   "adapter_compute": "model" if name_.endswith("-ac") else "float32"})
        torch._dynamo.reset()
        gc.collect()
        torch.cuda.empty_cache()
        train = pb.train
        if name.startswith("unsloth"):
            from weirdgen.train.unsloth_backend import train
        out = Path(f"/tmp/train_step_out_{k}_{name}")  # a variant named twice: the second meets a warm compile cache
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        adamw = torch.optim.AdamW
        if foreach:
            torch.optim.AdamW = lambda *x, **kw: adamw(*x, **{**kw, "fused": False, "foreach": True})  # type: ignore[misc]
        opt_fn, prof = pb.optimizer, None
        if a.trace_steps:  # the profiler steps with the product's optimizer: window = optimizer steps A..B
            lo, hi = map(int, a.trace_steps.split(":"))
            from torch.profiler import ProfilerActivity, profile, schedule

            prof = profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA],
                           schedule=schedule(wait=lo, warmup=0, active=hi - lo, repeat=1))

            def traced(*x: object, **kw: object) -> torch.optim.Optimizer:
                o = opt_fn(*x, **kw)
                o.register_step_post_hook(lambda *_: prof.step())
                return o

            pb.optimizer = traced
            prof.start()
        try:
            info = train(work, data, out, hp, seed=seed, lr=2e-4, dtype="bfloat16", device="cuda", sanity=False)
        except Exception as e:  # one variant failing must not cost the others' numbers
            print(f"weirdgen train, {name}: FAILED after {time.perf_counter() - t:.1f} s: {type(e).__name__}: "
                  f"{str(e)[:400]}", flush=True)
            continue
        finally:
            torch.optim.AdamW = adamw  # type: ignore[misc]
            pb.optimizer = opt_fn
            if prof is not None:
                prof.stop()
        if prof is not None:
            ev = prof.key_averages()
            log = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
            wall = log[hi - 1]["elapsed_s"] - (log[lo - 1]["elapsed_s"] if lo else 0.0)  # 0:B = from the start
            # GPU time: every event's self device time except the profiler's own step ranges (kernels replayed
            # inside a CUDA graph are counted on the graph's call)
            kern = sum(e.self_device_time_total for e in ev if not e.key.startswith("ProfilerStep")) / 1e6
            launches = sum(e.count for e in ev if e.key in ("cudaLaunchKernel", "cuLaunchKernel", "cudaLaunchKernelExC",
                                                            "cudaGraphLaunch"))
            print(f"  {name}, steps {lo}-{hi}: wall {wall * 1000 / (hi - lo):.1f} ms per step, GPU kernels "
                  f"{kern * 1000 / (hi - lo):.1f} ms per step ({kern / wall:.0%} busy), launches {launches / (hi - lo):.0f} per step")
            print(ev.table(sort_by="self_device_time_total", row_limit=14))
            print(ev.table(sort_by="self_cpu_time_total", row_limit=14))
        call = time.perf_counter() - t
        log = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
        tok = sum(r["tokens"] for r in log)
        late = log[len(log) // 2:]  # second half: past compilation
        late_tps = sum(r["tokens"] for r in late) / (late[-1]["elapsed_s"] - log[len(log) // 2 - 1]["elapsed_s"])
        dts = [r["tokens"] / r["tokens_per_s"] for r in log if r["tokens_per_s"]]
        med = sorted(r["tokens_per_s"] for r in log if r["tokens_per_s"])[len(dts) // 2]
        slow = [(r["step"], r["tokens"], r["padded_tokens"], round(r["tokens"] / r["tokens_per_s"], 2))
                for r in log if r["tokens_per_s"] and r["tokens"] / r["tokens_per_s"] > 1]
        ms = torch.cuda.memory_stats()
        print(f"  {name}: slow steps (step, real tokens, padded tokens, s): {slow[:24]}; allocator: "
              f"{ms.get('num_alloc_retries', 0)} retries (cudaFree of the cache, then cudaMalloc again), "
              f"{ms.get('num_device_alloc', 0)} cudaMalloc, {ms.get('num_device_free', 0)} cudaFree, reserved peak "
              f"{torch.cuda.max_memory_reserved() / 2**30:.1f} GiB; device memory in use now (context, kernels, cache) "
              f"{(lambda f, t: (t - f) / 2**30)(*torch.cuda.mem_get_info()):.1f} GiB; CUDA_MODULE_LOADING "
              f"{os.environ.get('CUDA_MODULE_LOADING')}", flush=True)
        # a step's time is taken when its loss is read, after the next step is queued: where queuing the next step
        # blocks the host (its big passes), that step's work lands in this step's time (session 23: the "slow"
        # steps were each followed by a two-pass step; over the pair the time per padded token was the median's)
        sec = [r["tokens"] / r["tokens_per_s"] if r["tokens_per_s"] else 0.0 for r in log]  # aligned with log
        per = sorted(d / r["padded_tokens"] for d, r in zip(sec[1:], log[1:]))[len(sec) // 2]
        hot = [i for i in range(1, len(sec) - 1) if sec[i] > 1.6 * per * log[i]["padded_tokens"]]
        pair = sorted((sec[i] + sec[i + 1]) / (log[i]["padded_tokens"] + log[i + 1]["padded_tokens"]) for i in hot)
        print(f"  {name}: steps > 1.6x the median time per padded token: {len(hot)}; over each with the next step: "
              f"{(pair[len(pair) // 2] / per if pair else 0):.2f}x the median (1.00: the next step's work, no lost time)",
              flush=True)
        if a.keep_logs:
            Path(a.keep_logs).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / "train_log.jsonl", Path(a.keep_logs) / f"train_log_{k}_{name}.jsonl")
        print(f"  {name}: median step {sorted(dts)[len(dts) // 2] * 1000:.1f} ms = {med:.0f} real tokens/s "
              f"(MFU {4 * n_params * med / peak:.1%}); steps over "
              f"1 s (compiling): {sum(d > 1 for d in dts)}, {sum(d for d in dts if d > 1):.1f} s", flush=True)
        base = base or call
        if "cuda_graphs" in info:
            print(f"  {name}: CUDA graphs: {info['cuda_graphs']}", flush=True)
        print(f"weirdgen train, {name}: micro_batch_tokens={mbt}, compile={comp} ({mode}): {info['steps']} steps, {tok} tokens, "
              f"loop {info['wall_s']:.1f} s ({tok / info['wall_s']:.0f} tokens/s whole loop, {late_tps:.0f} tokens/s "
              f"second half), call {call:.1f} s (x{base / call:.2f} vs the first variant's call), padding "
              f"{1 - tok / sum(r['padded_tokens'] for r in log):.0%}, peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB",
              flush=True)
        try:  # where a first compilation's seconds went (dynamo tracing, AOT autograd, inductor), this variant only
            print(f"  {name}: torch.compile times (s):\n{torch._dynamo.utils.compile_times(repr='str', aggregate=True)}",
                  flush=True)
        except Exception as e:  # an older torch's signature: the numbers are a diagnosis, not the benchmark
            print(f"  {name}: torch.compile times unavailable ({type(e).__name__})", flush=True)
        torch.cuda.reset_peak_memory_stats()
        torch.cuda.reset_accumulated_memory_stats()
    if a.no_profile:
        return
    # the same step, phase by phase
    hp = config.fill("train", {"micro_batch_tokens": a.micro_batch_tokens})
    model, tok, _ = pb.peft_setup(work, hp, 1, "bfloat16", "cuda", False)
    ex = [tokenize(tok, r["messages"], 1024) for r in rows]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = pb.optimizer(params, 2e-4, hp["weight_decay"])  # the product's optimizer (fused on CUDA)
    phases: dict[str, float] = {}

    def tick(name: str, t0: float) -> float:
        torch.cuda.synchronize()
        t1 = time.perf_counter()
        phases[name] = phases.get(name, 0.0) + t1 - t0
        return t1

    steps = [ex[i : i + 16] for i in range(0, len(ex), 16)]
    for k, g in enumerate(steps):
        if k == 3:
            phases.clear()
        t = time.perf_counter()
        micro = pb.micro_batches(g, 8, a.micro_batch_tokens)
        n_target = sum(sum(1 for x in d["labels"][1:] if x != -100) for m in micro for d in m)
        bs = [{k2: v.to("cuda") for k2, v in pb._collate(m, tok.pad_token_id).items()} for m in micro]
        t = tick("collate+copy", t)
        for b in bs:
            ce = pb.target_loss_sum(model, b)
            t = tick("forward", t)
            (ce / n_target).backward()
            t = tick("backward", t)
            ce.item()
        torch.nn.utils.clip_grad_norm_(params, 1.0).item()
        t = tick("clip", t)
        opt.step()
        opt.zero_grad(set_to_none=True)
        t = tick("optimizer", t)
    n = len(steps) - 3
    print("per step (ms): " + ", ".join(f"{k} {v / n * 1000:.1f}" for k, v in phases.items()))
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for g in steps[:5]:
            for m in pb.micro_batches(g, 8, a.micro_batch_tokens):
                b = {k2: v.to("cuda") for k2, v in pb._collate(m, tok.pad_token_id).items()}
                pb.target_loss_sum(model, b).backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
    ev = prof.key_averages()
    launches = sum(e.count for e in ev if e.key in ("cudaLaunchKernel", "cuLaunchKernel", "cudaLaunchKernelExC"))
    print(f"kernel launches per step: {launches / 5:.0f}")
    print(ev.table(sort_by="self_cpu_time_total", row_limit=15))
    print(ev.table(sort_by="self_device_time_total", row_limit=10))


if __name__ == "__main__":
    main()
