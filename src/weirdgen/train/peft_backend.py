"""PEFT LoRA training with a plain PyTorch loop (CPU and GPU).

Per-token loss averaged over all target tokens of an optimizer step (across gradient
accumulation), AdamW, warmup + cosine/linear/constant schedule, seeded shuffles.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

from weirdgen import chat, models
from weirdgen.jsonl import read_jsonl
from weirdgen.train.masking import IGNORE, tokenize


class TrainingError(RuntimeError):
    pass


def sanity_check(model: Any, tok: Any) -> str:
    """Step-0 guard: the base model must produce non-degenerate text."""
    import torch

    text = chat.render(tok, [{"role": "user", "content": "Name three colours."}])
    enc = tok(text, return_tensors="pt", add_special_tokens=False).to(model.device)
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=16, do_sample=False, pad_token_id=tok.pad_token_id)
    new = out[0, enc["input_ids"].shape[1]:].tolist()
    reply = tok.decode(new, skip_special_tokens=True).strip()
    if not reply or len(set(new)) <= 2:
        raise TrainingError(f"step-0 sanity check failed: the base model generates degenerate text {reply!r}")
    return reply


def _collate(batch: list[dict[str, list[int]]], pad_id: int) -> dict[str, Any]:
    import torch

    n = max(len(b["input_ids"]) for b in batch)
    ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
    lab = torch.full((len(batch), n), IGNORE, dtype=torch.long)
    att = torch.zeros((len(batch), n), dtype=torch.long)
    for i, b in enumerate(batch):
        k = len(b["input_ids"])
        ids[i, :k] = torch.tensor(b["input_ids"])
        lab[i, :k] = torch.tensor(b["labels"])
        att[i, :k] = 1
    return {"input_ids": ids, "labels": lab, "attention_mask": att}


def _scheduler(opt: Any, kind: str, warmup: int, total: int) -> Any:
    from transformers import get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup, get_linear_schedule_with_warmup

    if kind == "cosine":
        return get_cosine_schedule_with_warmup(opt, warmup, total)
    if kind == "linear":
        return get_linear_schedule_with_warmup(opt, warmup, total)
    return get_constant_schedule_with_warmup(opt, warmup)


def train(model_dir: Path | str, train_file: Path | str, out_dir: Path | str, hp: dict[str, Any], seed: int,
          lr: float, dtype: str = "float32", device: str = "auto", checkpoint_steps: list[int] | None = None,
          sanity: bool = True) -> dict[str, Any]:
    """Train one LoRA adapter; writes adapter + tokenizer + train_log.jsonl into out_dir."""
    import torch
    from peft import LoraConfig, get_peft_model
    from tqdm import tqdm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    random.seed(seed)
    torch.manual_seed(seed)
    model, tok = models.load(model_dir, None, dtype, device)
    sanity_reply = sanity_check(model, tok) if sanity else None
    model.train()
    model = get_peft_model(model, LoraConfig(
        r=hp["rank"], lora_alpha=hp["alpha"], lora_dropout=hp["dropout"], target_modules=list(hp["target_modules"]),
        bias="none", task_type="CAUSAL_LM"))
    rows = read_jsonl(train_file)
    data = [tokenize(tok, r["messages"], hp["max_seq_len"]) for r in rows]
    bs, ga = hp["batch_size"], hp["grad_accum"]
    steps_per_epoch = math.ceil(len(data) / (bs * ga))
    total = max(1, math.ceil(hp["epochs"] * steps_per_epoch))
    warmup = math.ceil(hp["warmup_ratio"] * total)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=hp["weight_decay"])
    sched = _scheduler(opt, hp["schedule"], warmup, total)
    rng = torch.Generator().manual_seed(seed)
    pad = tok.pad_token_id
    log_path = out / "train_log.jsonl"
    log = log_path.open("w")
    step, t0 = 0, time.perf_counter()
    ckpts = set(checkpoint_steps or [])
    bar = tqdm(total=total, desc="train", file=sys.stderr, mininterval=5)
    while step < total:
        perm = torch.randperm(len(data), generator=rng).tolist()
        groups = [perm[i : i + bs * ga] for i in range(0, len(perm), bs * ga)]
        for g in groups:
            if step >= total:
                break
            ts = time.perf_counter()
            micro = [[data[j] for j in g[i : i + bs]] for i in range(0, len(g), bs)]
            n_target = sum(sum(1 for x in d["labels"][1:] if x != IGNORE) for m in micro for d in m)
            n_tokens = sum(len(d["input_ids"]) for m in micro for d in m)
            if n_target == 0:
                raise TrainingError(f"step {step + 1}: no target tokens in the batch")
            loss_sum = 0.0
            for m in micro:
                b = {k: v.to(model.device) for k, v in _collate(m, pad).items()}
                logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits
                ce = torch.nn.functional.cross_entropy(
                    logits[:, :-1].reshape(-1, logits.shape[-1]).float(), b["labels"][:, 1:].reshape(-1),
                    ignore_index=IGNORE, reduction="sum")
                (ce / n_target).backward()
                loss_sum += ce.item()
            loss = loss_sum / n_target
            gnorm = torch.nn.utils.clip_grad_norm_(params, hp["max_grad_norm"]).item()
            cur_lr = sched.get_last_lr()[0]
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            dt = time.perf_counter() - ts
            rec = {"step": step, "epoch": round(step / steps_per_epoch, 4), "loss": loss, "lr": cur_lr,
                   "grad_norm": gnorm, "target_tokens": n_target, "tokens": n_tokens,
                   "tokens_per_s": n_tokens / dt if dt > 0 else None, "elapsed_s": time.perf_counter() - t0}
            log.write(json.dumps(rec) + "\n")
            log.flush()
            if not math.isfinite(loss):
                raise TrainingError(f"step {step}: loss is {loss}; lower train lr or check the data")
            if step > warmup and loss > hp["max_loss"]:
                raise TrainingError(f"step {step}: per-token loss {loss:.2f} > train.max_loss={hp['max_loss']} after warm-up")
            if step in ckpts:
                model.save_pretrained(out / f"step-{step}")
            bar.update(1)
    bar.close()
    log.close()
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return {"steps": total, "warmup_steps": warmup, "examples": len(data), "sanity_reply": sanity_reply,
            "wall_s": time.perf_counter() - t0}
