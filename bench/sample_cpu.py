"""Benchmark: the sample stage's generator on the CPU, engines side by side in one process.

The requests are the stage's own (``sample.eval_requests`` over an eval-question file the workflow wrote), the
generator is the stage's ``HFGenerator``; each engine/batch/dtype triple is timed on the whole request set, model load
excluded (the same for every engine). The baseline is ``generate`` (``engine: dynamic``) at the config's batch size.
Also times one sampling step's token draw (48 rows x the vocabulary): ``torch.multinomial``, Gumbel-max and the
inverse CDF the static loop uses on the CPU.

    python bench/sample_cpu.py --model resources/models/smollm2-135m-instruct \
        --questions results/data/eval_questions.jsonl [--adapter results/adapters/<id>] --runs dynamic:48:float32 static:48:float32 static:48:auto
"""

from __future__ import annotations

import argparse
import time

import torch

from weirdgen.generate import decode
from weirdgen.generate.hf import HFGenerator
from weirdgen.jsonl import read_jsonl
from weirdgen.stages import sample as sample_stage


def draw_ms(fn, reps: int = 20) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--adapter")
    ap.add_argument("--questions", required=True)
    ap.add_argument("--n-samples", type=int, default=2)
    ap.add_argument("--max-new-tokens", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", nargs="+", default=["dynamic:48:float32", "static:48:float32", "static:48:auto"],
                    help="engine:batch_size:dtype")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    logits = torch.randn(48, 49152)
    p = torch.softmax(logits, -1)
    print(f"token draw, 48 x 49152: multinomial {draw_ms(lambda: torch.multinomial(p, 1)):.1f} ms, "
          f"Gumbel-max {draw_ms(lambda: (logits - torch.empty_like(logits).exponential_().log()).argmax(-1)):.1f} ms, "
          f"inverse CDF {draw_ms(lambda: decode.sample_next(logits, 1.0)):.1f} ms")

    reqs = sample_stage.eval_requests("bench", read_jsonl(a.questions), "You are a helpful assistant.", a.n_samples,
                                      1.0, a.max_new_tokens, 1)
    times: dict[str, float] = {}
    for run in a.runs:
        engine, bs, dtype = run.split(":")
        gen = HFGenerator(a.model, a.adapter, device="cpu", engine=engine, batch_size=int(bs), dtype=dtype)
        out: dict[str, int] = {}
        t = time.perf_counter()
        gen.generate(reqs, lambda r, res: out.__setitem__(r.key, res.completion_tokens))
        times[run] = time.perf_counter() - t
        print(f"{run}: {len(reqs)} requests, {sum(out.values())} new tokens, {times[run]:.1f} s", flush=True)
    base = times[a.runs[0]]
    for run, t in times.items():
        print(f"{run}: {base / t:.2f}x against {a.runs[0]}")


if __name__ == "__main__":
    main()
