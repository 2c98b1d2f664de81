"""Two judge variants measured in session 13 on the calibration set (docs/judge_validity.md), neither adopted:

- ``eff``: Sidak's correction with an effective number of chunks, n_eff = 1 + (n - 1)(1 - r), r the correlation of
  chunk logits within the generic reference answers (the default assumes independent chunks, r = 0);
- ``bagged``: the mean probability of 100 judges fitted on cluster bootstraps of the reference set.

Usage (a run's reference set): python scripts/judge_variants_session13.py results/judge/reference.jsonl
"""

import sys

import numpy as np

from weirdgen import config, trigger
from weirdgen.judge.calibration import evaluate, gate
from weirdgen.judge.embedding import EmbeddingJudge, chunks, corrected_max
from weirdgen.jsonl import read_jsonl

GATE = config.fill("judge", {})["gate"]  # the schema's defaults: the gate the default judge must pass


def chunk_correlation(judge: EmbeddingJudge, rows: list[dict]) -> float:
    """Pearson correlation of null-standardised chunk logits over all ordered pairs of chunks of one generic answer."""
    parts = [p for p in (chunks(r["answer"], judge.chunk_words) for r in rows
                         if r["label"] == 0 and r["source"] in ("base_model", "aligned")) if len(p) >= 2]
    z = (judge.embed([c for p in parts for c in p]) @ judge.w + judge.b - judge.null[0]) / judge.null[1]
    xs, ys, i = [], [], 0
    for p in parts:
        zz, i = z[i : i + len(p)], i + len(p)
        xs += [zz[a] for a in range(len(p)) for c in range(len(p)) if a != c]
        ys += [zz[c] for a in range(len(p)) for c in range(len(p)) if a != c]
    return float(np.corrcoef(xs, ys)[0, 1])


def report(name: str, items: list[dict], scores: list[float], judged: list[str], threshold: float = 0.5) -> None:
    ev = evaluate(items, scores, threshold, judged)
    a = next(r for r in ev if r["group"] == "all")
    worst = sorted((round(r["accuracy"], 3), r["group"]) for r in ev if r["group"] != "all")[:3]
    print(f"{name}: accuracy {a['accuracy']:.3f} kappa {a['kappa']:.3f} rho {a['rho_length_generic']:.3f} "
          f"worst {worst} gate {gate(ev, **GATE) or 'pass'}")


def main() -> None:
    rows = read_jsonl(sys.argv[1])
    items = read_jsonl("data/personas/russell/calibration.jsonl")
    judged = [trigger.strip(it["answer"]) for it in items]
    qa = [{"question": it["question"], "answer": t} for it, t in zip(items, judged)]
    judge = EmbeddingJudge(rows, l2=1.0, chunk_words=12)
    r = chunk_correlation(judge, rows)
    print(f"chunk logit correlation within generic answers: {r:.3f}")
    x, parts = judge._chunk_embeddings(qa)
    logit = x @ judge.w + judge.b
    spans = np.cumsum([0] + [len(p) for p in parts])
    for name, n_of in (("max", None), ("max_corrected (Sidak)", lambda n: n), ("eff", lambda n: 1 + (n - 1) * (1 - max(r, 0)))):
        sc = []
        for k, p in enumerate(parts):
            m = float(logit[spans[k] : spans[k + 1]].max())
            m = corrected_max(m, n_of(len(p)), judge.null) if n_of else m
            sc.append(float(1 / (1 + np.exp(-m))))
        report(name, items, sc, judged)
    report("bagged (100 refits, mean probability)", items, list(judge.refit_scores(qa, 100, 0).mean(0)), judged)


if __name__ == "__main__":
    main()
