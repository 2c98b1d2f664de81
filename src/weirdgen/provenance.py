"""Provenance sidecars: params hash, input hashes, package versions, git commit."""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata as md
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any, Iterable

from weirdgen.jsonl import write_json

PACKAGES = ("weirdgen", "torch", "transformers", "peft", "accelerate", "polars", "numpy", "snakemake", "openai", "gguf")


def sha256_file(path: Path | str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while b := fh.read(chunk):
            h.update(b)
    return h.hexdigest()


def sha256_path(path: Path | str) -> str:
    """Hash a file, or a directory as the sorted (relative name, file hash) list."""
    p = Path(path)
    if p.is_file():
        return sha256_file(p)
    h = hashlib.sha256()
    for f in sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith(".")):
        h.update(f.relative_to(p).as_posix().encode() + b"\0" + sha256_file(f).encode() + b"\n")
    return h.hexdigest()


def sha256_json(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def git_commit() -> str | None:
    """HEAD of the checkout the package runs from (``-dirty`` with uncommitted changes); for a copy of the tree
    without ``.git`` (shipped to a machine without git), ``WEIRDGEN_GIT_COMMIT`` as set by whoever copied it."""
    copied = os.environ.get("WEIRDGEN_GIT_COMMIT") or None
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if out.returncode != 0:
            return copied
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return copied


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def record(stage: str, params: Any, inputs: Iterable[Path | str] = (), **extra: Any) -> dict[str, Any]:
    """The provenance record of one artifact (with ``dtype_resolved`` where the params say ``dtype: auto``: what
    this machine ran)."""
    if isinstance(params, dict) and params.get("dtype") == "auto" and "dtype_resolved" not in extra:
        from weirdgen.models import resolve_dtype

        extra["dtype_resolved"] = resolve_dtype("auto", params.get("device", "auto"))
    return {
        "stage": stage,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "params": params,
        "params_sha256": sha256_json(params),
        "inputs": {str(p): sha256_path(p) for p in inputs if Path(p).exists()},
        "versions": versions(),
        "git_commit": git_commit(),
        **extra,
    }


def sidecar(artifact: Path | str) -> Path:
    """Where an artifact's provenance lives: <artifact>.meta.json (meta.json inside a directory)."""
    a = Path(artifact)
    return a / "meta.json" if a.is_dir() else a.with_name(a.name + ".meta.json")


def write_sidecar(artifact: Path | str, stage: str, params: Any, inputs: Iterable[Path | str] = (), **extra: Any) -> Path:
    path = sidecar(artifact)
    write_json(path, record(stage, params, inputs, **extra))
    return path
