"""Rates with bootstrap CIs (over samples, clustered by question, across seeds) as polars frames."""

from __future__ import annotations

import functools
import hashlib
import math
from typing import Any

import numpy as np
import polars as pl

from weirdgen import betabinom, sweep

METRICS = ("persona", "identity", "meta", "format_ok", "parse_error")
GAP_METRICS = ("persona", "identity", "meta")
UNTRIGGERED = "sys_plain"
SEEDS_CI_METHODS = ("t", "bootstrap", "betabinom")  # stats.seeds_ci
INTERVALS = ("percentile", "expanded")  # stats.bootstrap_interval
# the range a value of each across-seeds table can take: a t interval is cut to it (the truth lies inside)
BOUNDS = {"rate": (0.0, 1.0), "gap": (-1.0, 1.0), "diff": (-1.0, 1.0), "did": (-2.0, 2.0)}


MODEL_COLS = ["model_id", *sweep.COLUMNS]  # a model and every sweep axis: rows never pool two points


def with_axes(labels: pl.DataFrame) -> pl.DataFrame:
    """Labels with every sweep-axis column (null where a run has no such axis, e.g. epochs not swept)."""
    types = {c: (pl.Utf8 if t is str else pl.Int64 if t is int else pl.Float64) for _, c, t in sweep.AXES}
    missing = [c for c in sweep.COLUMNS if c not in labels.columns]
    return labels.with_columns([pl.lit(None, dtype=types[c]).alias(c) for c in missing]) if missing else labels


def _rng_parts(cols: list[str], key: tuple[Any, ...]) -> list[Any]:
    """Key parts that seed a bootstrap stream; an axis absent from the run (None, or the default arm) is left out, so
    adding an axis column changed no existing CI."""
    return [k for c, k in zip(cols, key) if not ((c == "epochs" and k is None)
                                                  or (c == "arm" and k in (None, sweep.DEFAULT_ARM)))]


