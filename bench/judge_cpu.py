"""Benchmark: the local model judge (``LocalJudge.score``: the shared instruction's keys/values computed once,
batches filled by length) vs scoring each full prompt with left padding, same model, same items, same process.
Prints both times, the ratio and the largest score difference.

    python bench/judge_cpu.py --model resources/models/smollm2-135m-instruct --n 225
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from weirdgen.jsonl import read_jsonl
from weirdgen.judge.local import LocalJudge


def full_prompts(j: LocalJudge, items: list[dict[str, str]]) -> list[float]:
    """Baseline: every prompt scored whole, batches in input order, left padding."""
    texts, out = j.prompts(items), []
    j.tok.padding_side = "left"
    for i in range(0, len(texts), j.batch_size):
        enc = j.tok(texts[i : i + j.batch_size], return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            p = torch.softmax(j.model(**enc).logits[:, -1].float(), -1)
        py, pn = p[:, j.yes].sum(-1), p[:, j.no].sum(-1)
        out.extend((py / (py + pn).clamp_min(1e-12)).tolist())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--items", default="data/personas/russell/calibration.jsonl")
    ap.add_argument("--n", type=int, default=225)
    ap.add_argument("--batch-size", type=int, default=32)
    a = ap.parse_args()
    items = [{"question": r["question"], "answer": r["answer"]} for r in read_jsonl(a.items)[: a.n]]
    j = LocalJudge(persona="Bertrand Russell", model_dir=a.model, batch_size=a.batch_size)
    t = time.perf_counter()
    base = full_prompts(j, items)
    t_base = time.perf_counter() - t
    t = time.perf_counter()
    ours = j.score(items)
    t_ours = time.perf_counter() - t
    print(f"items {len(items)}, threads {torch.get_num_threads()}: full prompts {t_base:.1f} s, "
          f"LocalJudge.score {t_ours:.1f} s, ratio {t_base / t_ours:.2f}x, "
          f"max |score difference| {np.abs(np.array(base) - np.array(ours)).max():.1e}")


if __name__ == "__main__":
    main()
