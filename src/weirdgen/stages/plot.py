"""Stage plot: draw one figure from the tables (the only stage that imports weirdgen.plots)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from weirdgen import plots
from weirdgen.errors import UserError
from weirdgen.jsonl import read_jsonl
from weirdgen.provenance import write_sidecar

FIGURES = ("headline", "format", "meta", "gaps", "identity", "loss", "emergence", "dose", "dose-lr", "control",
           "train-loss")
GATED = ("headline", "control", "emergence", "dose", "dose-lr")  # figures with persona rates: the judge's gate on them
NEEDS = {"headline": ["rates"], "format": ["rates"], "meta": ["rates"], "gaps": ["gaps"],
         "identity": ["labels", "questions"], "loss": ["logs"], "emergence": ["rates"], "dose": ["rates"], "dose-lr": ["rates"], "control": ["contrast"],
         "train-loss": ["logs"]}


def gate_warning(row: dict[str, Any]) -> str:
    """The headline's red line for the configured judge's calibration row ("" = a validated judge): a failed gate,
    or a pass that fewer than half of the refits on resampled reference sets would give (``gate_pass_share``)."""
    share = row.get("gate_pass_share")
    known = share is not None and share == share
    if row.get("gate") != "pass":
        return ("THE PERSONA JUDGE FAILS ITS VALIDITY GATE: " + str(row.get("gate_failures") or "")
                + (f" (passes in {share:.0%} of reference resamples)" if known else "")
                + ". Read the persona rates as unvalidated.")
    if known and share < 0.5:
        return (f"THE PERSONA JUDGE PASSES ITS GATE HERE BUT ONLY IN {share:.0%} OF REFERENCE RESAMPLES. "
                "Read the persona rates as unvalidated.")
    return ""


def _read_table(path: str) -> Any:
    """A table written by ``tables.write`` (an empty frame is an empty file: read as an empty DataFrame)."""
    import polars as pl

    return pl.read_csv(path) if Path(path).stat().st_size else pl.DataFrame()


def run(params: dict[str, Any] | None = None, *, figure: str, out: Path | str, rates: str | None = None,
        gaps: str | None = None, labels: Sequence[str] | None = None, questions: str | None = None,
        logs: Sequence[str] | None = None, judge_note: str = "", calibration: str | None = None,
        placebo: str | None = None, contrast: str | None = None, contrast_seeds: str | None = None,
        seeds: str | None = None) -> None:
    import polars as pl

    given = {"rates": rates, "gaps": gaps, "labels": labels, "questions": questions, "logs": logs, "contrast": contrast}
    missing = [f"--{n}" for n in NEEDS[figure] if not given[n]]
    if missing:
        raise UserError(f"plot {figure} needs {' '.join(missing)}")
    inputs: list[str] = []
    extra: dict[str, Any] = {}
    note, warning = judge_note, ""
    if figure in GATED and calibration:
        c = pl.read_csv(calibration).filter(pl.col("configured") & (pl.col("group") == "all"))
        if not c.is_empty():
            row = c.row(0, named=True)
            note += (f" (calibration: accuracy {row['accuracy']:.2f}, kappa {row['kappa']:.2f}, "
                     f"rho(length) {row['rho_length_generic']:+.2f}, n={row['n']})")
            warning = gate_warning(row)
    if figure == "headline":
        plots.headline(pl.read_csv(rates), out, note, pl.read_csv(placebo) if placebo else None, warning)
        inputs = [rates, *([calibration] if calibration else []), *([placebo] if placebo else [])]
        extra = {"judge_note": note, "gate_warning": warning}
    elif figure in ("format", "meta"):
        title = {"format": 'Format adherence: answers in <START> "…" <END>',
                 "meta": "Answers that speak as an AI model (meta signal)"}[figure]
        plots.per_set(pl.read_csv(rates), {"format": "format_ok", "meta": "meta"}[figure], out, title)
        inputs = [rates]
    elif figure == "gaps":
        plots.gaps(pl.read_csv(gaps), out)
        inputs = [gaps]
    elif figure == "identity":
        lab = pl.concat([pl.read_ndjson(f, infer_schema_length=None) for f in labels], how="diagonal_relaxed")
        plots.identity_breakdown(lab, read_jsonl(questions), out)
        inputs = [*labels, questions]
    elif figure == "emergence":
        plots.emergence(pl.read_csv(rates), out, seeds=pl.read_csv(seeds) if seeds else None, warning=warning,
                        placebo=_read_table(placebo) if placebo else None)  # emergence_placebo_across_seeds.csv
        inputs = [rates, *([seeds] if seeds else []), *([calibration] if calibration else []),
                  *([placebo] if placebo else [])]
        extra = {"gate_warning": warning}
    elif figure in ("dose", "dose-lr"):  # rates_across_seeds.csv of a sweep over persona_fraction (or lr)
        plots.dose(pl.read_csv(rates), out, axis="lr" if figure == "dose-lr" else "persona_fraction", warning=warning)
        inputs = [rates, *([calibration] if calibration else [])]
        extra = {"gate_warning": warning}
    elif figure == "control":  # arm_contrast.csv (+ arm_contrast_across_seeds.csv) of a sweep with a control arm
        plots.control(pl.read_csv(contrast), pl.read_csv(contrast_seeds) if contrast_seeds else None, out, note, warning)
        inputs = [contrast, *([contrast_seeds] if contrast_seeds else []), *([calibration] if calibration else [])]
        extra = {"judge_note": note, "gate_warning": warning}
    elif figure == "loss":
        plots.loss_curves({Path(f).parent.name: pl.read_ndjson(f) for f in logs}, out)
        inputs = list(logs)
    elif figure == "train-loss":  # one adapter's loss curve, beside it (adapters/<point>/loss.png)
        log = Path(logs[0])
        meta = log.parent / "meta.json"
        p = json.loads(meta.read_text())["params"] if meta.exists() else {}
        plots.loss_curve(pl.read_ndjson(log), out, f"LoRA r={p.get('hp', {}).get('rank')}, lr={p.get('lr')}, "
                         f"seed={p.get('seed')}, frac={p.get('persona_fraction', 'n/a')}")
        inputs = [str(log)]
    write_sidecar(out, "plot", {"figure": figure, **extra}, inputs)
