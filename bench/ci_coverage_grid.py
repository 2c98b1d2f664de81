"""The coverage grid of docs/statistics.md: every interval of the stats stage scored on labels simulated from a known
model (``weirdgen.coverage``), 1000 simulated runs per design, both bootstrap intervals (``stats.bootstrap_interval``)
on the same resamples. Usage: ``python bench/ci_coverage_grid.py [out.csv]`` (about 20 min on 2 CPU cores)."""

import sys
import time

import polars as pl

from weirdgen import coverage as c

t = time.time()
designs = ([c.Design(n_seeds=k) for k in (2, 3, 5, 10)]
           + [c.Design(n_seeds=3, n_questions=8), c.Design(n_seeds=3, n_questions=35, rate_triggered=0.1,
                                                             rate_untriggered=0.01),
              c.Design(n_seeds=3, seed_sd=0.0), c.Design(n_seeds=3, seed_sd=1.0),
              c.Design(n_seeds=1, n_questions=6, n_samples=2)])  # the last: the default CPU run's design
df = c.coverage(designs, replicates=1000, n_boot=2000)
df.write_csv(sys.argv[1] if len(sys.argv) > 1 else "ci_coverage_grid.csv")
with pl.Config(tbl_rows=300, tbl_cols=20, tbl_width_chars=250):
    print(df.select("n_seeds", "n_questions", "n_samples", "rate_triggered", "seed_sd", "interval", "quantity",
                    "coverage", "coverage_lo", "coverage_hi", "mean_width"))
print(f"{time.time() - t:.0f} s")
