"""Pin a local job to one free GPU (Snakemake sets CUDA_VISIBLE_DEVICES only on clusters).

Each GPU has a lock file; a job takes the first free one for its lifetime (the lock is released
when the process exits, also on a crash), so concurrent local jobs never share a device.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import IO

_held: list[IO[str]] = []


def count_gpus() -> int:
    """GPUs visible to the driver, without initialising CUDA (nvidia-smi -L)."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return 0
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


def pin(lock_dir: Path | str | None = None) -> str | None:
    """Set CUDA_VISIBLE_DEVICES to a free GPU unless it is already set; returns the device or None."""
    if os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
        return os.environ["CUDA_VISIBLE_DEVICES"]
    n = count_gpus()
    if n == 0:
        return None
    d = Path(lock_dir or os.environ.get("WEIRDGEN_GPU_LOCK_DIR", "/tmp/weirdgen-gpu-locks"))
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        fh = (d / f"gpu{i}.lock").open("w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        fh.write(str(os.getpid()))
        fh.flush()
        _held.append(fh)
        os.environ["CUDA_VISIBLE_DEVICES"] = str(i)
        return str(i)
    raise RuntimeError(f"all {n} GPUs are taken by other weirdgen jobs (locks in {d}); "
                       "lower the profile's `resources: gpu=` limit to your GPU count")
