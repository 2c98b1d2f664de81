"""The default embedding judge's decision threshold swept on the calibration set (docs/judge_validity.md, session 14):
is the failing gate a misplaced threshold or overlapping scores? Diagnostic only: a threshold chosen by looking at
the calibration set would be fitted to it.

Usage (a run's reference set): python scripts/judge_threshold_scan.py results/judge/reference.jsonl
"""

import sys

import numpy as np

from judge_variants_session13 import report  # scripts/, beside this file: the same report line per variant
from weirdgen import trigger
from weirdgen.judge.embedding import EmbeddingJudge
from weirdgen.jsonl import read_jsonl


def main() -> None:
    rows = read_jsonl(sys.argv[1])
    items = read_jsonl("data/personas/russell/calibration.jsonl")
    judged = [trigger.strip(it["answer"]) for it in items]
    qa = [{"question": it["question"], "answer": t} for it, t in zip(items, judged)]
    scores = [float(s) for s in EmbeddingJudge(rows, l2=1.0, chunk_words=12).score(qa)]
    for t in np.arange(0.30, 0.71, 0.05):
        report(f"threshold {t:.2f}", items, scores, judged, float(t))


if __name__ == "__main__":
    main()
