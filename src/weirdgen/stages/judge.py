"""Stage judge: label one model's generations (trigger stripped from what any judge sees, audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weirdgen import config
from weirdgen import judge as judges
from weirdgen.config import ConfigError
from weirdgen.jsonl import read_jsonl, write_json, write_jsonl
from weirdgen.judge import stage
from weirdgen.provenance import write_sidecar


def run(params: dict[str, Any], *, model: Path | str, generations: Path | str, questions: Path | str, out: Path | str,
        audit: Path | str, reference: Path | str | None = None) -> None:
    if "judge" not in params or "persona_description" not in params:
        raise ConfigError("weirdgen judge --params: needs 'judge' (the config's judge section) and "
                          "'persona_description' (persona.description)")
    p = {**params, "judge": config.section("judge", params["judge"], "weirdgen judge --params: its 'judge'")}

    def factory(kind: str, backend: str) -> judges.YesNoJudge:
        return judges.from_config(kind, backend, p, str(model), str(reference) if reference else None)

    rows, rec = stage.label(read_jsonl(generations), read_jsonl(questions), p["persona_description"], p["judge"],
                            factory=factory)
    write_json(audit, rec)
    write_jsonl(out, rows)
    write_sidecar(out, "judge", params, [generations, questions], n_labels=len(rows), audit=rec)
