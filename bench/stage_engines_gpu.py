"""Whole-stage wall time of the product's generation stages, static engine against `generate`, one process (issue 15).

Runs the stage functions themselves (``weirdgen.stages.distill.run``, ``weirdgen.stages.sample.run``) on real data and
real weights, once per engine, each call timed whole (model load, compilation, every batch, writing):

  dynamic        ``engine: dynamic`` (``model.generate``)
  static (cold)  ``engine: static`` the first time in this process: each batch's decode step captured as a CUDA graph
  static (warm)  ``engine: static`` again, same process: whatever torch reuses across calls
  inductor       ``engine: static`` with the step ``torch.compile``d instead (``decode(compile="inductor")``, the
                 static engine before session 15), first time in this process

compile share of the static stage = (cold − warm) / cold; ratio = static (cold) / dynamic (what a user's stage pays).
With --temperature 0 the share of requests whose text equals ``generate``'s is printed for each engine.

    python bench/stage_engines_gpu.py --model resources/models/smollm2-135m-instruct --stage distill \
        --prompts results/data/prompts.jsonl --batch-size 1024 --max-new-tokens 256 --out $OUT/engines_distill.json
    python bench/stage_engines_gpu.py --model … --stage sample --questions results/data/eval_questions.jsonl \
        --batch-size 768 --max-new-tokens 128 --n-samples 5 --out $OUT/engines_sample.json

At the paper's scale (--arch llama-3.1-8b: random bf16 Llama-3.1-8B weights with --model's tokenizer, saved once for
the product's loader; random weights never stop early, so every request runs to --max-new-tokens: an upper bound)
on a seeded sample of --limit prompts, scaled to the whole stage by the number of batches (startup counted once):

    python bench/stage_engines_gpu.py --arch llama-3.1-8b --model TOKENIZER_DIR --stage distill --prompts … \
        --limit 768 --batch-size 256 --max-new-tokens 512 --engines dynamic --out $OUT/distill_8b.json
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import tempfile
import time
from pathlib import Path

import torch

from weirdgen.jsonl import read_jsonl, write_jsonl
from weirdgen.generate import decode
from weirdgen.stages import distill, sample


def run_stage(a: argparse.Namespace, engine: str, work: Path, tag: str) -> tuple[float, Path]:
    """One whole stage with ``engine``: its wall time and its output file."""
    gen = {"backend": "transformers", "engine": engine, "batch_size": a.batch_size, "dtype": a.dtype, "device": "cuda",
           "temperature": a.temperature, "max_new_tokens": a.max_new_tokens, "seed": 1}
    out = work / f"{a.stage}-{tag}.jsonl"
    saved = decode.decode
    if engine == "vllm":  # weirdgen's vLLM backend (no adapter: LoRA off), one engine for the stage, start included
        import gc

        gc.collect()
        torch.cuda.empty_cache()  # the engines before it must leave the card to vLLM's memory check
        gen = {**gen, "backend": "vllm", "vllm": {"max_num_seqs": a.batch_size, "gpu_memory_utilization": 0.85}}
    if engine == "inductor":  # the static engine with the torch.compile'd step
        gen["engine"] = "static"
        decode.decode = functools.partial(saved, compile="inductor")
    torch.cuda.synchronize()
    t = time.perf_counter()
    try:
        if a.stage == "distill":
            distill.run(gen, model=a.model, prompts=a.prompts, out=out)
        else:
            sample.run({**gen, "system_prompt": "You are a helpful assistant.", "n_samples": a.n_samples},
                       model=a.model, questions=a.questions, model_id="base", out=out)
        torch.cuda.synchronize()
    finally:
        decode.decode = saved
    return time.perf_counter() - t, out


def texts(path: Path, stage: str) -> dict[str, str]:
    """Answer text by request: distill rows are training examples (prompt id in metadata), sample rows generations."""
    if stage == "distill":
        return {r["metadata"]["prompt_id"]: r["messages"][-1]["content"] for r in read_jsonl(path)}
    return {r["key"]: r["text"] for r in read_jsonl(path)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--stage", choices=["distill", "sample"], required=True)
    ap.add_argument("--prompts")
    ap.add_argument("--questions")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--n-samples", type=int, default=5)
    ap.add_argument("--temperature", type=float, default=None, help="default: 0.1 distill, 1.0 sample")
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--engines", default="dynamic,static,static",
                    help="comma list of dynamic (generate), static, inductor, vllm (last: it keeps the card)")
    ap.add_argument("--arch", choices=["same", "llama-3.1-8b"], default="same",
                    help="llama-3.1-8b: random bf16 weights of that architecture with --model's tokenizer")
    ap.add_argument("--limit", type=int, default=None, help="distill: a seeded sample of this many prompts")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.temperature is None:
        a.temperature = 0.1 if a.stage == "distill" else 1.0
    work = Path(tempfile.mkdtemp(prefix="engines-"))
    n_params = None
    if a.arch != "same":
        from train_step_gpu import random_model  # bench/, beside this file

        t = time.perf_counter()
        n_params = random_model(Path(a.model), Path("/tmp/stage_model"), a.arch)
        a.model = "/tmp/stage_model"
        print(f"random {a.arch} ({n_params / 1e9:.2f}B) saved in {time.perf_counter() - t:.1f} s", flush=True)
    n_total = None
    if a.stage == "distill" and a.limit:
        rows = read_jsonl(a.prompts)
        n_total = len(rows)
        write_jsonl(work / "prompts.jsonl", random.Random(1).sample(rows, min(a.limit, len(rows))))
        a.prompts = str(work / "prompts.jsonl")
    times: dict[str, float] = {}
    seen: set[str] = set()
    files: dict[str, Path] = {}
    for i, eng in enumerate(a.engines.split(",")):
        tag = f"{eng}-warm" if eng in seen else {"static": "static-cold"}.get(eng, eng)
        seen.add(eng)
        times[tag], files[tag] = run_stage(a, eng, work, f"{i}-{tag}")
        print(f"{a.stage} {tag}: {times[tag]:.1f} s", flush=True)
    same = {}
    if a.temperature == 0 and "dynamic" in files:
        ref = texts(files["dynamic"], a.stage)
        for tag, f in files.items():
            got = texts(f, a.stage)
            same[tag] = sum(got.get(k) == v for k, v in ref.items()) / max(1, len(ref))
        print(f"greedy texts equal to generate's: {same}", flush=True)
    res = {"stage": a.stage, "device": torch.cuda.get_device_name(), "batch_size": a.batch_size,
           "max_new_tokens": a.max_new_tokens, "dtype": a.dtype, "arch": a.arch, "n_params": n_params,
           "limit": a.limit, "n_prompts_total": n_total, "seconds": times, "same_as_generate": same}
    if "dynamic" in times and "static-cold" in times:
        res["ratio_static_cold_over_dynamic"] = times["static-cold"] / times["dynamic"]
        if "inductor" in times:
            res["ratio_inductor_over_dynamic"] = times["inductor"] / times["dynamic"]
        if "static-warm" in times:
            res["compile_share_static"] = (times["static-cold"] - times["static-warm"]) / times["static-cold"]
    if "dynamic" in times and "vllm" in times:
        res["ratio_vllm_over_dynamic"] = times["vllm"] / times["dynamic"]
    print(json.dumps(res, indent=1))
    Path(a.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
