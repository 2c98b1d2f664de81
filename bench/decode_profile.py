"""Where does a decode step go? Profiles our static engine (merged adapter, compiled decode) at one batch
on the Llama-3.1-8B architecture with random weights and prints the top CUDA kernels.

    PYTHONPATH=src python bench/decode_profile.py --tokenizer wheels/tok --batch 256
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from weirdgen.generate.hf import HFGenerator
from weirdgen.jsonl import read_jsonl
from weirdgen.stages import sample as sample_stage


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    a = ap.parse_args()
    from transformers import AutoTokenizer

    import decode_gpu  # same directory

    tok = AutoTokenizer.from_pretrained(a.tokenizer)
    model, _ = decode_gpu.build()
    merged = model.merge_and_unload()
    merged.generation_config.eos_token_id = None
    qs = [{"set": "probes", **q} for q in read_jsonl(Path(__file__).resolve().parent.parent / "data/personas/russell/probes.jsonl")]
    reqs = sample_stage.eval_requests("p", qs, "You are a helpful assistant.", a.batch // (4 * len(qs)) + 1, 1.0,
                                  a.max_new_tokens, 1)[: a.batch]
    gen = HFGenerator.from_loaded(merged, tok, batch_size=a.batch, engine="static")
    gen.generate(reqs, lambda r, x: None)  # compile + capture
    from torch.profiler import ProfilerActivity, profile

    import time

    torch.cuda.synchronize()
    t = time.perf_counter()
    gen.generate(reqs, lambda r, x: None)
    torch.cuda.synchronize()
    wall = time.perf_counter() - t
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        gen.generate(reqs, lambda r, x: None)
        torch.cuda.synchronize()
    ka = prof.key_averages()
    print(ka.table(sort_by="self_cuda_time_total", row_limit=25, max_name_column_width=70))
    kernels = sum(e.self_device_time_total for e in ka) / 1e6  # microseconds -> s
    print(f"batch {a.batch}: wall {wall:.3f} s unprofiled, {wall * 1000 / a.max_new_tokens:.2f} ms per token step; "
          f"CUDA kernel time {kernels:.3f} s = {kernels / wall:.0%} of the wall time")


if __name__ == "__main__":
    main()
