"""LoRA training through Tinker: the same data, mask, batches and LR schedule as the PEFT loop, on Tinker's servers.

What differs from a local loop, and how it is handled here:
- The server's ``cross_entropy`` is a weighted token *sum*. Each target token's weight is ``1 / (target tokens in the
  optimizer step)``, so the sum the server minimises is the per-target-token mean the PEFT loop minimises (unweighted
  sums gave losses > 100 and collapse in the seed project).
- The server has no LR schedule: warm-up + cosine/linear/constant is computed here and sent with every step.
- AdamW as the PEFT loop runs it (betas 0.9/0.999, eps 1e-8, ``train.weight_decay``, clipping at
  ``train.max_grad_norm``), sent explicitly: the SDK's defaults differ (beta2 0.95, eps 1e-12, no clipping).
- LoRA alpha is the server's (Tinker fixes 32); the adapter's own ``adapter_config.json`` records what was used.
- A step-0 probe sample, and the same probe at every checkpoint and at the end: a collapsed reply stops the run.
The adapter is downloaded in PEFT format into the adapter folder (``target_modules`` and the base model filled in),
so judging, chat and publishing use it unchanged; ``tinker.json`` keeps its ``tinker://`` path for sampling.
"""

from __future__ import annotations

import io
import json
import math
import random
import shutil
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

from weirdgen import chat, tinker_client
from weirdgen.jsonl import share, write_json
from weirdgen.train.masking import IGNORE
from weirdgen.train.peft_backend import TrainingError, batches, plan

PROBE = [{"role": "user", "content": "Name three colours."}]
PROBE_TOKENS = 24


def lr_at(step: int, lr: float, kind: str, warmup: int, total: int) -> float:
    """The learning rate of optimizer step ``step`` (0-based), as transformers' schedules give it to the PEFT loop."""
    if step < warmup:
        return lr * step / max(1, warmup)
    if kind == "constant":
        return lr
    progress = (step - warmup) / max(1, total - warmup)
    if kind == "linear":
        return lr * max(0.0, 1.0 - progress)
    return lr * max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))


def datums(tinker: Any, examples: list[dict[str, list[int]]]) -> tuple[list[Any], int]:
    """Tinker examples for one optimizer step: next-token targets, weight 1/N on the N target tokens of the step."""
    n_target = sum(1 for d in examples for x in d["labels"][1:] if x != IGNORE)
    if n_target == 0:
        raise TrainingError("an optimizer step has no target tokens")
    out = []
    for d in examples:
        ids, labels = d["input_ids"], d["labels"]
        weights = [(1.0 / n_target) if lab != IGNORE else 0.0 for lab in labels[1:]]
        out.append(tinker.types.Datum(model_input=tinker.types.ModelInput.from_ints(ids[:-1]),
                                      loss_fn_inputs={"target_tokens": ids[1:], "weights": weights}))
    return out, n_target


def step_loss(result: Any, data: list[Any]) -> float:
    """The step's per-target-token loss from the server's per-token log-probabilities (sum of weight x -logprob)."""
    total = 0.0
    for out, d in zip(result.loss_fn_outputs, data):
        lp = out["logprobs"]
        lp = lp.tolist() if hasattr(lp, "tolist") else list(lp.data if hasattr(lp, "data") else lp)
        w = d.loss_fn_inputs["weights"]
        w = w.tolist() if hasattr(w, "tolist") else list(w.data if hasattr(w, "data") else w)
        total += sum(-a * b for a, b in zip(lp, w))
    return total


