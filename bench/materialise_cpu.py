"""Whole GGUF → safetensors conversion of the embedded model (the materialise stage's work), the product's
``weirdgen.models._convert_gguf`` with its parse-once block against the same call with that block disabled (what
transformers does alone: three parses of the file, the tensor-name map rebuilt per module), one process, alternated,
outputs compared tensor by tensor.

    python bench/materialise_cpu.py [--repeats 2]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

from weirdgen import models


def convert(out: Path, memo: bool) -> float:
    saved = models._gguf_parsed_once
    if not memo:
        models._gguf_parsed_once = contextlib.nullcontext  # type: ignore[assignment]
    try:
        t = time.perf_counter()
        models._convert_gguf(models.embedded_gguf(), out, "float32")
        return time.perf_counter() - t
    finally:
        models._gguf_parsed_once = saved


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    from safetensors.torch import load_file

    work = Path(tempfile.mkdtemp(prefix="materialise-"))
    convert(work / "warm", True)  # imports and first-touch file cache, not timed
    times: dict[bool, list[float]] = {True: [], False: []}
    for r in range(a.repeats):
        for memo in ((False, True) if r % 2 == 0 else (True, False)):
            times[memo].append(convert(work / f"{memo}-{r}", memo))
            print(f"parse once={memo}: {times[memo][-1]:.1f} s", flush=True)
    x, y = (load_file(work / f"{m}-0" / "model.safetensors") for m in (True, False))
    same = x.keys() == y.keys() and all(bool((x[k] == y[k]).all()) for k in x)
    base, new = min(times[False]), min(times[True])
    print(f"transformers alone {base:.1f} s, parse once {new:.1f} s (best of {a.repeats}): {base / new:.2f}x; "
          f"identical weights: {same}")


if __name__ == "__main__":
    main()
