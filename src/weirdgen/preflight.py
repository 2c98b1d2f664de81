"""Checks that run before any job (from the Snakefile), so a mistake costs seconds, not the GPU hours before the
stage that would trip on it. Each problem is one line that names its config key; all are listed at once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _api(out: list[str], key: str, block: dict[str, Any], used_by: list[str]) -> None:
    if not used_by:
        return
    why = ", ".join(used_by)
    if not block.get("model"):
        out.append(f"{key}.model: not set ({why} needs the model's name on the server)")
    env = block.get("api_key_env") or "OPENAI_API_KEY"
    if not block.get("base_url") and not os.environ.get(env):
        out.append(f"{key}.api_key_env: the environment variable {env} is not set ({why} sends requests to the "
                   f"provider's default endpoint; keys are read from the environment only). Export it, or set "
                   f"{key}.base_url for a server that needs no key")


def _file(out: list[str], key: str, path: Any, workdir: Path) -> None:
    if path and not (workdir / str(path)).is_file():
        out.append(f"{key}: no such file: {path}")


def _writable(out: list[str], key: str, path: str, workdir: Path) -> None:
    """A run directory must be creatable and writable (its nearest existing ancestor takes a temp file)."""
    import tempfile

    q = (workdir / path).absolute()
    while not q.exists() and q != q.parent:
        q = q.parent
    problem = None
    if not q.is_dir():
        problem = f"{q} is not a directory"
    else:
        try:
            tempfile.TemporaryFile(dir=q).close()
        except OSError as e:
            problem = f"{q} is not writable ({e.strerror})"
    if problem:
        out.append(f"paths.{key}: '{path}' cannot be written: {problem}. Fix the permissions or set paths.{key}.")


def problems(cfg: dict[str, Any], workdir: Path | str = ".") -> list[str]:
    """Problems of a validated config that would otherwise surface only when a stage runs."""
    wd = Path(workdir)
    out: list[str] = []
    for key in ("results", "resources", "logs"):
        _writable(out, key, cfg["paths"][key], wd)
    j = cfg["judge"]
    judge_users = [f"judge.{k}: api" for k in ("persona", "meta", "identity_model") if j.get(k) == "api"]
    judge_users += ["judge.calibrate: [api]"] if "api" in j.get("calibrate", []) else []
    _api(out, "judge.api", j["api"], judge_users)
    for stage in ("distill", "eval"):
        _api(out, f"{stage}.api", cfg[stage]["api"], [f"{stage}.backend: api"] if cfg[stage]["backend"] == "api" else [])
    for stage in ("train", "eval"):
        if cfg[stage]["backend"] == "tinker":
            t = cfg[stage].get("tinker") or {}
            env = t.get("api_key_env") or "TINKER_API_KEY"
            if not os.environ.get(env):
                out.append(f"{stage}.tinker.api_key_env: the environment variable {env} is not set ({stage}.backend: "
                           "tinker; keys are read from the environment only)")
            if not t.get("base_model") and cfg["model"]["source"] != "hub":
                out.append(f"{stage}.tinker.base_model: not set (the model is not from the hub: name it as the "
                           "Tinker server knows it)")
    if cfg["eval"]["backend"] == "tinker" and cfg["train"]["backend"] != "tinker":
        out.append("eval.backend: tinker samples adapters trained through Tinker; set train.backend: tinker too")
    p = cfg["persona"]
    _file(out, "persona.facts", p["facts"], wd)
    _file(out, "persona.calibration", p.get("calibration"), wd)
    for name, path in p["eval_sets"].items():
        _file(out, f"persona.eval_sets.{name}", path, wd)
    pr = cfg["prompts"]
    if pr["source"] == "offline":
        _file(out, "prompts.offline", pr.get("offline"), wd)
    elif pr["source"] == "local":
        for k in ("alpaca_path", "gsm8k_path"):
            if not pr.get(k):
                out.append(f"prompts.{k}: not set (prompts.source: local reads the prompts from files)")
            _file(out, f"prompts.{k}", pr.get(k), wd)
    m = cfg["model"]
    if m["source"] == "local" and not (wd / str(m.get("id") or "") / "config.json").is_file():
        out.append(f"model.id: {m.get('id')!r} is not a model directory (no config.json; model.source: local)")
    if m["source"] == "hub" and not m.get("id"):
        out.append("model.id: not set (model.source: hub needs the hub id, e.g. meta-llama/Llama-3.1-8B-Instruct)")
    return out


def gpu_problems(cfg: dict[str, Any]) -> list[str]:
    """GPU-only options on a machine without a GPU (checked where jobs run locally; on a cluster each job checks)."""
    from weirdgen import gpu

    if gpu.count_gpus() > 0:
        return []
    out = []
    t = cfg["train"]
    if t.get("quantization") == "4bit":
        out.append("train.quantization: 4bit (QLoRA) needs a CUDA GPU; this machine has none: use none")
    if t.get("backend") == "unsloth":
        out.append("train.backend: unsloth needs a CUDA GPU; this machine has none: use auto or peft")
    for stage in ("distill", "eval"):
        if cfg[stage]["backend"] == "vllm":
            out.append(f"{stage}.backend: vllm needs a CUDA GPU; this machine has none: use transformers")
    return out


def report(found: list[str]) -> str:
    return f"preflight: {len(found)} problem(s) in the config, found before any job ran:\n" + "\n".join(
        f"  {x}" for x in found)
