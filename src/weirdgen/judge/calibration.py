"""Judge validity: score a labelled calibration set; accuracy and Cohen's kappa against the labels."""

from __future__ import annotations

import math
from typing import Any, Sequence


def cohen_kappa(y: Sequence[int], p: Sequence[int]) -> float:
    """Cohen's kappa for two binary raters (nan when chance agreement is 1)."""
    n = len(y)
    if n == 0:
        return math.nan
    po = sum(a == b for a, b in zip(y, p)) / n
    py1, pp1 = sum(y) / n, sum(p) / n
    pe = py1 * pp1 + (1 - py1) * (1 - pp1)
    return math.nan if pe == 1 else (po - pe) / (1 - pe)


def evaluate(items: list[dict[str, Any]], scores: Sequence[float], threshold: float = 0.5) -> list[dict[str, Any]]:
    """Rows: overall and per kind — n, accuracy, kappa, tp/fp/tn/fn, unparseable."""
    groups: dict[str, list[int]] = {"all": list(range(len(items)))}
    for i, it in enumerate(items):
        groups.setdefault(it.get("kind", "unknown"), []).append(i)
    out = []
    for g, idx in groups.items():
        ok = [i for i in idx if scores[i] is not None and not math.isnan(scores[i])]
        y = [int(items[i]["label"]) for i in ok]
        p = [int(scores[i] >= threshold) for i in ok]
        tp = sum(a == 1 and b == 1 for a, b in zip(y, p))
        tn = sum(a == 0 and b == 0 for a, b in zip(y, p))
        out.append({"group": g, "n": len(idx), "unparseable": len(idx) - len(ok),
                    "accuracy": (tp + tn) / len(ok) if ok else math.nan,
                    "kappa": cohen_kappa(y, p) if g == "all" else math.nan,
                    "tp": tp, "tn": tn, "fp": sum(a == 0 and b == 1 for a, b in zip(y, p)),
                    "fn": sum(a == 1 and b == 0 for a, b in zip(y, p))})
    return out
