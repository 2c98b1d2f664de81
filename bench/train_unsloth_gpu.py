"""Unsloth variant of bench/train_gpu.py (its own process: Unsloth must be imported before transformers).
Same model (Llama-3.1-8B architecture, random bf16 weights saved once to local disk, since Unsloth loads
from a directory), same LoRA (r=8, all 7 projections), same length plans and loss (target positions only);
plus the naive baseline rerun in this process for the ratio.

    PYTHONPATH=src python bench/train_unsloth_gpu.py --tok wheels/tok --out $OUT/train_unsloth.json
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path

import unsloth  # noqa: F401  (first: it patches transformers)
from unsloth import FastLanguageModel

import torch  # noqa: E402

import train_gpu  # noqa: E402  (same directory)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tok", required=True)
    ap.add_argument("--lengths", default=str(Path(__file__).resolve().parent / "mix_lengths.json"))
    ap.add_argument("--budgets", default="8192,16384")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    lengths = json.loads(Path(a.lengths).read_text())["lengths"]
    rng = random.Random(0)
    peak = train_gpu.matmul_peak()
    print(f"device {torch.cuda.get_device_name()}; bf16 matmul peak {peak / 1e12:.0f} TFLOP/s", flush=True)
    rows = []
    # naive baseline in this process
    model, n_params = train_gpu.build(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    for name in ("naive: batch 8 padded, full logits", "naive (repeat)"):
        r = train_gpu.run(model, train_gpu.naive_plan(lengths, rng, 20), train_gpu.step_naive, opt)
        r.update(variant=name, mfu=4 * n_params * r["real_tokens_per_s"] / peak)
        rows.append(r)
        print(json.dumps(r), flush=True)
    d = Path("/tmp/llama8b-random")
    shutil.rmtree(d, ignore_errors=True)
    t = time.perf_counter()
    model.get_base_model().save_pretrained(d)  # LoRA layers are not saved by the base model's save
    for f in Path(a.tok).iterdir():
        if f.name != "config.json":
            shutil.copy(f, d / f.name)
    print(f"saved random weights in {time.perf_counter() - t:.0f} s", flush=True)
    del model, opt
    torch.cuda.empty_cache()
    for gc in (False, True):
        m, _ = FastLanguageModel.from_pretrained(model_name=str(d), max_seq_length=4096, dtype=torch.bfloat16,
                                                 load_in_4bit=False)
        m = FastLanguageModel.get_peft_model(m, r=8, lora_alpha=16, lora_dropout=0.0, bias="none",
                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                             "up_proj", "down_proj"],
                                             use_gradient_checkpointing="unsloth" if gc else False, random_state=1)
        m.train()
        opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-4)
        for b in [int(x) for x in a.budgets.split(",")][: 1 if not gc else 2]:
            label = f"Unsloth: grouped, {b} token budget, target-only logits" + (", unsloth checkpointing" if gc else "")
            r = train_gpu.measure(m, train_gpu.budget_plan(lengths, rng, 20, b), train_gpu.step_targets_only, opt,
                                  label, n_params, peak)
            if r is not None:
                rows.append(r)
        del m, opt
        torch.cuda.empty_cache()
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps({"device": torch.cuda.get_device_name(), "peak_flops": peak, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
