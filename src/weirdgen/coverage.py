"""How often the stats stage's 95 % intervals hold the truth: labels simulated from a known model, run through the
product's own ``stats.rates``, ``stats.gaps`` and ``stats.across_seeds``, one replicate at a time.

The model (logit scale): a label is Bernoulli(expit(a_cond + u_q + w_s)), where u_q ~ N(0, question_sd) is the
question's effect (one draw per replicate, shared by the seeds and conditions, as the eval questions are) and
w_s ~ N(0, seed_sd) the training seed's. Each interval is scored against the quantity it claims:

- ``samples_<kind>``: this seed's rate on these questions (samples resampled, questions fixed);
- ``clustered_<kind>``: this seed's rate over the population of questions (questions resampled);
- ``seeds_<method>``: the mean rate over the population of training seeds, on these questions (seeds resampled;
  ``stats.SEEDS_CI_METHODS``, ``betabinom`` for rates only).

``<kind>`` is the bootstrap interval (``stats.levels``: ``percentile`` or ``expanded``). Truths over a population are Gauss-Hermite integrals, exact to ~1e-9 here. A method that cannot cover (the
percentile bootstrap over 2-5 seeds is bounded by the seeds' min and max) shows it in the table."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from weirdgen import stats, sweep
from weirdgen.judge.calibration import wilson

TRIGGERED = "nosys_trigger"
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(60)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()  # E[f(Z)], Z ~ N(0, 1) = sum(w * f(x))


@dataclass(frozen=True)
class Design:
    """One simulated experiment: what a sweep point's tables are computed from."""

    n_seeds: int = 3
    n_questions: int = 25
    n_samples: int = 10
    rate_triggered: float = 0.5  # the rate at u = w = 0, on the probability scale
    rate_untriggered: float = 0.05
    question_sd: float = 1.0  # logit scale
    seed_sd: float = 0.5  # logit scale


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def simulate(d: Design, rng: np.random.Generator) -> tuple[pl.DataFrame, dict[str, Any]]:
    """One replicate's labels (the judge stage's columns that the stats stage reads) and the truths of every interval."""
    a = {TRIGGERED: _logit(d.rate_triggered), stats.UNTRIGGERED: _logit(d.rate_untriggered)}
    u = rng.normal(0, d.question_sd, d.n_questions)
    w = rng.normal(0, d.seed_sd, d.n_seeds)
    cols: dict[str, list[Any]] = {"model_id": [], "seed": [], "condition": [], "question_id": [], "persona": []}
    truth: dict[str, Any] = {"samples": {}, "clustered": {}, "seeds": {}}
    for cond, ac in a.items():
        for s in range(d.n_seeds):
            p = _expit(ac + u + w[s])  # (questions,)
            y = rng.random((d.n_questions, d.n_samples)) < p[:, None]
            mid = sweep.Point(seed=s + 1, lr=2e-4, persona_fraction=0.029).id
            n = d.n_questions * d.n_samples
            cols["model_id"] += [mid] * n
            cols["seed"] += [s + 1] * n
            cols["condition"] += [cond] * n
            cols["question_id"] += [f"q{q:03d}" for q in range(d.n_questions) for _ in range(d.n_samples)]
            cols["persona"] += y.ravel().tolist()
            truth["samples"][(s + 1, cond)] = float(p.mean())
            truth["clustered"][(s + 1, cond)] = float(_WEIGHTS @ _expit(ac + d.question_sd * _NODES + w[s]))
        truth["seeds"][cond] = float(_WEIGHTS @ _expit(ac + u[None, :] + d.seed_sd * _NODES[:, None]).mean(1))
    labels = pl.DataFrame(cols).with_columns(pl.lit("probes").alias("set"), pl.col("persona").cast(pl.Int8))
    return labels, truth


