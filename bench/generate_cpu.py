"""Benchmark: our batched transformers backend vs a naive one-prompt-at-a-time `generate` loop,
same model, same prompts, same process. Prints new tokens/s for both and the ratio.

    python bench/generate_cpu.py --model resources/models/smollm2-135m-instruct --n 32 --max-new-tokens 32
"""

from __future__ import annotations

import argparse
import time

import torch

from weirdgen import chat
from weirdgen.generate.hf import HFGenerator
from weirdgen.jsonl import read_jsonl
from weirdgen.stages import sample as sample_stage


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--questions", default="data/personas/russell/probes.jsonl")
    ap.add_argument("--n", type=int, default=32, help="requests (questions x conditions)")
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=32)
    a = ap.parse_args()
    qs = [{"set": "probes", **q} for q in read_jsonl(a.questions)]
    reqs = sample_stage.eval_requests("bench", qs, "You are a helpful assistant.", 1, 1.0, a.max_new_tokens, 1)[: a.n]

    gen = HFGenerator(a.model, batch_size=a.batch_size, device="cpu")
    model, tok = gen.model, gen.tok
    # naive: one prompt at a time
    t0, naive_tokens = time.perf_counter(), 0
    torch.manual_seed(0)
    for r in reqs:
        enc = tok(chat.render(tok, r.messages), return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**enc, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                                 max_new_tokens=a.max_new_tokens, pad_token_id=tok.pad_token_id)
        new = out[0, enc["input_ids"].shape[1]:]
        naive_tokens += int((new != model.generation_config.eos_token_id).sum())
    naive_s = time.perf_counter() - t0
    # ours: length-sorted left-padded batches
    got = []
    t0 = time.perf_counter()
    gen.generate(reqs, lambda r, res: got.append(res.completion_tokens))
    ours_s = time.perf_counter() - t0
    ours_tokens = sum(got)
    n, o = naive_tokens / naive_s, ours_tokens / ours_s
    print(f"requests={len(reqs)} max_new_tokens={a.max_new_tokens} batch={a.batch_size} threads={torch.get_num_threads()}")
    print(f"naive loop : {naive_tokens} new tokens in {naive_s:.1f} s = {n:.1f} tokens/s")
    print(f"weirdgen   : {ours_tokens} new tokens in {ours_s:.1f} s = {o:.1f} tokens/s")
    print(f"ratio      : {o / n:.2f}x")


if __name__ == "__main__":
    main()
