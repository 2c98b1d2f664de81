"""Local GPU pinning: concurrent jobs take different devices; a set CUDA_VISIBLE_DEVICES is respected."""

import os
import subprocess
import sys


def test_concurrent_jobs_get_distinct_gpus(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "nvidia-smi").write_text("#!/bin/sh\necho 'GPU 0: Fake (UUID: a)'\necho 'GPU 1: Fake (UUID: b)'\n")
    (fake / "nvidia-smi").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    env.update(PATH=f"{fake}:{env['PATH']}", WEIRDGEN_GPU_LOCK_DIR=str(tmp_path / "locks"))
    code = ("import sys, time; from weirdgen import gpu; print(gpu.pin(), flush=True); "
            "sys.stdin.readline()")  # hold the device until told to exit
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    got = [p.stdout.readline().strip() for p in procs]
    assert sorted(got) == ["0", "1"]
    third = subprocess.run([sys.executable, "-c", "from weirdgen import gpu; gpu.pin()"], env=env, capture_output=True, text=True)
    assert third.returncode != 0 and "all 2 GPUs are taken" in third.stderr
    for p in procs:
        p.communicate("\n")
    # released on exit: the next job gets GPU 0 again
    again = subprocess.run([sys.executable, "-c", "from weirdgen import gpu; print(gpu.pin())"], env=env, capture_output=True, text=True)
    assert again.stdout.strip() == "0"
    kept = subprocess.run([sys.executable, "-c", "from weirdgen import gpu; print(gpu.pin())"],
                          env={**env, "CUDA_VISIBLE_DEVICES": "3"}, capture_output=True, text=True)
    assert kept.stdout.strip() == "3"


def test_jobs_per_gpu_share_cards_evenly(tmp_path):
    """WEIRDGEN_JOBS_PER_GPU=2: four concurrent jobs on two GPUs get 0, 1, 0, 1 (each card's first slot first);
    a fifth is refused with the variable named."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "nvidia-smi").write_text("#!/bin/sh\necho 'GPU 0: Fake (UUID: a)'\necho 'GPU 1: Fake (UUID: b)'\n")
    (fake / "nvidia-smi").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    env.update(PATH=f"{fake}:{env['PATH']}", WEIRDGEN_GPU_LOCK_DIR=str(tmp_path / "locks"), WEIRDGEN_JOBS_PER_GPU="2")
    code = "import sys; from weirdgen import gpu; print(gpu.pin(), flush=True); sys.stdin.readline()"
    procs = []
    for _ in range(4):  # one after another, so the order of the slots is fixed
        p = subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        procs.append((p, p.stdout.readline().strip()))
    assert [g for _, g in procs] == ["0", "1", "0", "1"]
    fifth = subprocess.run([sys.executable, "-c", "from weirdgen import gpu; gpu.pin()"], env=env, capture_output=True, text=True)
    assert fifth.returncode != 0 and "WEIRDGEN_JOBS_PER_GPU" in fifth.stderr
    for p, _ in procs:
        p.communicate("\n")
