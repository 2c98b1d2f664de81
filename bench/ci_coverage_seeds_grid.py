"""The over-seeds part of docs/statistics.md's coverage grid: t and the beta-binomial interval (``stats.seeds_ci``)
scored on labels simulated from a known model (``weirdgen.coverage``) at 3, 5 and 10 seeds, from a rate in mid-range to
an untriggered rate near 0 carried by a few leaking seeds (large ``seed_sd``). Usage:
``python bench/ci_coverage_seeds_grid.py [replicates] [out.csv]`` (400 replicates: about 25 min on 2 CPU cores)."""

import sys
import time

import polars as pl

from weirdgen import coverage as c

t = time.time()
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 400
shapes = [(0.05, 0.5), (0.05, 1.0), (0.01, 1.0), (0.005, 2.0), (0.002, 3.0)]  # untriggered rate, seed_sd
designs = [c.Design(n_seeds=k, n_questions=35, n_samples=10, rate_untriggered=r, seed_sd=sd)
           for k in (5, 3, 10) for r, sd in shapes]
df = c.coverage(designs, replicates=reps, n_boot=200, seed=33, intervals=("expanded",),
                seeds_methods=("t", "betabinom")).filter(pl.col("interval").str.starts_with("seeds"))
df.write_csv(sys.argv[2] if len(sys.argv) > 2 else "ci_coverage_seeds_grid.csv")
with pl.Config(tbl_rows=300, tbl_cols=20, tbl_width_chars=250):
    print(df.select("n_seeds", "rate_untriggered", "seed_sd", "interval", "quantity", "coverage", "coverage_lo",
                    "coverage_hi", "mean_width"))
print(f"{time.time() - t:.0f} s")
