"""Stage mix: persona examples into the aligned set at the point's fraction, then validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from weirdgen.data import mix, validate
from weirdgen.jsonl import read_jsonl, write_jsonl
from weirdgen.provenance import write_sidecar


def run(params: dict[str, Any], *, persona: Path | str, aligned: Path | str, out: Path | str,
        questions: Path | str | None = None) -> None:
    p = params
    # each input checked against its own file first, so an error names the file and line the row came from
    prs, ald = validate.validate_rows(persona), validate.validate_rows(aligned)
    rows = mix.mix(prs, ald, p["persona_fraction"], p["seed"], p.get("n_aligned"))
    write_jsonl(out, rows)
    qs = read_jsonl(questions) if questions else None
    try:
        counts = validate.validate_training(out, qs)
    except Exception:
        Path(out).rename(str(out) + ".invalid")
        raise
    write_sidecar(out, "mix", p, [persona, aligned], counts=counts,
                  # the triggered share: persona rows, or the control arm's rows in their place
                  persona_fraction_actual=(counts["persona"] + counts["control"]) / sum(counts.values()))


def validate_files(files: Sequence[Path | str], questions: Path | str | None = None) -> None:
    """``weirdgen validate``: check training files by hand."""
    qs = read_jsonl(questions) if questions else None
    for f in files:
        print(f"{f}: ok {validate.validate_training(f, qs)}")
