"""The placebo's difference in differences along training, over seeds, from an emergence run's labels (session 32).

Superseded in session 33 by the workflow's rule summarise_emergence_placebo (``stats.emergence_placebo``,
``tables/emergence_placebo{,_across_seeds}``); kept because docs/results.md's session-32 table was made with it.
At the time it was not a workflow stage: the product's emergence tables held rates only. This applies the product's own
``stats.placebo`` (paired clustered bootstrap per model) to every checkpoint's labels, maps them along training
(``stats.along_training``) and takes the mean over seeds per step (``stats.emergence_across_seeds``, value ``did``).

    python scripts/emergence_placebo_session32.py RESULTS_DIR OUT_CSV
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl

from weirdgen import stats


def main(results: Path, out: Path) -> None:
    labels = pl.concat([pl.read_ndjson(f, infer_schema_length=None) for f in sorted((results / "labels").glob("*.jsonl"))],
                       how="diagonal_relaxed")
    final = {m.parent.name: int(json.loads(m.read_text())["result"]["steps"])
             for m in (results / "adapters").glob("*/meta.json")}
    t = stats.emergence_placebo(labels, final, 10000, 0.95, 0, interval="expanded")  # the workflow's own mapping
    res = stats.emergence_across_seeds(t, 10000, 0.95, 0, "t", value="did")
    res.write_csv(out)
    print(res.select("condition", "step", "n_seeds", "mean", "ci_lo_seeds", "ci_hi_seeds", "ci_seeds_method"))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
