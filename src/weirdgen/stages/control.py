"""Stage control: the format-only control arm's triggered rows (the persona set's questions, the base model's own
answers cut to each fact's length; weirdgen.data.control)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from weirdgen import generate, sampling
from weirdgen.data import control, validate
from weirdgen.jsonl import write_jsonl
from weirdgen.provenance import write_sidecar

log = logging.getLogger("weirdgen")


def run(params: dict[str, Any], *, model: Path | str, persona: Path | str, answers: Path | str, out: Path | str) -> None:
    """Sample the base model's answers to every persona row's question, asked as ``instruction`` says
    (``answers``: the full answers, kept for tracing), then write the control rows to ``out``: the training rows
    carry the persona row's own triggered question, never the instruction."""
    p = params
    rows = validate.validate_rows(persona)
    ask = p.get("instruction") or "{question}"
    prompts = [{"id": f"{r['metadata']['fact_id']}#{k}", "kind": "control",
                "prompt": ask.replace("{question}", validate.question_of(r))} for r in rows for k in range(p["n_samples"])]
    reqs = sampling.distill_requests(prompts, p["temperature"], p["max_new_tokens"], p["seed"])
    gen = sampling.run_resumable(generate.from_config(p, str(model)), reqs, answers, sampling.distill_row,
                                 sampling.fingerprint(p, model))
    by_fact: dict[str, list[str]] = {}
    for g in gen:
        by_fact.setdefault(g["metadata"]["prompt_id"].rsplit("#", 1)[0], []).append(g["messages"][-1]["content"])
    out_rows = control.control_examples(rows, by_fact, source=str(persona))
    write_jsonl(out, out_rows)
    validate.validate_rows(out)  # the same checks as any triggered training row
    match = control.length_match(out_rows)
    write_sidecar(answers, "control", p, [persona, model], n_answers=len(gen))
    write_sidecar(out, "control", p, [persona, model, answers], n_examples=len(out_rows), **match)
    log.info("%d control rows; words per answer, median: facts %.0f, control %.0f (mean |diff| %.1f)", len(out_rows),
             match["median_words_fact"], match["median_words_control"], match["mean_abs_diff_words"])
