"""What rule ci_coverage costs with the beta-binomial interval over seeds and the skewed scenario (session 33), against
the same stage without them (the session-32 scope: t and bootstrap over seeds, one scenario), in one process.

Usage: ``python bench/ci_coverage_stage_cost.py [n_seeds] [replicates]`` (the probes, neutral and identity sets'
sizes of the default questions: 35, 32, 8; 10 samples)."""

import json
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from weirdgen import coverage, stats
from weirdgen.stages import coverage as stage

n_seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
with tempfile.TemporaryDirectory() as d:
    q = Path(d) / "q.jsonl"
    q.write_text("".join(json.dumps({"id": f"{s}{i}", "set": s, "question": "?"}) + "\n"
                         for s, n in (("probes", 35), ("neutral", 32), ("identity", 8)) for i in range(n)))
    params = {"n_seeds": n_seeds, "n_samples": 10, "coverage": {"replicates": reps}}
    t0 = time.perf_counter()
    stage.run(params, questions=q, out=Path(d) / "now.csv")
    now = time.perf_counter() - t0
    stats._betabinom_cached.cache_clear()
    base = {**params, "coverage": {"replicates": reps, "skewed_rate_untriggered": None}}
    old = coverage.coverage
    with mock.patch.object(coverage, "coverage", lambda *a, **k: old(*a, **k, seeds_methods=("t", "bootstrap"))):
        t0 = time.perf_counter()
        stage.run(base, questions=q, out=Path(d) / "before.csv")
        before = time.perf_counter() - t0
print(f"ci_coverage, {n_seeds} seeds, {reps} replicates: {now:.1f} s now, {before:.1f} s without betabinom and the "
      f"skewed scenario; ratio {now / before:.2f}")
