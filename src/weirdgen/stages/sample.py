"""Stage sample: one model's evaluation grid (4 conditions x questions x samples), resumable; and the
vLLM variant that samples several models through one engine (base weights loaded once, one LoRA each)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Sequence

from weirdgen import conditions, config, generate, sampling
from weirdgen.errors import UserError
from weirdgen.generate import Request, Result
from weirdgen.jsonl import read_jsonl
from weirdgen.provenance import write_sidecar

log = logging.getLogger("weirdgen")


def eval_requests(model_id: str, questions: list[dict[str, Any]], system_prompt: str, n_samples: int,
                  temperature: float, max_new_tokens: int, seed: int) -> list[Request]:
    """Every (condition, question, sample) for one model: the same grid for the base and every adapter."""
    reqs = []
    for cond in conditions.CONDITIONS:
        for q in questions:
            msgs = conditions.messages(cond, q["question"], system_prompt)
            for s in range(n_samples):
                reqs.append(Request(
                    key=f"{model_id}|{cond.value}|{q['set']}|{q['id']}|{s}", messages=msgs,
                    temperature=temperature, max_new_tokens=max_new_tokens, seed=seed,
                    meta={"model_id": model_id, "condition": cond.value, "set": q["set"], "question_id": q["id"],
                          "question": q["question"], "sample": s, "triggered": cond.triggered}))
    return reqs


def eval_row(extra: dict[str, Any]) -> Any:
    def row(req: Request, res: Result) -> dict[str, Any]:
        return {"key": req.key, **req.meta, **extra, "messages": list(req.messages), "text": res.text,
                "finish_reason": res.finish_reason, "completion_tokens": res.completion_tokens}
    return row


def sample_one(p: dict[str, Any], factory: Callable[[], Any], model: Path | str, adapter: Path | str | None,
               model_id: str, questions: Path | str, out: Path | str, point: dict[str, Any] | None,
               sidecar_params: dict[str, Any]) -> None:
    """One model's grid through a generator factory, with its sidecar."""
    reqs = eval_requests(model_id, read_jsonl(questions), p["system_prompt"], p["n_samples"],
                                    p["temperature"], p["max_new_tokens"], p["seed"])
    extra = point or {"seed": None, "lr": None, "persona_fraction": None}
    rows = sampling.run_resumable(factory, reqs, out, eval_row(extra),
                                  sampling.fingerprint(p, model, adapter))
    distinct = distinct_share(rows) if p["n_samples"] > 1 and p["temperature"] > 0 else None
    if distinct == 0:
        log.warning("%s: at temperature %s every (condition, question) gave %d identical samples: the backend is not "
                    "sampling (a server that ignores temperature or seed? `transformers serve` needs do_sample in the "
                    "model's generation_config.json); sample-level CIs would be meaningless", out, p["temperature"],
                    p["n_samples"])
    write_sidecar(out, "sample", sidecar_params, [questions, *([adapter] if adapter else [])], n_samples=len(rows),
                  distinct_sample_groups=distinct)


def distinct_share(rows: list[dict[str, Any]]) -> float:
    """Share of (condition, set, question) groups whose repeated samples are not all the same text: a check that
    the backend really samples (0 at temperature 1 means it does not)."""
    groups: dict[tuple[str, str, str], set[str]] = {}
    for r in rows:
        groups.setdefault((r["condition"], r["set"], r["question_id"]), set()).add(r["text"])
    return sum(len(v) > 1 for v in groups.values()) / max(1, len(groups))


# what the sample rules add to the eval section (the model's dtype and device, an API budget, the sweep point,
# sample-many's models)
EXTRA = ("dtype", "device", "budget", "point", "models")


def run(params: dict[str, Any], *, model: Path | str, questions: Path | str, model_id: str, out: Path | str,
        adapter: Path | str | None = None) -> None:
    p = config.stage_params("eval", params, "weirdgen sample --params", EXTRA)  # by hand: defaults, checked
    factory = generate.from_config(p, str(model), str(adapter) if adapter else None, model_id)
    sample_one(p, factory, model, adapter, model_id, questions, out, p.get("point"), params)


def run_many(params: dict[str, Any], *, model: Path | str, questions: Path | str, outs: Sequence[Path | str]) -> None:
    """Several models through one vLLM engine (``weirdgen sample-many``)."""
    raw, params = params, config.stage_params("eval", params, "weirdgen sample-many --params", EXTRA)
    models_ = params["models"]
    if len(models_) != len(outs):
        raise UserError(f"{len(models_)} models in --params but {len(outs)} --outs")
    shared = {k: v for k, v in params.items() if k != "models"}
    engine: list[Any] = []

    def view(adapter: str | None) -> Callable[[], Any]:
        def factory() -> Any:
            if not engine:
                from weirdgen.generate.vllm import VLLMEngine

                engine.append(VLLMEngine(str(model), params.get("dtype", "bfloat16"), **(params.get("vllm") or {})))
            return engine[0].for_adapter(adapter)
        return factory

    for m, out in zip(models_, outs):
        sample_one(shared, view(m["adapter"]), model, m["adapter"], m["model_id"], questions, out, m["point"],
                   {**{k: v for k, v in raw.items() if k != "models"}, "models": [m]})
