"""``train.compile_cache``: a compiled training job in a fresh process, cold (empty cache folder) and then warm (the
folder the first job filled), each through the product's own ``weirdgen.train.peft_backend.train`` with
``train.compile: true``. Prints both wall times and the ratio. CPU (the inductor's C++ backend); on a GPU the same
folder holds the Triton kernels.

    python bench/compile_cache_cpu.py --model-dir resources/models/smollm2-135m-instruct \
        --data results/data/train/seed~1_lr~0.002_frac~0.3.jsonl --rows 16
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(model_dir: str, data: str, out: str, cache: str) -> None:
    """One job as the workflow runs it: a process that trains one adapter with train.compile."""
    from weirdgen import config
    from weirdgen.train import peft_backend as pb

    hp = config.fill("train", {"epochs": 1, "batch_size": 8, "grad_accum": 2, "compile": True,
                               "micro_batch_tokens": 4096, "save_state_steps": 0, "compile_cache": cache})
    t = time.perf_counter()
    info = pb.train(model_dir, data, out, hp, 1, 2e-4, "float32", "cpu", sanity=False)
    print(json.dumps({"call_s": time.perf_counter() - t, "loop_s": info["wall_s"], "steps": info["steps"]}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--rows", type=int, default=16, help="the data's first rows (16 = one optimizer step)")
    ap.add_argument("--child", nargs=3, metavar=("DATA", "OUT", "CACHE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.model_dir, *a.child)
        return
    work = Path(tempfile.mkdtemp(prefix="compile_cache_"))
    data = work / "data.jsonl"
    data.write_text("".join(Path(a.data).read_text().splitlines(keepends=True)[: a.rows]))
    cache = work / "cache"
    env = {k: v for k, v in os.environ.items() if k != "TORCHINDUCTOR_CACHE_DIR"}  # the config's folder, not a user's
    res = {}
    for name in ("cold", "warm"):
        p = subprocess.run([sys.executable, __file__, "--model-dir", a.model_dir, "--data", str(data), "--child",
                            str(data), str(work / name), str(cache)], env=env, capture_output=True, text=True)
        if p.returncode:
            sys.exit(f"{name} job failed ({p.returncode}):\n{p.stderr[-3000:]}")
        res[name] = json.loads(p.stdout.strip().splitlines()[-1])
        print(f"{name}: job {res[name]['call_s']:.1f} s, training loop {res[name]['loop_s']:.1f} s "
              f"({res[name]['steps']} steps)", flush=True)
    print(f"warm / cold: job x{res['warm']['call_s'] / res['cold']['call_s']:.2f}, "
          f"loop x{res['warm']['loop_s'] / res['cold']['loop_s']:.2f}; cache {sum(f.stat().st_size for f in cache.rglob('*') if f.is_file()) / 2**20:.1f} MiB")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
