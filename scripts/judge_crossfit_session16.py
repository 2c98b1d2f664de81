"""Session 16 (docs/judge_validity.md): the embedding judge fitted on its reference set plus the hand-labelled
calibration items, scored out of fold (cross-fitting), and its transfer to the blind hand labels.

    python scripts/judge_crossfit_session16.py results/judge/reference.jsonl [--folds 10] [--seed 0] [--l2 1]
        [--style] [--without-blind] [--transfer]

Folds group the items by question (a question's answers never straddle folds). --without-blind: the 273 items of
before session 16 (no cal-b* rows). --style: three style features beside the embedding (log words, first-person
share, any "I"). --transfer: fit on the non-blind items, score the blind-labelled ones (agreement, kappa, per arm).
Diagnostic only; nothing here is in the product.
"""

import argparse
import random

import numpy as np

from weirdgen import trigger
from weirdgen.jsonl import read_jsonl
from weirdgen.judge.calibration import cohen_kappa, evaluate, gate
from weirdgen.judge.embedding import EmbeddingJudge, fit_logistic, null_of

ap = argparse.ArgumentParser()
ap.add_argument("reference")
ap.add_argument("--folds", type=int, default=10)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--l2", type=float, default=1.0)
ap.add_argument("--style", action="store_true")
ap.add_argument("--without-blind", action="store_true")
ap.add_argument("--transfer", action="store_true")
a = ap.parse_args()
items = read_jsonl("data/personas/russell/calibration.jsonl")
if a.without_blind:
    items = [it for it in items if not it["id"].startswith("cal-b")]
judged = [trigger.strip(it["answer"]) for it in items]
q = [{"question": it["question"], "answer": t} for it, t in zip(items, judged)]
j = EmbeddingJudge(a.reference, l2=a.l2, chunk_words=12)


def style(texts: list[str]) -> np.ndarray:
    out = []
    for t in texts:
        w = t.split()
        first = sum(x.lower().strip(".,;:!?'\"") in ("i", "i'm", "i've", "me", "my", "myself", "i'd") for x in w)
        out.append([np.log1p(len(w)), 5 * first / max(len(w), 1), float(" I " in f" {t} ")])
    return np.array(out)


def feats(x: np.ndarray, texts: list[str]) -> np.ndarray:
    return np.hstack([x, style(texts)]) if a.style else x


xr = feats(j.x_ref, [r["answer"] for r in read_jsonl(a.reference)])
xcal = feats(j.embed(judged), judged)
ycal = np.array([float(it["label"]) for it in items])
xc, parts = j._chunk_embeddings(q)
xc = feats(xc, [c for cs in parts for c in cs])


def fit_score(train: np.ndarray) -> np.ndarray:
    x, y = np.vstack([xr, xcal[train]]), np.concatenate([j.y_ref, ycal[train]])
    w, b = fit_logistic(x, y, a.l2)
    return np.array(j._aggregate(q, parts, xc @ w + b, null_of(x[y < 0.5] @ w + b)))


g = dict(min_stratum_accuracy=0.85, min_kappa=0.7, max_abs_length_rho=0.15)
ev = evaluate(items, j.score(q), 0.5, judged)
print("default judge:", round(ev[0]["accuracy"], 3), round(ev[0]["kappa"], 3), round(ev[0]["rho_length_generic"], 3), gate(ev, **g))
if a.transfer:
    blind = np.array([it["id"].startswith("cal-b") for it in items])
    s = fit_score(np.where(~blind)[0])
    for name, sc in (("default", np.array(j.score(q))), ("fitted on the other items", s)):
        for run in ("A", "B"):
            idx = [i for i, it in enumerate(items) if it["id"].startswith(f"cal-b{run}")]
            hand, p = [int(ycal[i]) for i in idx], [int(sc[i] >= 0.5) for i in idx]
            arms = {}
            for i, pp in zip(idx, p):
                arms.setdefault(items[i]["origin"].split("arm ")[-1].rstrip(")"), []).append(pp)
            print(f"blind run {run}, {name}: agreement {np.mean([x == y for x, y in zip(hand, p)]):.3f}, kappa "
                  f"{cohen_kappa(hand, p):.3f}, judge persona rate per arm", {k: round(float(np.mean(v)), 2) for k, v in arms.items()})
    raise SystemExit
keys = sorted({it["question"].strip().lower() for it in items})
random.Random(a.seed).shuffle(keys)
fold_of = {k: i % a.folds for i, k in enumerate(keys)}
fold = np.array([fold_of[it["question"].strip().lower()] for it in items])
scores = np.zeros(len(items))
for f in range(a.folds):
    scores[fold == f] = fit_score(np.where(fold != f)[0])[fold == f]
ev = evaluate(items, list(scores), 0.5, judged)
print(f"out of fold ({a.folds} folds, seed {a.seed}, l2 {a.l2}, style {a.style}):", round(ev[0]["accuracy"], 3),
      round(ev[0]["kappa"], 3), round(ev[0]["rho_length_generic"], 3), gate(ev, **g))
for r in ev[1:]:
    print(f"  {r['group']:24s} n {r['n']:3d} accuracy {r['accuracy']:.3f} fp {r['fp']} fn {r['fn']}")