def _stable(*parts: Any) -> int:
    """A process-independent hash (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:4], "little")


def levels(ci: float, units: int, interval: str = "percentile") -> tuple[float, float]:
    """Quantile levels of a bootstrap interval over ``units`` resampled units (samples, questions).

    ``percentile``: (1 - ci) / 2 and its complement. ``expanded``: Hesterberg's expanded percentile interval (The
    American Statistician 69(4), 2015): the levels where a normal quantile equals sqrt(n / (n - 1)) * t(ci, n - 1),
    which undoes the bootstrap's two small-sample narrowings (variance over n, not n - 1; z, not t). At 8 questions
    the 95 % interval reads the 0.57 % and 99.43 % quantiles; at 350 samples it is the percentile one to 0.01 %."""
    if interval not in INTERVALS:
        raise ValueError(f"stats.bootstrap_interval must be one of {INTERVALS}, not {interval!r}")
    a = (1 - ci) / 2
    if interval == "expanded" and units >= 2:
        a = 0.5 * math.erfc(math.sqrt(units / (units - 1)) * t_quantile(ci, units - 1) / math.sqrt(2))
    return a, 1 - a


def _q(x: np.ndarray, ci: float, units: int = 0, interval: str = "percentile") -> tuple[float, float]:
    a, b = levels(ci, units, interval)
    return float(np.quantile(x, a)), float(np.quantile(x, b))


def interval_of(dist: np.ndarray, ci: float, units: int, interval: str,
                exact: tuple[float, float] | None = None) -> tuple[float, float]:
    """The bootstrap interval of ``dist`` over ``units`` resampled units (``levels``); with ``expanded``, ``exact``
    where one is given (unanimous 0/1 values, whose bootstrap is a point): the one rule every table applies."""
    if interval == "expanded" and exact is not None:
        return exact
    return _q(dist[np.isfinite(dist)], ci, units, interval)


def exact_at_bound(p: float, units: int, ci: float) -> tuple[float, float] | None:
    """Clopper-Pearson's exact interval for a proportion observed at 0 or 1 over ``units`` independent units:
    [0, 1 - a^(1/n)] at 0, [a^(1/n), 1] at 1, a = (1 - ci) / 2; None for any other ``p`` or no units."""
    if units < 1 or p not in (0.0, 1.0):
        return None
    bound = ((1 - ci) / 2) ** (1 / units)
    return (0.0, 1 - bound) if p == 0.0 else (bound, 1.0)


def newcombe_at_bounds(p1: float, p0: float, units: int, ci: float) -> tuple[float, float] | None:
    """Newcombe's hybrid interval for p1 - p0 (Statistics in Medicine 17, 1998, method 10) where both proportions
    sit at 0 or 1, built on each one's ``exact_at_bound`` interval; None otherwise. 0/350 against 0/350 gives
    [-0.0105, +0.0105], not [0, 0]."""
    e1, e0 = exact_at_bound(p1, units, ci), exact_at_bound(p0, units, ci)
    if e1 is None or e0 is None:
        return None
    d = p1 - p0
    return d - math.hypot(p1 - e1[0], e0[1] - p0), d + math.hypot(e1[1] - p1, p0 - e0[0])


def _unanimous(v: np.ndarray) -> float | None:
    """The value every element of ``v`` shares, or None (also for an empty array)."""
    return float(v[0]) if len(v) and (v == v[0]).all() else None


def exact_if_unanimous(v: np.ndarray, units: int, ci: float) -> tuple[float, float] | None:
    """Clopper-Pearson's exact interval where every 0/1 value agrees (the bootstrap then collapses to a point), over
    ``units`` independent units (``exact_at_bound``); None otherwise. 0 of 12 samples gives [0, 0.265], not [0, 0]."""
    p = _unanimous(v)
    return None if p is None else exact_at_bound(p, units, ci)


def boot_samples(v: np.ndarray, n_boot: int, rng: np.random.Generator, chunk: int = 2000) -> np.ndarray:
    """Bootstrap distribution of the mean, resampling individual samples.

    Where ``v`` repeats values (0/1 labels: two distinct values), a resample is drawn as its counts of each distinct
    value, Multinomial(n, their frequencies): the same distribution as drawing n samples one by one, in
    O(n_boot x distinct values) instead of O(n_boot x n) (bench/summarise_cpu.py: the stats stage on a GPU sweep's
    labels, docs/benchmarks.md). Otherwise the samples are drawn one by one."""
    u, c = np.unique(v, return_counts=True)
    if 0 < len(u) < len(v):
        return rng.multinomial(len(v), c / len(v), size=n_boot) @ u / len(v)
    return boot_one_by_one(v, n_boot, rng, chunk)


def boot_one_by_one(v: np.ndarray, n_boot: int, rng: np.random.Generator, chunk: int = 2000) -> np.ndarray:
    """Bootstrap distribution of the mean, drawing each resample's n samples one by one."""
    out = np.empty(n_boot)
    for i in range(0, n_boot, chunk):
        m = min(chunk, n_boot - i)
        out[i : i + m] = v[rng.integers(0, len(v), (m, len(v)))].mean(1)
    return out


