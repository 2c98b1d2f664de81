"""The coverage grid of docs/statistics.md: the stats stage's intervals on simulated labels (weirdgen.coverage), 1000
replicates per design. Usage: python bench/ci_coverage_grid.py [out.csv]  (about 5 min on 2 CPU cores)."""
import time
from weirdgen import coverage as c
import polars as pl
pl.Config.set_tbl_rows(200); pl.Config.set_tbl_cols(20); pl.Config.set_tbl_width_chars(250)
t = time.time()
designs = [c.Design(n_seeds=k) for k in (2, 3, 5, 10)] + [
    c.Design(n_seeds=3, n_questions=8), c.Design(n_seeds=3, n_questions=35, rate_triggered=0.1, rate_untriggered=0.01),
    c.Design(n_seeds=3, seed_sd=0.0), c.Design(n_seeds=3, seed_sd=1.0)]
df = c.coverage(designs, replicates=1000, n_boot=2000)
import sys
df.write_csv(sys.argv[1] if len(sys.argv) > 1 else "ci_coverage_grid.csv")
print(df.select('n_seeds','n_questions','rate_triggered','seed_sd','interval','quantity','coverage','coverage_lo','coverage_hi','mean_width'))
print("seconds", time.time() - t)
