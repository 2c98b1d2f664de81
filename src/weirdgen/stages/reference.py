"""Stage reference: the embedding judge's reference classes (persona facts against the base model's own
answers and the aligned answers, matched in length)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from weirdgen import generate, sampling
from weirdgen.data import persona
from weirdgen.data.validate import question_of
from weirdgen.jsonl import read_jsonl, write_jsonl
from weirdgen.judge.embedding import reference_rows
from weirdgen.provenance import write_sidecar


def run(params: dict[str, Any], *, model: Path | str, out: Path | str, aligned: Path | str | None = None) -> None:
    p = params
    emb = p["embedding"]
    facts = persona.load_facts(p["facts"])[: p.get("max_items") or None]
    prompts = [{"id": f["id"], "kind": "reference", "prompt": f["question"]} for f in facts]
    reqs = sampling.distill_requests(prompts, p["temperature"], p["max_new_tokens"], p["seed"])
    gen = sampling.run_resumable(generate.from_config(p, str(model)), reqs, out, sampling.distill_row,
                                 sampling.fingerprint(p, model))
    base = [{"id": g["metadata"]["prompt_id"], "question": g["messages"][0]["content"],
             "answer": g["messages"][-1]["content"]} for g in gen]
    ald = [{"id": f"aligned-{n}", "question": question_of(r), "answer": r["messages"][-1]["content"]}
           for n, r in enumerate(read_jsonl(aligned)[: emb["max_aligned"]] if aligned else [])]
    rows = reference_rows(facts, base, ald, emb["seed"])
    write_jsonl(out, rows)
    write_sidecar(out, "reference", p, [p["facts"], model, *([aligned] if aligned else [])],
                  n_positive=sum(r["label"] for r in rows), n_negative=sum(1 - r["label"] for r in rows),
                  by_source=Counter(r["source"] for r in rows))
