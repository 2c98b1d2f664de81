"""Stage stats: rates, leakage gaps, across-seed summaries, identity agreement, the placebo and the control-arm tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from weirdgen import config, stats, sweep, tables
from weirdgen.provenance import write_sidecar


def run(params: dict[str, Any], *, labels: Sequence[Path | str], out_dir: Path | str) -> None:
    import polars as pl

    p = config.section("stats", params, "weirdgen stats --params")  # by hand: defaults filled, checked
    lab = pl.concat([pl.read_ndjson(f, infer_schema_length=None) for f in labels], how="diagonal_relaxed")
    out = Path(out_dir)
    iv = p["bootstrap_interval"]
    r = stats.rates(lab, p["n_boot"], p["ci"], p["seed"], iv)
    g = stats.gaps(lab, p["n_boot"], p["ci"], p["seed"], iv)
    by = [*sweep.group_columns("seed"), "condition", "set", "metric"]  # every axis but the seed: never pooled
    seeds_args = (p["n_boot"], p["ci"], p["seed"], p["seeds_ci"])
    results = (("rates", r), ("gaps", g),
               ("rates_across_seeds", stats.across_seeds(r, "rate", by, *seeds_args)),
               ("gaps_across_seeds", stats.across_seeds(g, "gap", by, *seeds_args)),
               ("identity_agreement", stats.identity_agreement(lab)),
               ("placebo", pb := stats.placebo(lab, p["n_boot"], p["ci"], p["seed"], interval=iv)),
               # the difference in differences over training seeds (every other axis kept apart)
               ("placebo_across_seeds", stats.across_seeds(pb, "did", [*sweep.group_columns("seed"), "condition", "metric"],
                                                           *seeds_args)),
               # persona arm − format-only control arm (empty without sweep.arm: [persona, control])
               ("arm_contrast", ac := stats.arm_contrast(lab, p["n_boot"], p["ci"], p["seed"], interval=iv)),
               ("arm_contrast_across_seeds", stats.across_seeds(ac, "diff", by, *seeds_args)))
    for name, df in results:
        tables.write(df, out / f"{name}.csv")
        write_sidecar(out / f"{name}.csv", "stats", p, labels)


EMERGENCE_VALUES = ("rate", "did")  # weirdgen emergence --params {..., "value": ...}


def emergence(params: dict[str, Any], *, labels: Sequence[Path | str], adapters: Sequence[Path | str],
              out: Path | str, out_seeds: Path | str | None = None) -> None:
    """``weirdgen emergence``: a value of the base model, every checkpoint and every final adapter along training;
    with ``out_seeds``, the same curve as means over training seeds with CIs over seeds. The value is ``params``'s
    ``value`` beside the stats section: ``rate`` (default; ``stats.emergence``) or ``did``, the placebo's difference in
    differences (probe gap − neutral gap; ``stats.emergence_placebo``)."""
    import json

    import polars as pl

    p = config.stage_params("stats", params, "weirdgen emergence --params", ("value",))
    value = p.get("value", "rate")
    if value not in EMERGENCE_VALUES:
        raise config.ConfigError(f"weirdgen emergence --params: value must be one of {EMERGENCE_VALUES}, not {value!r}")
    lab = pl.concat([pl.read_ndjson(f, infer_schema_length=None) for f in labels], how="diagonal_relaxed")
    final = {Path(m).parent.name: int(json.loads(Path(m).read_text())["result"]["steps"]) for m in adapters}
    along = stats.emergence if value == "rate" else stats.emergence_placebo
    e = along(lab, final, p["n_boot"], p["ci"], p["seed"], p["bootstrap_interval"])
    tables.write(e, out)
    write_sidecar(out, "emergence", p, [*labels, *adapters])
    if out_seeds:
        tables.write(stats.emergence_across_seeds(e, p["n_boot"], p["ci"], p["seed"], p["seeds_ci"], value=value),
                     out_seeds)
        write_sidecar(out_seeds, "emergence", p, [*labels, *adapters])
