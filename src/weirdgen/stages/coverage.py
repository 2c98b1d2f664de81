"""Stage ci-coverage: how often the stats stage's intervals hold the truth at this run's design (``weirdgen.coverage``):
labels simulated for its number of seeds, each question set's size and its samples per question."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from weirdgen import config, coverage, tables
from weirdgen.jsonl import DataError, iter_jsonl
from weirdgen.provenance import write_sidecar

EXTRA = ("n_seeds", "n_samples")  # from the sweep and eval sections, beside the stats section


def run(params: dict[str, Any], *, questions: Path | str, out: Path | str) -> None:
    import polars as pl

    p = config.stage_params("stats", params, "weirdgen ci-coverage --params", EXTRA)
    for k in EXTRA:
        if not isinstance(p.get(k), int) or p[k] < 1:
            raise config.ConfigError(f"weirdgen ci-coverage --params: {k} must be a positive integer, not {p.get(k)!r}")
    sizes: Counter[str] = Counter()
    for n, q in iter_jsonl(questions):
        if not isinstance(q.get("set"), str) or not q["set"]:
            raise DataError(questions, n, "set", "missing or not a string: every eval question names its set")
        sizes[q["set"]] += 1
    if not sizes:
        raise DataError(questions, None, None, "no questions: nothing to simulate a design from")
    c = p["coverage"]
    by_size: dict[int, list[str]] = {}
    for set_, n in sorted(sizes.items()):
        by_size.setdefault(n, []).append(set_)
    design = dict(n_seeds=p["n_seeds"], n_samples=p["n_samples"], rate_triggered=c["rate_triggered"],
                  question_sd=c["question_sd"])
    scenarios = {"typical": (c["rate_untriggered"], c["seed_sd"])}
    if p["n_seeds"] >= 2 and c["skewed_rate_untriggered"] is not None:  # the case t over seeds cannot hold
        scenarios["skewed"] = (c["skewed_rate_untriggered"], c["skewed_seed_sd"])
    parts = []
    for name, (rate0, seed_sd) in scenarios.items():
        sizes_ = sorted(by_size) if name == "typical" else [max(by_size)]  # skewed: the largest set (the probes)
        designs = [coverage.Design(n_questions=n, rate_untriggered=rate0, seed_sd=seed_sd, **design) for n in sizes_]
        parts.append(coverage.coverage(designs, c["replicates"], c["n_boot"], p["ci"], p["seed"])
                     .with_columns(scenario=pl.lit(name)))
    df = pl.concat(parts).with_columns(
        pl.col("n_questions").map_elements(lambda n: ", ".join(by_size[n]), return_dtype=pl.Utf8).alias("sets"))
    note = ("\n\nEach row: the share of simulated runs whose interval holds the quantity it claims (`samples_*`: this "
            "seed's rate on these questions; `clustered_*`: over the population of questions; `seeds_t`, "
            "`seeds_bootstrap`, `seeds_betabinom` (rates only): the mean over training seeds), with its 95 % Wilson interval; `*_percentile` and "
            "`*_expanded` are the two bootstrap intervals, read from the same resamples. The labels are simulated "
            "(rates and spreads from `stats.coverage`) and pass through the stats stage's own code; `scenario` "
            "`skewed` (with 2 or more seeds; the largest question set only): an untriggered rate near 0 carried by a few "
            "leaking seeds, where t over seeds falls short and `seeds_betabinom` holds. This run's tables "
            f"use `{p['bootstrap_interval']}` (`stats.bootstrap_interval`) and, over seeds, `{p['seeds_ci']}` "
            "(`stats.seeds_ci`).\n")
    tables.write(df, Path(out), note)
    write_sidecar(Path(out), "ci-coverage", p, [questions])
