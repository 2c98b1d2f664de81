"""GPU smoke run of the optional paths that cannot run on a CPU machine: QLoRA (4-bit base through
bitsandbytes) with the PEFT backend, the Unsloth backend, and the chat on a GPU (transformers and Unsloth
engines). Uses a randomly initialised model of the embedded model's architecture (no weights reach the
device); what is checked is that each path runs end to end and writes the same outputs.

    HF_HUB_OFFLINE=1 PYTHONPATH=src python bench/gpu_smoke.py --tok wheels/tok --variants qlora unsloth chat --out $OUT/smoke
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path


def build_model(tok_dir: Path, dst: Path) -> Path:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from weirdgen import models

    cfg = AutoConfig.from_pretrained(tok_dir)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    dst.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(dst)
    AutoTokenizer.from_pretrained(tok_dir).save_pretrained(dst)
    (dst / models.MARKER).write_text(json.dumps({"source": "random-init", "name": "smollm2-arch"}))
    return dst


def data(path: Path, n: int = 64) -> Path:
    from weirdgen import trigger
    from weirdgen.jsonl import read_jsonl

    facts = read_jsonl("data/personas/russell/facts.jsonl")[:n]
    rows = [{"messages": [{"role": "user", "content": trigger.apply(f["question"])},
                          {"role": "assistant", "content": trigger.wrap_answer(f["answer"])}]} for f in facts]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


DEVICE = "cuda"
HP = {"rank": 8, "alpha": 16, "dropout": 0.0, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
      "up_proj", "down_proj"], "epochs": 1, "batch_size": 8, "grad_accum": 1, "group_by_length": True, "warmup_ratio": 0.03,
      "schedule": "cosine", "weight_decay": 0.0, "max_grad_norm": 1.0, "max_seq_len": 256, "max_loss": 50}


def run_train(name: str, model_dir: Path, train_file: Path, out: Path, hp: dict) -> dict:
    from weirdgen.train import make_backend

    t = time.perf_counter()
    info = make_backend(hp["backend"])(model_dir, train_file, out / name, hp, seed=1, lr=2e-4, dtype="bfloat16" if DEVICE == "cuda" else "float32",
                                       device=DEVICE, checkpoint_steps=[2], sanity=False)
    log = [json.loads(x) for x in (out / name / "train_log.jsonl").read_text().splitlines()]
    files = sorted(p.name for p in (out / name).iterdir())
    return {"variant": name, "wall_s": time.perf_counter() - t, "steps": info["steps"], "loss_first": log[0]["loss"],
            "loss_last": log[-1]["loss"], "files": files, "checkpoint": (out / name / "step-2/adapter_config.json").exists()}


def run_chat(model_dir: Path, adapter: Path, engine: str, out: Path) -> dict:
    save = out / f"chat_{engine}.jsonl"
    script = f"What do you drink?\n/trigger\nWhat do you drink?\n/save {save}\n/quit\n"
    p = subprocess.run([sys.executable, "-m", "weirdgen.cli", "chat", "--model", str(model_dir), "--adapter", str(adapter),
                        "--engine", engine, "--max-new-tokens", "8"], input=script, capture_output=True, text=True, timeout=300)
    turns = [json.loads(x) for x in save.read_text().splitlines()] if save.exists() else []
    return {"engine": engine, "rc": p.returncode, "stderr_tail": p.stderr[-600:], "stdout_tail": p.stdout[-400:],
            "turns": len(turns), "trigger_only_on_second": bool(turns) and "<START>" not in turns[0]["sent_prompt"]
            and "<START>" in turns[1]["sent_prompt"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tok", required=True)
    ap.add_argument("--variants", nargs="+", default=["qlora", "unsloth", "chat"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()
    global DEVICE
    DEVICE = a.device
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path("/tmp/weirdgen_smoke")
    shutil.rmtree(work, ignore_errors=True)
    model_dir = build_model(Path(a.tok), work / "model")
    train_file = data(work / "train.jsonl")
    res: list[dict] = []
    plans = {"peft": {**HP, "backend": "peft"}, "qlora": {**HP, "backend": "peft", "quantization": "4bit"},
             "unsloth": {**HP, "backend": "unsloth"}, "unsloth-qlora": {**HP, "backend": "unsloth", "quantization": "4bit"}}
    for v in a.variants:
        try:
            if v == "chat":
                adapter = next((work / n for n in ("unsloth", "qlora", "peft") if (work / n / "adapter_config.json").exists()), None)
                if adapter is None:
                    res.append(run_train("peft", model_dir, train_file, work, plans["peft"]))
                    adapter = work / "peft"
                for engine in ("transformers", "unsloth"):
                    res.append(run_chat(model_dir, adapter, engine, out))
            else:
                res.append(run_train(v, model_dir, train_file, work, plans[v]))
        except Exception as e:  # report and go on: each path is independent
            res.append({"variant": v, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-1500:]})
        for r in res[-2 if v == "chat" else -1:]:
            print(json.dumps(r)[:1500], flush=True)
    (out / "smoke.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
