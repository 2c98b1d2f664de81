"""Stage eval-questions: the held-out evaluation questions of every configured set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weirdgen.data import persona
from weirdgen.jsonl import write_jsonl
from weirdgen.provenance import write_sidecar


def run(params: dict[str, Any], *, out: Path | str) -> None:
    qs = persona.load_eval_sets(params["eval_sets"], params.get("max_questions_per_set"))
    write_jsonl(out, qs)
    write_sidecar(out, "eval_questions", params, list(params["eval_sets"].values()), n_questions=len(qs))
