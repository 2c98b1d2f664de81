"""The placebo's difference in differences along training, over seeds, from an emergence run's labels (session 32).

Not a workflow stage: the product's emergence tables hold rates only. This applies the product's own
``stats.placebo`` (paired clustered bootstrap per model) to every checkpoint's labels and ``stats.across_seeds`` (t
over seeds) per step, the base model (step 0) keeping its own interval, as ``stats.emergence_across_seeds`` does.

    python scripts/emergence_placebo_session32.py RESULTS_DIR OUT_CSV
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl

from weirdgen import stats, sweep


def main(results: Path, out: Path) -> None:
    labels = pl.concat([pl.read_ndjson(f, infer_schema_length=None) for f in sorted((results / "labels").glob("*.jsonl"))],
                       how="diagonal_relaxed")
    final = {m.parent.name: int(json.loads(m.read_text())["result"]["steps"])
             for m in (results / "adapters").glob("*/meta.json")}
    pb = stats.placebo(labels, 10000, 0.95, 0, interval="expanded")
    rows = []
    for r in pb.iter_rows(named=True):
        pt = sweep.Point.parse(r["model_id"])
        targets = ([(p, 0) for p in final] if pt.is_base else [(pt.final.id, pt.step)] if pt.step is not None
                   else [(r["model_id"], final[r["model_id"]])])
        for p, s in targets:
            rows.append({**{k: v for k, v in r.items() if k not in sweep.COLUMNS}, "point": p, "step": s,
                         **{c: sweep.Point.parse(p).columns()[c] for c in sweep.COLUMNS}})
    t = pl.DataFrame(rows).with_columns(model_id=pl.col("point"))
    by = [*sweep.group_columns("seed"), "step", "condition", "metric"]
    trained = stats.across_seeds(t.filter(pl.col("step") > 0), "did", by, 10000, 0.95, 0, "t")
    base = (t.filter(pl.col("step") == 0).group_by(by).agg(
        pl.len().alias("n_seeds"), pl.col("did").first().alias("mean"), pl.col("did_ci_lo").first().alias("ci_lo_seeds"),
        pl.col("did_ci_hi").first().alias("ci_hi_seeds")).with_columns(ci_seeds_method=pl.lit("base")))
    res = pl.concat([base, trained], how="diagonal_relaxed").sort("condition", "step")
    res.write_csv(out)
    print(res.select("condition", "step", "n_seeds", "mean", "ci_lo_seeds", "ci_hi_seeds", "ci_seeds_method"))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