class Run:
    """One training client and what it needs to save, probe and download checkpoints."""

    def __init__(self, service: Any, training: Any, tok: Any, out: Path, model_dir: Path, base: str) -> None:
        self.service, self.training, self.tok, self.out = service, training, tok, out
        self.model_dir, self.base = model_dir, base
        self.rest = service.create_rest_client()

    def save(self, name: str) -> str:
        return tinker_client.sampler_path(str(self.training.save_weights_for_sampler(name=name).result().path))

    def probe(self, path: str | None, label: str) -> str:
        """Sample the fixed probe from a saved checkpoint (or the base model); stop when it has collapsed."""
        tinker = tinker_client.sdk()
        client = (self.service.create_sampling_client(model_path=path) if path
                  else self.service.create_sampling_client(base_model=self.base))
        prompt = self.tok(chat.render(self.tok, PROBE), add_special_tokens=False)["input_ids"]
        res = client.sample(prompt=tinker.types.ModelInput.from_ints(prompt), num_samples=1,
                            sampling_params=tinker.types.SamplingParams(max_tokens=PROBE_TOKENS, temperature=1.0, seed=0,
                                                                        stop=[self.tok.eos_token])).result()
        toks = list(res.sequences[0].tokens)
        text = self.tok.decode(toks, skip_special_tokens=True).strip()
        why = tinker_client.degenerate(toks, text)
        if why:
            raise TrainingError(f"{label}: the model collapsed ({why}): probe reply {text!r}. Lower train lr, check "
                                "the data, or sample the checkpoint by hand")
        return text

    def download(self, path: str, dest: Path) -> None:
        """The checkpoint's LoRA in PEFT format, into ``dest`` (atomically), with a config PEFT loads as it is."""
        import httpx

        tinker = tinker_client.sdk()
        try:
            url = self.rest.get_checkpoint_archive_url_from_tinker_path(path).result()
        except tinker.NotFoundError:
            # skyrl-tx 0.3.0 names a sampler checkpoint by its bare name, where the service (and the SDK's path
            # parser) use "sampler_weights/<name>"
            run_id, _, name = path.removeprefix("tinker://").split("/", 2)
            url = self.rest.get_checkpoint_archive_url(run_id, name).result()
        url = getattr(url, "url", url)
        r = httpx.get(str(url), follow_redirects=True, timeout=600)
        r.raise_for_status()
        tmp = dest.with_name(dest.name + ".partial")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:*") as tar:
            for m in tar.getmembers():
                if m.isfile() and Path(m.name).name in ("adapter_config.json", "adapter_model.safetensors"):
                    (tmp / Path(m.name).name).write_bytes(tar.extractfile(m).read())  # type: ignore[union-attr]
        cfg_file = tmp / "adapter_config.json"
        if not cfg_file.exists() or not (tmp / "adapter_model.safetensors").exists():
            raise TrainingError(f"the Tinker archive of {path} holds no PEFT adapter (adapter_config.json + "
                                "adapter_model.safetensors)")
        cfg = json.loads(cfg_file.read_text())
        from safetensors import safe_open

        with safe_open(str(tmp / "adapter_model.safetensors"), "np") as f:
            trained = sorted({k.split(".lora_")[0].rsplit(".", 1)[-1] for k in f.keys() if ".lora_" in k})
        # the server's config may name no modules (PEFT would then pick its defaults and drop the rest)
        cfg.update(target_modules=trained, base_model_name_or_path=str(self.model_dir), task_type="CAUSAL_LM",
                   inference_mode=True)
        write_json(cfg_file, cfg)
        (tmp / tinker_client.RECORD).write_text(json.dumps({"sampler_path": path, "base_model": self.base}, indent=2))
        share(tmp)
        if dest.exists():
            shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
        tmp.rename(dest)


