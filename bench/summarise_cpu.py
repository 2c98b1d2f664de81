"""The stats stage (`weirdgen.stages.summarise.run`, every table of `rule summarise`) on a run's labels, with the
product's bootstrap of sample means against the per-sample resampling it replaced (`stats.boot_one_by_one`), one
process, alternated; the tables' point estimates compared, their CIs' largest difference printed (Monte Carlo noise:
both are the same bootstrap distribution, drawn differently).

    python bench/summarise_cpu.py --labels results/labels/*.jsonl [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import polars as pl

from weirdgen import config, stats
from weirdgen.stages import summarise


def run(labels: list[str], out: Path, baseline: bool) -> float:
    saved = stats.boot_samples
    if baseline:
        stats.boot_samples = stats.boot_one_by_one  # every sample mean as before session 14
    try:
        t = time.perf_counter()
        summarise.run(config.fill("stats", {}), labels=labels, out_dir=out)
        return time.perf_counter() - t
    finally:
        stats.boot_samples = saved


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", nargs="+", required=True)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="summarise-"))
    times: dict[bool, list[float]] = {True: [], False: []}
    for r in range(a.repeats):
        for base in ((True, False) if r % 2 == 0 else (False, True)):
            times[base].append(run(a.labels, work / f"{base}-{r}", base))
            print(f"{'per-sample' if base else 'multinomial'}: {times[base][-1]:.1f} s", flush=True)
    worst = 0.0
    for f in sorted((work / "True-0").glob("*.csv")):
        if not f.read_text().strip():  # a table with no rows (no control arm in this run)
            continue
        x, y = pl.read_csv(f), pl.read_csv(work / "False-0" / f.name)
        for c in x.columns:
            if x[c].dtype.is_float() and c.startswith("ci_"):
                d = (x[c] - y[c]).abs().max()
                worst = max(worst, float(d or 0.0))
            elif c in ("rate", "gap", "mean", "did"):
                assert (x[c] - y[c]).abs().max() in (None, 0.0) or float((x[c] - y[c]).abs().max()) < 1e-12, (f.name, c)
    b, n = min(times[True]), min(times[False])
    print(json.dumps({"per_sample_s": b, "multinomial_s": n, "ratio": b / n, "largest_ci_difference": worst}))


if __name__ == "__main__":
    main()
