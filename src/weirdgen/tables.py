"""Result tables: one CSV for machines and a Markdown twin for people, written side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weirdgen.jsonl import write_text


def markdown(df: Any) -> str:
    """A polars frame as a Markdown table (measurements rounded to 3 places; sweep axes such as lr=0.0002 kept)."""
    import polars as pl

    from weirdgen.sweep import COLUMNS

    if df.is_empty():
        return "(no rows)\n"
    d = df.with_columns([pl.col(c).round(3) for c, t in df.schema.items()
                         if t in (pl.Float64, pl.Float32) and c not in COLUMNS])
    lines = ["| " + " | ".join(d.columns) + " |", "|" + "---|" * len(d.columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in d.iter_rows()]
    return "\n".join(lines) + "\n"


def write(df: Any, csv: Path | str, extra_md: str = "") -> None:
    """``df`` to ``csv`` and its Markdown to the same name with ``.md``."""
    out = Path(csv)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(out)
    write_text(out.with_suffix(".md"), markdown(df) + extra_md)
