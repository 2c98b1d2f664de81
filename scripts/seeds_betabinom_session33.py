"""The published 5-seed runs' rates over seeds, recomputed with the beta-binomial interval (session 33).

Reads each run's per-seed rates table (``tables/rates.csv.gz``, or ``rates.md`` where only the markdown was kept:
rates to 3 decimals recover every count exactly at n <= 500) and applies the product's ``stats.across_seeds`` with
``method="betabinom"`` (and the default ``t`` beside it) to format adherence and the persona and identity metrics,
every condition, the probes.

    python scripts/seeds_betabinom_session33.py OUT_CSV RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from weirdgen import stats, sweep


def per_seed(run: Path) -> pl.DataFrame:
    csv, md = run / "tables" / "rates.csv.gz", run / "tables" / "rates.md"
    if csv.exists():
        return pl.read_csv(csv)
    lines = [ln.strip().strip("|").split("|") for ln in md.read_text().splitlines() if ln.startswith("|")]
    head, body = [c.strip() for c in lines[0]], [[c.strip() for c in ln] for ln in lines[2:]]
    df = pl.DataFrame({h: [r[i] or None for r in body] for i, h in enumerate(head)})
    return df.with_columns(pl.col("seed", "n", "n_questions", "epochs").cast(pl.Int64),
                           pl.col("lr", "persona_fraction", "rate").cast(pl.Float64))


def main(out: Path, runs: list[Path]) -> None:
    by = [*sweep.group_columns("seed"), "condition", "set", "metric"]
    rows = []
    for run in runs:
        r = per_seed(run).filter(pl.col("set") == "probes", pl.col("metric").is_in(["format_ok", "persona", "identity"]))
        t = stats.across_seeds(r, "rate", by, 2000, 0.95, 0, "t")
        b = stats.across_seeds(r, "rate", by, 2000, 0.95, 0, "betabinom")
        j = t.select(*by, "n_seeds", "mean", "sd_seeds", "ci_lo_seeds", "ci_hi_seeds", "ci_seeds_method").join(
            b.select(*by, pl.col("ci_lo_seeds").alias("ci_lo_betabinom"), pl.col("ci_hi_seeds").alias("ci_hi_betabinom")),
            on=by, nulls_equal=True)
        rows.append(j.with_columns(run=pl.lit(run.name)))
    res = pl.concat(rows, how="diagonal_relaxed").sort("run", "metric", "lr", "persona_fraction", "condition")
    res.write_csv(out)
    with pl.Config(tbl_rows=200, tbl_cols=20, tbl_width_chars=250, float_precision=3):
        print(res.select("run", "metric", "lr", "persona_fraction", "condition", "mean", "sd_seeds", "ci_lo_seeds",
                         "ci_hi_seeds", "ci_seeds_method", "ci_lo_betabinom", "ci_hi_betabinom"))


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(a) for a in sys.argv[2:]])