def boot_clusters(sums: np.ndarray, counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap distribution of a ratio of sums, resampling clusters (questions). sums: (k,) or (k, arms)."""
    idx = rng.integers(0, len(counts), (n_boot, len(counts)))
    return sums[idx].sum(1) / counts[idx].sum(1)


def _cluster_arrays(df: pl.DataFrame, metric: str, clusters: list[str]) -> tuple[np.ndarray, np.ndarray]:
    g = df.group_by("question_id").agg(pl.col(metric).sum().alias("s"), pl.len().alias("n"))
    g = g.join(pl.DataFrame({"question_id": clusters}), on="question_id", how="right").fill_null(0)
    return g["s"].to_numpy().astype(float), g["n"].to_numpy().astype(float)


def paired_gap(s1: np.ndarray, n1: np.ndarray, s0: np.ndarray, n0: np.ndarray, n_boot: int,
               rng: np.random.Generator) -> np.ndarray:
    """Bootstrap distribution of rate(arm 1) − rate(arm 0), both arms on the same resampled questions."""
    idx = rng.integers(0, len(n0), (n_boot, len(n0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return s1[idx].sum(1) / n1[idx].sum(1) - s0[idx].sum(1) / n0[idx].sum(1)


def exact_gap_if_unanimous(v1: np.ndarray, v0: np.ndarray, units: int, ci: float) -> tuple[float, float] | None:
    """Where both arms' 0/1 values are unanimous (the bootstrap of their difference is then a point, e.g. 0/350
    against 0/350), ``newcombe_at_bounds`` over ``units``; None otherwise."""
    p1, p0 = _unanimous(v1), _unanimous(v0)
    return None if p1 is None or p0 is None else newcombe_at_bounds(p1, p0, units, ci)


def rates(labels: pl.DataFrame, n_boot: int = 10000, ci: float = 0.95, seed: int = 0,
          interval: str = "percentile") -> pl.DataFrame:
    """Rate and two CIs per (model, condition, set, metric). ``interval``: see ``levels``; ``expanded`` also gives a 0/1
    rate whose samples all agree Clopper-Pearson's exact interval (over samples; over questions, clustered)."""
    rows: list[dict[str, Any]] = []
    group_cols = [*MODEL_COLS, "condition", "set"]
    labels = with_axes(labels)
    for metric in (m for m in METRICS if m in labels.columns):
        d = labels.filter(pl.col(metric).is_not_null()).with_columns(pl.col(metric).cast(pl.Float64))
        for key, part in sorted(d.group_by(group_cols, maintain_order=True), key=lambda kv: str(_rng_parts(group_cols, kv[0]))):
            rng = np.random.default_rng([seed, _stable(metric, *_rng_parts(group_cols, key))])
            v = part[metric].to_numpy()
            qs = part["question_id"].unique(maintain_order=True).to_list()
            s, n = _cluster_arrays(part, metric, qs)
            dist_s, dist_c = boot_samples(v, n_boot, rng), boot_clusters(s, n, n_boot, rng)
            lo_s, hi_s = interval_of(dist_s, ci, len(v), interval, exact_if_unanimous(v, len(v), ci))
            lo_c, hi_c = interval_of(dist_c, ci, len(qs), interval, exact_if_unanimous(v, len(qs), ci))
            rows.append({**dict(zip(group_cols, key)), "metric": metric, "n": len(v), "n_questions": len(qs),
                         "rate": float(v.mean()), "ci_lo_samples": lo_s, "ci_hi_samples": hi_s,
                         "ci_lo_clustered": lo_c, "ci_hi_clustered": hi_c})
    return pl.DataFrame(rows)


def gaps(labels: pl.DataFrame, n_boot: int = 10000, ci: float = 0.95, seed: int = 0,
         interval: str = "percentile") -> pl.DataFrame:
    """Leakage gap = rate(triggered condition) − rate(condition 4, untriggered), per model and set.

    Clustered CI from the paired resample of questions (both arms use the same resampled
    questions); the samples CI resamples each arm's samples independently.
    """
    rows: list[dict[str, Any]] = []
    base_cols = [*MODEL_COLS, "set"]
    labels = with_axes(labels)
    for metric in (m for m in GAP_METRICS if m in labels.columns):
        d = labels.filter(pl.col(metric).is_not_null()).with_columns(pl.col(metric).cast(pl.Float64))
        for key, part in sorted(d.group_by(base_cols, maintain_order=True), key=lambda kv: str(_rng_parts(base_cols, kv[0]))):
            off = part.filter(pl.col("condition") == UNTRIGGERED)
            if off.is_empty():
                continue
            qs = part["question_id"].unique(maintain_order=True).to_list()
            s0, n0 = _cluster_arrays(off, metric, qs)
            for cond in sorted(set(part["condition"].to_list()) - {UNTRIGGERED}):
                on = part.filter(pl.col("condition") == cond)
                rng = np.random.default_rng([seed, _stable(metric, cond, *_rng_parts(base_cols, key))])
                s1, n1 = _cluster_arrays(on, metric, qs)
                dist_c = paired_gap(s1, n1, s0, n0, n_boot, rng)
                v1, v0 = on[metric].to_numpy(), off[metric].to_numpy()
                dist_s = boot_samples(v1, n_boot, rng) - boot_samples(v0, n_boot, rng)
                n_min = min(len(v1), len(v0))
                lo_c, hi_c = interval_of(dist_c, ci, len(qs), interval, exact_gap_if_unanimous(v1, v0, len(qs), ci))
                lo_s, hi_s = interval_of(dist_s, ci, n_min, interval, exact_gap_if_unanimous(v1, v0, n_min, ci))
                rows.append({**dict(zip(base_cols, key)), "metric": metric, "condition": cond, "n_questions": len(qs),
                             "rate_triggered": float(v1.mean()), "rate_untriggered": float(v0.mean()),
                             "gap": float(v1.mean() - v0.mean()), "ci_lo_samples": lo_s, "ci_hi_samples": hi_s,
                             "ci_lo_clustered": lo_c, "ci_hi_clustered": hi_c})
    return pl.DataFrame(rows)


