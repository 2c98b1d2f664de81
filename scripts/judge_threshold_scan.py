"""The default embedding judge's decision threshold swept on the calibration set (docs/judge_validity.md, session 14):
is the failing gate a misplaced threshold or overlapping scores? Diagnostic only: a threshold chosen by looking at
the calibration set would be fitted to it.

Usage (a run's reference set): python scripts/judge_threshold_scan.py results/judge/reference.jsonl
"""

import sys

import numpy as np

from weirdgen import trigger
from weirdgen.judge.calibration import evaluate, gate
from weirdgen.judge.embedding import EmbeddingJudge
from weirdgen.jsonl import read_jsonl

GATE = dict(min_stratum_accuracy=0.85, min_kappa=0.7, max_abs_length_rho=0.15)


def main() -> None:
    rows = read_jsonl(sys.argv[1])
    items = read_jsonl("data/personas/russell/calibration.jsonl")
    judged = [trigger.strip(it["answer"]) for it in items]
    qa = [{"question": it["question"], "answer": t} for it, t in zip(items, judged)]
    scores = [float(s) for s in EmbeddingJudge(rows, l2=1.0, chunk_words=12).score(qa)]
    for t in np.arange(0.30, 0.71, 0.05):
        ev = evaluate(items, scores, float(t), judged)
        a = next(r for r in ev if r["group"] == "all")
        worst = sorted((round(r["accuracy"], 3), r["group"]) for r in ev if r["group"] != "all")[:3]
        print(f"t {t:.2f}: accuracy {a['accuracy']:.3f} kappa {a['kappa']:.3f} rho {a['rho_length_generic']:.3f} "
              f"worst {worst} gate {gate(ev, **GATE) or 'PASS'}")


if __name__ == "__main__":
    main()
