"""Pin a local job to one free GPU (Snakemake sets CUDA_VISIBLE_DEVICES only on clusters).

Each GPU has a lock file; a job takes the first free one for its lifetime (the lock is released
when the process exits, also on a crash), so concurrent local jobs never share a device, unless
``WEIRDGEN_JOBS_PER_GPU`` (default 1) lets that many jobs share each card (small models: the embedded 135M
model's jobs use a few GiB each; run Snakemake with ``--resources gpu=<GPUs x jobs per GPU>``).
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
    slots = max(1, int(os.environ.get("WEIRDGEN_JOBS_PER_GPU", "1") or 1))  # small models: several jobs per card
    for i, k in ((i, k) for k in range(slots) for i in range(n)):
        fh = (d / (f"gpu{i}.lock" if k == 0 else f"gpu{i}.{k}.lock")).open("w")
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
    raise RuntimeError(f"all {n} GPUs are taken by other weirdgen jobs (locks in {d}, {slots} job(s) per GPU: "
                       "WEIRDGEN_JOBS_PER_GPU); lower the profile's `resources: gpu=` limit to GPUs x jobs per GPU")