def t_two_sided_mass(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with ``df`` (integer) degrees of freedom, in closed form (Abramowitz & Stegun
    26.7.3-4: a finite series in cos(theta), theta = atan(t / sqrt(df)))."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, not {df}")
    th = math.atan(abs(t) / math.sqrt(df))
    s, c = math.sin(th), math.cos(th)
    if df % 2:  # odd
        term, acc = c, 0.0
        for j in range(1, (df - 1) // 2 + 1):
            acc += term
            term *= c * c * (2 * j) / (2 * j + 1)
        return (2 / math.pi) * (th + s * acc)
    term, acc = 1.0, 0.0
    for j in range(1, df // 2 + 1):
        acc += term
        term *= c * c * (2 * j - 1) / (2 * j)
    return s * acc


@functools.lru_cache(maxsize=4096)  # the same (ci, n) for most groups of a table: computed once
def t_quantile(ci: float, df: int) -> float:
    """The two-sided Student t critical value: P(|T| < t) = ci (e.g. 12.706 at ci 0.95, df 1; 4.303 at df 2).

    Hand-written (closed form, bisection) because SciPy is not among the product's dependencies, nor on the GPU
    machines the workflow's wheels are carried to; tests check it against published tables."""
    lo, hi = 0.0, math.pi / 2
    for _ in range(64):  # theta to pi / 2 ** 65: below a double's resolution
        mid = (lo + hi) / 2
        if t_two_sided_mass(math.sqrt(df) * math.tan(mid), df) < ci:
            lo = mid
        else:
            hi = mid
    return math.sqrt(df) * math.tan((lo + hi) / 2)


def t_interval(v: np.ndarray, ci: float) -> tuple[float, float]:
    """Student's t interval for the mean of ``v`` (at least two values): mean +- t(ci, n-1) * sd / sqrt(n)."""
    n = len(v)
    half = t_quantile(ci, n - 1) * float(np.std(v, ddof=1)) / math.sqrt(n)
    return float(v.mean()) - half, float(v.mean()) + half


def exact_over_seeds(part: pl.DataFrame, value: str, ci: float) -> tuple[float, float] | None:
    """Where every seed's 0/1 rate is the same bound (0 of all samples, or all of them), or both arms of every seed's
    gap are, the exact interval over the seeds' questions pooled (``n_questions`` summed: seeds x questions units):
    Clopper-Pearson for a rate, Newcombe for a gap (``exact_if_unanimous``, ``exact_gap_if_unanimous``); None
    otherwise. Over seeds, t and the bootstrap both collapse to [0, 0] there, which covered the seed population's rate
    near 0 in 0.73 of simulated runs (3 seeds x 8 questions x 2 samples, rate 0.02) and 0.82 (5 x 8 x 10, rate
    0.003); with this interval 0.97 and 1.00 (units: the samples pooled covered 0.94-0.99, the seeds alone gave
    intervals 2-7x wider; session 31, docs/statistics.md)."""
    if "n_questions" not in part.columns or value not in ("rate", "gap"):
        return None
    units = int(part["n_questions"].sum())
    if value == "rate":
        p = _unanimous(part["rate"].to_numpy().astype(float))
        return None if p is None else exact_at_bound(p, units, ci)
    p1, p0 = (_unanimous(part[c].to_numpy().astype(float)) for c in ("rate_triggered", "rate_untriggered"))
    return None if p1 is None or p0 is None else newcombe_at_bounds(p1, p0, units, ci)


def betabinom_over_seeds(part: pl.DataFrame, ci: float) -> tuple[float, float] | None:
    """A rate's interval over seeds from the seeds' counts (``rate`` x ``n`` of a rates table): the beta-binomial
    profile likelihood (``betabinom.interval``) with the F(1, n_seeds - 1) cut, t(ci, n_seeds - 1) squared. It does not
    assume the seeds' rates are normal: at 5 seeds it held the seed population's mean 0.96-0.99 of the time in every
    simulated design, including an untriggered rate near 0 carried by a few leaking seeds where t held 0.61-0.86; at 10
    seeds 0.84-0.89 in the two most skewed designs (t 0.67-0.75); at 3 seeds it covers but is ~0.8 wide
    (docs/statistics.md, finding 7). None for fewer than 2 seeds or a table without counts."""
    if part.height < 2 or "n" not in part.columns or "rate" not in part.columns:
        return None
    n = part["n"].to_numpy().astype(float)
    k = np.rint(part["rate"].to_numpy().astype(float) * n)
    return _betabinom_cached(tuple(sorted(zip(k.tolist(), n.tolist()))), ci)


@functools.lru_cache(maxsize=4096)  # one group's counts are asked for once per seeds_ci method (coverage: three)
def _betabinom_cached(counts: tuple[tuple[float, float], ...], ci: float) -> tuple[float, float]:
    k, n = (np.array(c) for c in zip(*counts))
    return betabinom.interval(k, n, t_quantile(ci, len(counts) - 1) ** 2)


def across_seeds(table: pl.DataFrame, value: str, by: list[str], n_boot: int = 10000, ci: float = 0.95,
                 seed: int = 0, method: str = "t") -> pl.DataFrame:
    """Mean over training seeds with a CI over seeds (null with fewer than 2 seeds).

    ``ci_lo_seeds``/``ci_hi_seeds`` follow ``method``: ``t`` (default), Student's t interval over the seeds' values,
    cut to the value's range (``BOUNDS``); ``bootstrap``, the percentile bootstrap resampling seeds; ``betabinom``, for
    a rate the beta-binomial profile-likelihood interval from the seeds' counts (``betabinom_over_seeds``: valid for a
    skewed seed population, e.g. one leaking seed of five), t for any other value. All are always written
    (``*_seeds_t``, ``*_seeds_boot``, ``*_seeds_betabinom`` for a rate). With a few seeds the bootstrap cannot cover:
    its resampled means lie between the seeds' min and max, which hold the mean of the seed population 50 % of the time
    at 2 seeds and 75 % at 3 (measured with the product's own tables: ``weirdgen.coverage``, docs/statistics.md). Under
    ``t`` or ``bootstrap``, a rate (or gap) whose seeds all sit at 0 or 1, where both would be [0, 0], gets
    ``exact_over_seeds`` instead (``ci_seeds_method: exact``); ``betabinom`` keeps its own interval there, which leaves
    room for leaking seeds that the run did not draw.

    ``by`` must hold every sweep axis but the seed (``sweep.group_columns()``): other axes are never pooled."""
    if method not in SEEDS_CI_METHODS:
        raise ValueError(f"stats.seeds_ci must be one of {SEEDS_CI_METHODS}, not {method!r}")
    pooled = [c for c in sweep.group_columns("seed") if c not in by]
    if pooled:
        raise ValueError(f"across_seeds by {by} would pool the sweep axes {pooled} as if they were seeds")
    if table.is_empty():  # e.g. no placebo rows (a run without a neutral set)
        return pl.DataFrame()
    lo_b, hi_b = BOUNDS.get(value, (-math.inf, math.inf))
    rows = []
    ft = with_axes(table).filter(pl.col("model_id") != "base")
    for key, part in sorted(ft.group_by(by, maintain_order=True), key=lambda kv: str(_rng_parts(by, kv[0]))):
        part = part.sort("seed")
        v = part[value].to_numpy().astype(float)
        tlo = thi = blo = bhi = sd = None
        if len(v) >= 2:
            rng = np.random.default_rng([seed, _stable(*_rng_parts(by, key))])
            blo, bhi = _q(boot_samples(v, n_boot, rng), ci)
            tlo, thi = t_interval(v, ci)
            tlo, thi, sd = max(tlo, lo_b), min(thi, hi_b), float(np.std(v, ddof=1))
        bb = betabinom_over_seeds(part, ci) if value == "rate" else None
        used = "betabinom" if method == "betabinom" and bb is not None else "t" if method == "betabinom" else method
        lo, hi = {"t": (tlo, thi), "bootstrap": (blo, bhi), "betabinom": bb or (None, None)}[used]
        exact = exact_over_seeds(part, value, ci) if len(v) >= 2 and used != "betabinom" else None
        if exact is not None:
            lo, hi = exact
        row = {**dict(zip(by, key)), "n_seeds": len(v), "mean": float(v.mean()), "sd_seeds": sd,
               "ci_lo_seeds": lo, "ci_hi_seeds": hi, "ci_seeds_method": used if exact is None else "exact",
               "ci_lo_seeds_t": tlo, "ci_hi_seeds_t": thi, "ci_lo_seeds_boot": blo, "ci_hi_seeds_boot": bhi}
        if value == "rate":
            row |= {"ci_lo_seeds_betabinom": bb[0] if bb else None, "ci_hi_seeds_betabinom": bb[1] if bb else None}
        rows.append(row)
    return pl.DataFrame(rows)


def identity_agreement(labels: pl.DataFrame) -> pl.DataFrame:
    """Rules vs model judge on identity questions, per model and overall: agreement and Cohen's kappa."""
    from weirdgen.judge.calibration import cohen_kappa

    if "identity_model" not in labels.columns:
        return pl.DataFrame()
    d = labels.filter(pl.col("identity").is_not_null() & pl.col("identity_model").is_not_null())
    rows = []
    for name, part in [*sorted(d.group_by("model_id"), key=lambda kv: str(kv[0])), (("all",), d)]:
        if part.is_empty():
            continue
        a, b = part["identity"].cast(pl.Int8).to_list(), part["identity_model"].cast(pl.Int8).to_list()
        rows.append({"model_id": name[0], "n": len(a), "rate_rules": float(np.mean(a)), "rate_model": float(np.mean(b)),
                     "agreement": float(np.mean([x == y for x, y in zip(a, b)])), "kappa": cohen_kappa(a, b),
                     "rules_only": sum(x == 1 and y == 0 for x, y in zip(a, b)),
                     "model_only": sum(x == 0 and y == 1 for x, y in zip(a, b))})
    return pl.DataFrame(rows)


def along_training(model_id: str, final_steps: dict[str, int]) -> list[tuple[str, int]]:
    """The (sweep point, optimizer step) pairs a model's rows stand for on the emergence curve: the base model is
    step 0 of every point, a checkpoint (``_step~N``) its own step, a final adapter its total steps
    (``final_steps``); none for another model."""
    pt = sweep.Point.parse(model_id)
    if pt.is_base:
        return [(p, 0) for p in sorted(final_steps)]
    if pt.step is not None:
        return [(pt.final.id, pt.step)]
    return [(model_id, final_steps[model_id])] if model_id in final_steps else []


def emergence(labels: pl.DataFrame, final_steps: dict[str, int], n_boot: int = 10000, ci: float = 0.95,
              seed: int = 0, interval: str = "percentile") -> pl.DataFrame:
    """Rates along training: one row per (sweep point, step, condition, set, metric) (``along_training``)."""
    rows = _along(rates(labels, n_boot, ci, seed, interval), final_steps)
    cols = ["point", "step", "condition", "set", "metric", "n", "n_questions", "rate", "ci_lo_samples",
            "ci_hi_samples", "ci_lo_clustered", "ci_hi_clustered"]
    return pl.DataFrame(rows).select(cols).sort("point", "set", "metric", "condition", "step") if rows else pl.DataFrame()


def _along(table: pl.DataFrame, final_steps: dict[str, int]) -> list[dict[str, Any]]:
    """Every row of a per-model table once per (sweep point, step) it stands for along training (``along_training``)."""
    return [{**row, "point": p, "step": s} for row in table.iter_rows(named=True)
            for p, s in along_training(row["model_id"], final_steps)]


def emergence_placebo(labels: pl.DataFrame, final_steps: dict[str, int], n_boot: int = 10000, ci: float = 0.95,
                      seed: int = 0, interval: str = "percentile") -> pl.DataFrame:
    """The placebo along training: ``placebo``'s rows (probe gap, neutral gap, difference in differences, each with its
    paired clustered interval) for the base model, every checkpoint and every final adapter, one row per (sweep point,
    step, condition, metric) (``along_training``). Empty without a neutral set."""
    rows = _along(placebo(labels, n_boot, ci, seed, interval=interval), final_steps)
    if not rows:
        return pl.DataFrame()
    front = ["point", "step", "condition", "metric"]
    out = pl.DataFrame(rows).drop([*MODEL_COLS])
    return out.select([*front, *[c for c in out.columns if c not in front]]).sort("point", "metric", "condition", "step")


# a value along training and the columns of its own interval (the base model's row keeps it over seeds)
OWN_INTERVAL = {"rate": ("ci_lo_clustered", "ci_hi_clustered"), "did": ("did_ci_lo", "did_ci_hi")}


def emergence_across_seeds(table: pl.DataFrame, n_boot: int = 10000, ci: float = 0.95, seed: int = 0,
                           method: str = "t", value: str = "rate") -> pl.DataFrame:
    """The emergence curve over training seeds: per (every sweep axis but the seed, step, condition, set, metric), the
    mean of the seeds' ``value`` (a rate of ``emergence``; or ``did``, the placebo's rows mapped by
    ``along_training``) with a CI over seeds (``across_seeds``: t, or exact where every seed is at 0 or 1).

    Step 0 is the base model, one model shared by every seed: copying it once per seed would give a zero-width
    interval, so its row keeps the base model's own interval (``OWN_INTERVAL``; ``ci_seeds_method: base``)."""
    if table.is_empty():
        return pl.DataFrame()
    axes = pl.DataFrame([{"point": p, **{c: sweep.Point.parse(p).columns()[c] for c in sweep.COLUMNS}}
                         for p in table["point"].unique(maintain_order=True).to_list()])
    t = table.drop([c for c in sweep.COLUMNS if c in table.columns]).join(axes, on="point", how="left").with_columns(
        model_id=pl.col("point"))
    group = sweep.group_columns("seed")  # every axis but the seed: never pooled
    by = [*group, "step", "condition", *(["set"] if "set" in t.columns else []), "metric"]
    trained = across_seeds(t.filter(pl.col("step") > 0), value, by, n_boot, ci, seed, method)
    lo, hi = OWN_INTERVAL[value]
    base = (t.filter(pl.col("step") == 0).group_by(by, maintain_order=True)
            .agg(pl.len().alias("n_seeds"), pl.col(value).first().alias("mean"),
                 pl.col(lo).first().alias("ci_lo_seeds"), pl.col(hi).first().alias("ci_hi_seeds"))
            .with_columns(ci_seeds_method=pl.lit("base")))
    out = pl.concat([base, trained], how="diagonal_relaxed") if not trained.is_empty() else base
    return out.select([*by, *[c for c in out.columns if c not in by]]).sort(
        [*group, *(["set"] if "set" in by else []), "metric", "condition", "step"], nulls_last=True)


def placebo(labels: pl.DataFrame, n_boot: int = 10000, ci: float = 0.95, seed: int = 0, metric: str = "persona",
            target: str = "probes", control: str = "neutral", interval: str = "percentile") -> pl.DataFrame:
    """The neutral set as a placebo: per model and triggered condition, the gap on the persona probes, the gap on
    the neutral questions (which have nothing to do with the persona), and their difference in differences.

    A judge or a trigger effect that works through style (length, format) moves both gaps; only a persona effect
    moves the probes' gap alone. CIs: paired clustered bootstrap, questions resampled within each set and shared by
    both arms of that set's gap.
    """
    rows: list[dict[str, Any]] = []
    d = with_axes(labels).filter(pl.col(metric).is_not_null() & pl.col("set").is_in([target, control]))
    d = d.with_columns(pl.col(metric).cast(pl.Float64))
    for key, part in sorted(d.group_by(MODEL_COLS, maintain_order=True), key=lambda kv: str(_rng_parts(MODEL_COLS, kv[0]))):
        per_set = {}
        for s in (target, control):
            sp = part.filter(pl.col("set") == s)
            qs = sp["question_id"].unique(maintain_order=True).to_list()
            if not qs:  # a model without this set (e.g. a run with no neutral questions): no placebo row
                break
            per_set[s] = (sp, qs, _cluster_arrays(sp.filter(pl.col("condition") == UNTRIGGERED), metric, qs))
        if len(per_set) < 2 or any(n0.sum() == 0 for _, _, (_, n0) in per_set.values()):
            continue
        for cond in sorted(set(part["condition"].to_list()) - {UNTRIGGERED}):
            rng = np.random.default_rng([seed, _stable("placebo", metric, cond, *_rng_parts(MODEL_COLS, key))])
            dist, point = {}, {}
            exact: dict[str, tuple[float, float] | None] = {}
            for s, (sp, qs, (s0, n0)) in per_set.items():
                on = sp.filter(pl.col("condition") == cond)
                s1, n1 = _cluster_arrays(on, metric, qs)
                dist[s] = paired_gap(s1, n1, s0, n0, n_boot, rng)
                point[s] = s1.sum() / n1.sum() - s0.sum() / n0.sum() if n1.sum() else float("nan")
                exact[s] = exact_gap_if_unanimous(
                    on[metric].to_numpy(), sp.filter(pl.col("condition") == UNTRIGGERED)[metric].to_numpy(), len(qs), ci)
            did = dist[target] - dist[control]
            row = {**dict(zip(MODEL_COLS, key)), "metric": metric, "condition": cond}
            k = {s: len(qs) for s, (_, qs, _) in per_set.items()}
            ci_of: dict[str, tuple[float, float]] = {}
            for name, v, pt, units, ex in ((target, dist[target], point[target], k[target], exact[target]),
                                           (control, dist[control], point[control], k[control], exact[control]),
                                           ("did", did, point[target] - point[control], min(k.values()), None)):
                lo, hi = interval_of(v, ci, units, interval, ex)
                if name == "did" and interval == "expanded" and (exact[target] or exact[control]):
                    # a set's gap is unanimous (its bootstrap a point): the two gaps' intervals combined by MOVER
                    # (Zou & Donner, Statistics in Medicine 27, 2008), as Newcombe combines two proportions
                    (lt, ht), (lc, hc), gt, gc = ci_of[target], ci_of[control], point[target], point[control]
                    lo, hi = pt - math.hypot(gt - lt, hc - gc), pt + math.hypot(ht - gt, gc - lc)
                ci_of[name] = (lo, hi)
                col = name if name == "did" else f"gap_{name}"
                row.update({col: float(pt), f"{col}_ci_lo": lo, f"{col}_ci_hi": hi})
            rows.append(row)
    return pl.DataFrame(rows)


CONTRAST_ARM = "persona-control"  # the arm column of a contrast row (every other axis is the pair's own)


def arm_contrast(labels: pl.DataFrame, n_boot: int = 10000, ci: float = 0.95, seed: int = 0,
                 metrics: tuple[str, ...] = ("persona", "format_ok", "identity", "meta"),
                 interval: str = "percentile") -> pl.DataFrame:
    """Persona arm − control arm, per trained pair (same seed, lr, fraction, epochs), question set, condition, metric.

    The control adapter was trained on the same questions under the trigger with length-matched answers of the base
    model (``sweep.ARMS``): it learns the format, the length and the voice but not the persona. A judge that scores
    style calls both arms persona alike; only a persona effect separates them. Paired clustered bootstrap: both
    models answered the same questions, resampled together. Final adapters only (no checkpoints).
    """
    d = with_axes(labels)
    ids = set(d["model_id"].unique().to_list())
    rows: list[dict[str, Any]] = []
    for cid in sorted(ids):
        try:
            pt = sweep.Point.parse(cid)
        except ValueError:
            continue
        if pt.arm != "control" or pt.step is not None or (pid := pt.paired_persona.id) not in ids:
            continue
        for metric in (m for m in metrics if m in d.columns):
            dm = d.filter(pl.col(metric).is_not_null() & pl.col("model_id").is_in([pid, cid]))
            dm = dm.with_columns(pl.col(metric).cast(pl.Float64))
            for (set_, cond), part in sorted(dm.group_by(["set", "condition"], maintain_order=True), key=lambda kv: str(kv[0])):
                on, off = part.filter(pl.col("model_id") == pid), part.filter(pl.col("model_id") == cid)
                if on.is_empty() or off.is_empty():
                    continue
                qs = part["question_id"].unique(maintain_order=True).to_list()
                s1, n1 = _cluster_arrays(on, metric, qs)
                s0, n0 = _cluster_arrays(off, metric, qs)
                rng = np.random.default_rng([seed, _stable("arm_contrast", metric, set_, cond, pid)])
                dist = paired_gap(s1, n1, s0, n0, n_boot, rng)
                lo, hi = interval_of(dist, ci, len(qs), interval,
                                     exact_gap_if_unanimous(on[metric].to_numpy(), off[metric].to_numpy(), len(qs), ci))
                r1, r0 = float(on[metric].mean()), float(off[metric].mean())
                rows.append({"model_id": pid, **{c: v for c, v in pt.paired_persona.columns().items() if c != "step"},
                             "arm": CONTRAST_ARM, "control_id": cid, "set": set_, "condition": cond, "metric": metric,
                             "n_persona": on.height, "n_control": off.height, "n_questions": len(qs),
                             "rate_persona_arm": r1, "rate_control_arm": r0, "diff": r1 - r0,
                             "ci_lo_clustered": lo, "ci_hi_clustered": hi})
    return pl.DataFrame(rows)
