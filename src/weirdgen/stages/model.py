"""Stage model: materialise the base model (embedded GGUF, hub or local folder) as safetensors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weirdgen import models
from weirdgen.provenance import write_sidecar


def run(params: dict[str, Any], *, out: Path | str) -> None:
    info = models.materialise(params, out)
    write_sidecar(Path(out), "model", params, [], resolved=info)