def replicate(d: Design, rng: np.random.Generator, n_boot: int, ci: float,
              intervals: tuple[str, ...] = stats.INTERVALS,
              seeds_methods: tuple[str, ...] = stats.SEEDS_CI_METHODS) -> list[dict[str, Any]]:
    """Whether each interval of one simulated run holds its truth: one row per (interval, quantity). The samples and
    clustered intervals are scored for each bootstrap interval in ``intervals`` (``stats.levels``) on the same
    resamples, the intervals over seeds for each method in ``seeds_methods``."""
    labels, truth = simulate(d, rng)
    seed = int(rng.integers(2**31))
    by = [*sweep.group_columns("seed"), "condition", "set", "metric"]
    out: list[dict[str, Any]] = []

    def add(interval: str, quantity: str, lo: float | None, hi: float | None, t: float) -> None:
        if lo is not None and hi is not None:
            out.append({"interval": interval, "quantity": quantity, "covered": lo <= t <= hi, "width": hi - lo})

    for kind in intervals:
        r = stats.rates(labels, n_boot, ci, seed, kind).filter(pl.col("metric") == "persona")
        g = stats.gaps(labels, n_boot, ci, seed, kind).filter(pl.col("metric") == "persona")
        for row in r.iter_rows(named=True):
            k = (row["seed"], row["condition"])
            q = "rate_triggered" if row["condition"] == TRIGGERED else "rate_untriggered"
            add(f"samples_{kind}", q, row["ci_lo_samples"], row["ci_hi_samples"], truth["samples"][k])
            add(f"clustered_{kind}", q, row["ci_lo_clustered"], row["ci_hi_clustered"], truth["clustered"][k])
        for row in g.iter_rows(named=True):
            s = row["seed"]
            add(f"samples_{kind}", "gap", row["ci_lo_samples"], row["ci_hi_samples"],
                truth["samples"][(s, TRIGGERED)] - truth["samples"][(s, stats.UNTRIGGERED)])
            add(f"clustered_{kind}", "gap", row["ci_lo_clustered"], row["ci_hi_clustered"],
                truth["clustered"][(s, TRIGGERED)] - truth["clustered"][(s, stats.UNTRIGGERED)])
    if d.n_seeds >= 2:
        gap_truth = truth["seeds"][TRIGGERED] - truth["seeds"][stats.UNTRIGGERED]
        for method in seeds_methods:
            for row in stats.across_seeds(r, "rate", by, n_boot, ci, seed, method=method).iter_rows(named=True):
                q = "rate_triggered" if row["condition"] == TRIGGERED else "rate_untriggered"
                add(f"seeds_{method}", q, row["ci_lo_seeds"], row["ci_hi_seeds"], truth["seeds"][row["condition"]])
            if method == "betabinom":  # a rate's interval only (a gap under it is t's, scored above)
                continue
            for row in stats.across_seeds(g, "gap", by, n_boot, ci, seed, method=method).iter_rows(named=True):
                add(f"seeds_{method}", "gap", row["ci_lo_seeds"], row["ci_hi_seeds"], gap_truth)
    return out


def coverage(designs: list[Design], replicates: int, n_boot: int = 2000, ci: float = 0.95,
             seed: int = 0, intervals: tuple[str, ...] = stats.INTERVALS,
             seeds_methods: tuple[str, ...] = stats.SEEDS_CI_METHODS) -> pl.DataFrame:
    """Coverage (share of replicates whose interval holds the truth) with its 95 % Wilson interval, and mean width,
    per design, interval and quantity."""
    rows = []
    for i, d in enumerate(designs):
        rng = np.random.default_rng([seed, i])
        hits = pl.DataFrame([h for _ in range(replicates) for h in replicate(d, rng, n_boot, ci, intervals, seeds_methods)])
        for (interval, quantity), part in sorted(hits.group_by(["interval", "quantity"]), key=lambda kv: kv[0]):
            k, n = int(part["covered"].sum()), part.height
            lo, hi = wilson(k, n)
            rows.append({**asdict(d), "interval": interval, "quantity": quantity, "nominal": ci, "n": n,
                         "coverage": k / n, "coverage_lo": lo, "coverage_hi": hi,
                         "mean_width": float(part["width"].mean())})
    return pl.DataFrame(rows)
