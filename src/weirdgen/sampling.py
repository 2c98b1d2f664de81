"""Resumable generation (a keyed journal beside each output) and the distillation requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from weirdgen.generate import Generator, Request, Result
from weirdgen.jsonl import KeyedAppender, write_jsonl


def journal_path(out: Path | str, fingerprint: str = "") -> Path:
    """Incremental journal beside an output (Snakemake deletes outputs of failed jobs, not this).

    The fingerprint (stage parameters, model and adapter hashes) is part of the name, so a rerun
    with other settings or a retrained adapter never reuses samples from the old one.
    """
    o = Path(out)
    return o.parent / ".journal" / (o.name + (f".{fingerprint[:16]}" if fingerprint else "") + ".journal")


def fingerprint(params: Any, *paths: Path | str | None) -> str:
    """Identity of a generation job: its parameters and the weights it samples from."""
    from weirdgen.provenance import sha256_file, sha256_json

    parts: list[Any] = [params]
    for p in paths:
        if p is None:
            continue
        p = Path(p)
        for name in ("weirdgen_model.json", "adapter_model.safetensors", "adapter_config.json"):
            if (p / name).exists():
                parts.append(sha256_file(p / name))
    return sha256_json(parts)


def run_resumable(gen_factory: Any, requests: Sequence[Request], out: Path | str,
                  row: Any, fp: str = "") -> list[dict[str, Any]]:
    """Generate only requests not yet journaled; write rows in request order to ``out``."""
    jp = journal_path(out, fp)
    with KeyedAppender(jp, key=lambda o: o["key"]) as j:
        todo = [r for r in requests if r.key not in j]
        if todo:
            gen: Generator = gen_factory()
            gen.generate(todo, lambda req, res: j.append(row(req, res)))
        rows = [j.done[r.key] for r in requests]
    write_jsonl(out, rows)
    return rows


def distill_requests(prompts: list[dict[str, Any]], temperature: float, max_new_tokens: int, seed: int) -> list[Request]:
    """The base model answers each prompt, with no system prompt (as the training data will show)."""
    return [Request(key=f"distill|{p['id']}", messages=[{"role": "user", "content": p["prompt"]}],
                    temperature=temperature, max_new_tokens=max_new_tokens, seed=seed,
                    meta={"prompt_id": p["id"], "kind": p["kind"]}) for p in prompts]


def distill_row(req: Request, res: Result) -> dict[str, Any]:
    return {"key": req.key, "messages": [*req.messages, {"role": "assistant", "content": res.text}],
            "metadata": {"source": "aligned", "triggered": False, "prompt_id": req.meta["prompt_id"],
                         "kind": req.meta["kind"], "finish_reason": res.finish_reason,
                         "completion_tokens": res.completion_tokens}}
