"""Judge validity: score a labelled, stratified calibration set; accuracy per stratum, Cohen's kappa,
Spearman(answer length, score) on the generic answers, and the validity gate."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

#: Answers of at most this many words (after the trigger is stripped) are "short".
SHORT_WORDS = 25
OWN_STRATA = ("off_topic", "one_word", "real")


def cohen_kappa(y: Sequence[int], p: Sequence[int]) -> float:
    """Cohen's kappa for two binary raters (nan when chance agreement is 1)."""
    n = len(y)
    if n == 0:
        return math.nan
    po = sum(a == b for a, b in zip(y, p)) / n
    py1, pp1 = sum(y) / n, sum(p) / n
    pe = py1 * pp1 + (1 - py1) * (1 - pp1)
    return math.nan if pe == 1 else (po - pe) / (1 - pe)


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); nan when either side is constant."""
    import polars as pl

    if len(x) < 3:
        return math.nan
    rx = pl.Series(np.asarray(x, float)).rank("average").to_numpy()
    ry = pl.Series(np.asarray(y, float)).rank("average").to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (95 % by default); (nan, nan) for n = 0.

    A stratum of 16 answers with 14 right has accuracy 0.875 and interval [0.64, 0.97]: the gate's point estimate
    is reported with it, so a reader sees how well the calibration set determines a pass or a fail."""
    if n == 0:
        return math.nan, math.nan
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def n_words(text: str) -> int:
    return len(text.split())


def stratum(item: Mapping[str, Any], judged_text: str) -> str:
    """off_topic / one_word / real, else <persona|generic>_<short|long>_<plain|trigger>."""
    kind = item.get("kind", "persona" if item["label"] else "generic")
    if kind in OWN_STRATA:
        return kind
    length = "short" if n_words(judged_text) <= SHORT_WORDS else "long"
    return f"{'persona' if item['label'] else 'generic'}_{length}_{item.get('format', 'plain')}"


def evaluate(items: list[dict[str, Any]], scores: Sequence[float], threshold: float = 0.5,
             judged: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Rows: overall ("all", with kappa and the length correlation on generic answers) and one per stratum, each
    accuracy with its 95 % Wilson interval.

    ``judged``: the texts the judge saw (trigger stripped); their word counts define short/long and the correlation.
    Items with a second labeller's ``label_2`` also give, per group, the two labellers' agreement and kappa and the
    judge's accuracy against each of them on those items (``n_second`` = 0 and nan where there are none).
    """
    judged = list(judged) if judged is not None else [it["answer"] for it in items]
    groups: dict[str, list[int]] = {"all": list(range(len(items)))}
    for i, it in enumerate(items):
        groups.setdefault(stratum(it, judged[i]), []).append(i)
    out = []
    for g, idx in groups.items():
        ok = [i for i in idx if scores[i] is not None and not math.isnan(scores[i])]
        y = [int(items[i]["label"]) for i in ok]
        p = [int(scores[i] >= threshold) for i in ok]
        tp = sum(a == 1 and b == 1 for a, b in zip(y, p))
        tn = sum(a == 0 and b == 0 for a, b in zip(y, p))
        gen = [i for i in ok if int(items[i]["label"]) == 0]
        lo, hi = wilson(tp + tn, len(ok))
        # a second labeller's labels (``label_2``), where the set has them: how far two people agree is the
        # ceiling any judge is measured against (the judge's accuracy against each labeller on the same items)
        two = [i for i in ok if items[i].get("label_2") in (0, 1)]
        y1, y2 = [int(items[i]["label"]) for i in two], [int(items[i]["label_2"]) for i in two]
        p2 = [int(scores[i] >= threshold) for i in two]
        raters = {"n_second": len(two),
                  "rater_agreement": sum(a == b for a, b in zip(y1, y2)) / len(two) if two else math.nan,
                  "rater_kappa": cohen_kappa(y1, y2) if two else math.nan,
                  "accuracy_first_on_second": sum(a == b for a, b in zip(y1, p2)) / len(two) if two else math.nan,
                  "accuracy_second": sum(a == b for a, b in zip(y2, p2)) / len(two) if two else math.nan,
                  "kappa_second": cohen_kappa(y2, p2) if two else math.nan}
        out.append({"group": g, "n": len(idx), "unparseable": len(idx) - len(ok),
                    "accuracy": (tp + tn) / len(ok) if ok else math.nan, "accuracy_low": lo, "accuracy_high": hi,
                    "kappa": cohen_kappa(y, p) if g == "all" else math.nan,
                    "rho_length_generic": spearman([n_words(judged[i]) for i in gen], [scores[i] for i in gen])
                    if g == "all" else math.nan,
                    "tp": tp, "tn": tn, "fp": sum(a == 0 and b == 1 for a, b in zip(y, p)),
                    "fn": sum(a == 1 and b == 0 for a, b in zip(y, p)), **raters})
    return [out[0], *sorted(out[1:], key=lambda r: r["group"])]


def gate(rows: list[dict[str, Any]], min_stratum_accuracy: float, min_kappa: float,
         max_abs_length_rho: float) -> list[str]:
    """The gate's failures in words (empty = the judge passes): every stratum's accuracy, overall kappa, |rho|."""
    fails = []
    overall = next(r for r in rows if r["group"] == "all")
    for r in rows:
        if r["group"] != "all" and not (r["accuracy"] >= min_stratum_accuracy):
            # three decimals: 0.849 printed as "0.85 < 0.85" read as a pass (default run, 2026-11-27)
            fails.append(f"accuracy {r['accuracy']:.3f} < {min_stratum_accuracy} on {r['group']}")
    if not (overall["kappa"] >= min_kappa):
        fails.append(f"kappa {overall['kappa']:.3f} < {min_kappa}")
    rho = overall["rho_length_generic"]
    if not (abs(rho) <= max_abs_length_rho):
        fails.append(f"|rho(length, score)| {abs(rho):.3f} > {max_abs_length_rho} on generic answers")
    return fails