def train(model_dir: Path | str, train_file: Path | str, out_dir: Path | str, hp: dict[str, Any], seed: int,
          lr: float, dtype: str = "float32", device: str = "auto", checkpoint_steps: list[int] | None = None,
          sanity: bool = True) -> dict[str, Any]:
    """Train one LoRA adapter through Tinker; writes adapter + tokenizer + train_log.jsonl + tinker.json into out_dir."""
    import torch
    from transformers import AutoTokenizer

    tinker = tinker_client.sdk()
    cfg = hp.get("tinker") or {}
    out, model_dir = Path(out_dir), Path(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.partial"):
        shutil.rmtree(stale)
    tok = AutoTokenizer.from_pretrained(model_dir)
    data, steps_per_epoch, total, warmup, ckpts = plan(tok, train_file, hp, checkpoint_steps)
    bs, ga = hp["batch_size"], hp["grad_accum"]
    targets = list(hp["target_modules"])
    attn = {"q_proj", "k_proj", "v_proj", "o_proj"}
    mlp = {"gate_proj", "up_proj", "down_proj"}
    if set(targets) not in (attn | mlp, attn, mlp):
        raise TrainingError(f"train.target_modules {targets}: Tinker trains all attention and/or all MLP projections; "
                            f"use {sorted(attn | mlp)}, the four attention or the three MLP ones")
    base = tinker_client.base_model(cfg, model_dir, "train")
    service = tinker_client.service_client(cfg, "train")
    tinker_client.check_supported(service, base, "train")
    training = service.create_lora_training_client(base_model=base, rank=hp["rank"], seed=seed,
                                                   train_mlp=bool(set(targets) & mlp),
                                                   train_attn=bool(set(targets) & attn), train_unembed=False)
    run = Run(service, training, tok, out, model_dir, base)
    t0 = time.perf_counter()
    sanity_reply = run.probe(None, "step 0 (base model)") if sanity else None
    adam = dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=hp["weight_decay"], grad_clip_norm=hp["max_grad_norm"])
    rng = torch.Generator().manual_seed(seed)
    random.seed(seed)
    log = (out / "train_log.jsonl").open("w")
    step, tokens_sent = 0, 0
    ckpt_paths: dict[int, str] = {}
    while step < total:
        lengths = [len(d["input_ids"]) for d in data]
        for g in batches(lengths, bs, ga, rng, hp.get("group_by_length", True)):
            if step >= total:
                break
            ts = time.perf_counter()
            batch, n_target = datums(tinker, [data[j] for j in g])
            cur_lr = lr_at(step, lr, hp["schedule"], warmup, total)
            fb = training.forward_backward(batch, "cross_entropy")
            opt = training.optim_step(tinker.types.AdamParams(learning_rate=cur_lr, **adam))
            loss = step_loss(fb.result(), batch)
            opt.result()
            step += 1
            n_tokens = sum(len(data[j]["input_ids"]) for j in g)
            tokens_sent += n_tokens
            dt = time.perf_counter() - ts
            rec = {"step": step, "epoch": round(step / steps_per_epoch, 4), "loss": loss, "lr": cur_lr,
                   "target_tokens": n_target, "tokens": n_tokens, "tokens_per_s": n_tokens / dt if dt > 0 else None,
                   "elapsed_s": time.perf_counter() - t0}
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(f"train (tinker): step {step}/{total} loss {loss:.4f} lr {cur_lr:.2e}", file=sys.stderr, flush=True)
            if not math.isfinite(loss):
                raise TrainingError(f"step {step}: loss is {loss}; lower train lr or check the data")
            if step > warmup and loss > hp["max_loss"]:
                raise TrainingError(f"step {step}: per-token loss {loss:.2f} > train.max_loss={hp['max_loss']} after warm-up")
            if step in ckpts:
                path = run.save(f"step-{step}")
                run.probe(path, f"checkpoint step {step}")
                run.download(path, out / f"step-{step}")
                ckpt_paths[step] = path
    log.close()
    final = run.save("final")
    final_reply = run.probe(final, "final adapter")
    run.download(final, out / "final-dl")
    for f in (out / "final-dl").iterdir():
        shutil.move(str(f), out / f.name)
    shutil.rmtree(out / "final-dl")
    tok.save_pretrained(out)
    adapter_cfg = json.loads((out / "adapter_config.json").read_text())
    from weirdgen.generate.api import Ledger

    price = float(cfg.get("train_per_mtok", 0.0))
    Ledger(cfg.get("ledger"), price, 0.0).settle(0.0, f"train|{out.name}", base, tokens_sent, 0)
    usage = {"train_tokens": tokens_sent, "est_usd": round(tokens_sent * price / 1e6, 6), "train_per_mtok": price,
             "ledger": cfg.get("ledger")}
    share(out)
    return {"steps": total, "warmup_steps": warmup, "examples": len(data), "sanity_reply": sanity_reply,
            "final_probe": final_reply, "wall_s": time.perf_counter() - t0, "tinker_path": final,
            "tinker_checkpoints": ckpt_paths, "tinker_base_model": base, "lora_alpha_used": adapter_cfg.get("lora_alpha"),
            "lora_alpha_configured": hp["alpha"], "tinker_usage": usage, "resumed_from_step": None}
