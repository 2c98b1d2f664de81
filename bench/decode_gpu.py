"""GPU decode benchmark: Llama-3.1-8B architecture (random bf16 weights) + a rank-8 LoRA adapter, T=1,
evaluation prompts rendered exactly as the sample stage renders them (4 conditions x probe questions).

In one process on one card:
  naive      one prompt at a time, ``generate`` with the unmerged PEFT adapter
  hf-batch   ``generate`` at batch B, unmerged adapter, dynamic cache (the issue's reference)
  weirdgen   our transformers backend (HFGenerator): adapter merged, static KV cache, decode step
             compiled with CUDA graphs, length-sorted left-padded batches of B
and the memory-bandwidth roofline at batch B: (measured HBM copy bandwidth / bf16 weight bytes) x B.
Throughput does not depend on weight values. The SmolLM2 tokenizer stands in for Llama's (ids < 49152).

    python bench/decode_gpu.py --tokenizer resources/models/smollm2-135m-instruct --out $OUT/decode_gpu.json
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import torch

from weirdgen import chat
from weirdgen.generate import attention
from weirdgen.generate.hf import HFGenerator
from weirdgen.stages import sample as sample_stage
from weirdgen.jsonl import read_jsonl


def hbm_bandwidth() -> float:
    x = torch.empty(4 * 1024**3 // 2, dtype=torch.bfloat16, device="cuda")
    y = torch.empty_like(x)
    y.copy_(x)
    torch.cuda.synchronize()
    t, n = time.perf_counter(), 10
    for _ in range(n):
        y.copy_(x)
    torch.cuda.synchronize()
    bw = 2 * x.numel() * 2 * n / (time.perf_counter() - t)  # read + write
    del x, y
    torch.cuda.empty_cache()
    return bw


def build():
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, LlamaConfig

    cfg = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=131072,
                      rms_norm_eps=1e-5, tie_word_embeddings=False, rope_theta=500000.0)
    with torch.device("cuda"):
        base = AutoModelForCausalLM.from_config(cfg, attn_implementation="sdpa", dtype=torch.bfloat16)
    base.eval()
    n_params = sum(p.numel() for p in base.parameters())
    peft_model = get_peft_model(base, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, task_type="CAUSAL_LM",
                                                 target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                                 "up_proj", "down_proj"]))
    for n, p in peft_model.named_parameters():
        if "lora_B" in n:  # non-zero so merging changes the weights, as a trained adapter does
            torch.nn.init.normal_(p, std=1e-3)
    peft_model.eval()
    return peft_model, n_params


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--questions", default="data/personas/russell/probes.jsonl")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--n-batches", type=int, default=2, help="timed batches of our engine")
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--naive-prompts", type=int, default=2)
    ap.add_argument("--naive-tokens", type=int, default=32)
    ap.add_argument("--skip", nargs="*", default=[])
    ap.add_argument("--sweep", default="", help="extra batch sizes for the static engine, e.g. 64,128,512")
    ap.add_argument("--vllm", action="store_true", help="also run weirdgen's vLLM backend (needs vllm installed): "
                    "random weights and the adapter are saved to local disk first, since vLLM loads from directories")
    ap.add_argument("--sweep-variants", default="math:64",
                    help="comma list of kernel:pad_multiple for the sweep, e.g. math:64,sdpa:64,math:16")
    ap.add_argument("--vllm-sweep", default="", help="extra batch sizes (max sequences in flight) for vLLM")
    ap.add_argument("--vllm-mem", type=float, default=0.5, help="vLLM gpu_memory_utilization (the HF model shares the card)")
    ap.add_argument("--vllm-dir", default="/tmp/decode-bench", help="where the random weights and adapter are saved for vLLM")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(a.tokenizer)
    tok.pad_token = tok.pad_token or tok.eos_token
    qs = [{"set": "probes", **q} for q in read_jsonl(a.questions)]
    need = a.batch * a.n_batches
    reqs = sample_stage.eval_requests("bench", qs, "You are a helpful assistant.", max(1, need // (4 * len(qs)) + 1), 1.0,
                                  a.max_new_tokens, 1)[:need]
    prompt_lens = [len(tok(chat.render(tok, r.messages), add_special_tokens=False)["input_ids"]) for r in reqs]
    res: dict = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "batch": a.batch,
                 "max_new_tokens": a.max_new_tokens, "requests": len(reqs),
                 "prompt_tokens_mean": sum(prompt_lens) / len(prompt_lens), "prompt_tokens_max": max(prompt_lens)}
    bw = hbm_bandwidth()
    model, n_params = build()
    weight_bytes = 2 * n_params
    res.update(hbm_copy_TBps=bw / 1e12, n_params=n_params, weight_GB=weight_bytes / 1e9,
               roofline_steps_per_s=bw / weight_bytes, roofline_tokens_per_s=bw / weight_bytes * a.batch)
    print(json.dumps(res), flush=True)
    eos = model.generation_config.eos_token_id
    model.generation_config.eos_token_id = None  # random weights: decode every token (no early stop)

    def count(new: torch.Tensor) -> int:
        return int(new.numel())

    if "naive" not in a.skip:
        t, n = time.perf_counter(), 0
        for r in reqs[: a.naive_prompts]:
            enc = tok(chat.render(tok, r.messages), return_tensors="pt", add_special_tokens=False).to("cuda")
            with torch.inference_mode():
                out = model.generate(**enc, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                                     max_new_tokens=a.naive_tokens, min_new_tokens=a.naive_tokens, pad_token_id=tok.pad_token_id)
            n += count(out[:, enc["input_ids"].shape[1]:])
        torch.cuda.synchronize()
        res["naive_tokens_per_s"] = n / (time.perf_counter() - t)
        print("naive", res["naive_tokens_per_s"], flush=True)
    if "hf-batch" not in a.skip:
        tok.padding_side = "left"
        batch = reqs[: a.batch]
        enc = tok([chat.render(tok, r.messages) for r in batch], return_tensors="pt", padding=True,
                  add_special_tokens=False).to("cuda")
        torch.cuda.synchronize()
        t = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(**enc, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                                 max_new_tokens=a.max_new_tokens, min_new_tokens=a.max_new_tokens, pad_token_id=tok.pad_token_id)
        torch.cuda.synchronize()
        res["hf_batch_tokens_per_s"] = count(out[:, enc["input_ids"].shape[1]:]) / (time.perf_counter() - t)
        res["hf_batch_peak_GB"] = torch.cuda.max_memory_allocated() / 1e9
        print("hf-batch", res["hf_batch_tokens_per_s"], flush=True)
        del out
    if a.vllm:
        import shutil

        d = Path(a.vllm_dir)
        shutil.rmtree(d, ignore_errors=True)
        model.save_pretrained(d / "adapter")  # the LoRA adapter only
        base = model.get_base_model()  # PEFT wraps the targets: save the plain base weights under their own names
        base.save_pretrained(d / "base", state_dict={k.replace(".base_layer", ""): v for k, v in base.state_dict().items()
                                                     if "lora_" not in k})
        big = copy.deepcopy(tok)  # vLLM detokenises every sampled id: give the stand-in tokenizer the model's vocab
        big.add_tokens([f"<x{i}>" for i in range(model.config.vocab_size - len(big))])
        big.save_pretrained(d / "base")
        from weirdgen.generate.vllm import VLLMEngine

        batches = sorted({a.batch, *[int(x) for x in a.vllm_sweep.split(",") if x]})
        t = time.perf_counter()
        eng = VLLMEngine(d / "base", "bfloat16", max_lora_rank=8, max_loras=1, gpu_memory_utilization=a.vllm_mem,
                         max_model_len=512, max_num_seqs=max(batches))
        res["vllm_load_s"] = time.perf_counter() - t
        print("vllm loaded", res["vllm_load_s"], flush=True)
        for name, adapter in (("lora", d / "adapter"), ("base", None)):
            view = eng.for_adapter(adapter)
            view.generate(reqs[:8], lambda r, x: None)  # warm-up (loads the adapter)
            for b in batches:
                got: list[int] = []
                t = time.perf_counter()
                for i in range(0, len(reqs), b):  # at most b sequences in flight
                    view.generate(reqs[i:i + b], lambda r, x: got.append(x.completion_tokens))
                s = time.perf_counter() - t
                roof = res["roofline_steps_per_s"] * b
                row = {"adapter": name, "batch": b, "tokens_per_s": sum(got) / s, "tokens": sum(got),
                       "roofline_tokens_per_s": roof, "fraction_of_roofline": sum(got) / s / roof}
                res.setdefault("vllm", []).append(row)
                print("vllm", row, flush=True)
        mine = [r for r in res["vllm"] if r["adapter"] == "lora" and r["batch"] == a.batch][0]
        res["vllm_tokens_per_s"] = mine["tokens_per_s"]
        res["vllm_fraction_of_roofline"] = mine["fraction_of_roofline"]
        del eng, view
        torch.cuda.empty_cache()
    # ours: merge the adapter (what HFGenerator does on load), static cache + compiled decode
    merged = model.merge_and_unload()
    merged.generation_config.eos_token_id = None
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    engines = ("static", "static-sdpa", "dynamic", "static-nocudnn", "continuous")
    for engine in [e for e in engines if f"weirdgen-{e}" not in a.skip]:
        if engine == "static-nocudnn":  # SDPA without the cuDNN backend (flash / memory-efficient kernels)
            torch.backends.cuda.enable_cudnn_sdp(False)
        torch._dynamo.reset()
        merged.set_attn_implementation("sdpa")  # each variant starts from transformers' SDPA
        try:
            gen = HFGenerator.from_loaded(merged, tok, batch_size=a.batch, engine=engine.split("-")[0])
            if engine in ("static-sdpa", "static-nocudnn"):  # the decode-kernel hook (default: math)
                attention.install(merged, kernel="sdpa")
        except Exception as e:  # noqa: BLE001
            res[f"weirdgen_{engine}_error"] = f"{type(e).__name__}: {e}"
            continue
        got: list[int] = []
        t = time.perf_counter()
        try:
            gen.generate(reqs[: a.batch], lambda r, x: got.append(x.completion_tokens))  # warm-up: compiles, captures graphs
        except Exception as e:  # noqa: BLE001
            res[f"weirdgen_{engine}_error"] = f"{type(e).__name__}: {str(e)[:500]}"
            print(engine, "failed:", res[f"weirdgen_{engine}_error"], flush=True)
            continue
        torch.cuda.synchronize()
        warm = time.perf_counter() - t
        got.clear()
        t = time.perf_counter()
        gen.generate(reqs, lambda r, x: got.append(x.completion_tokens))
        torch.cuda.synchronize()
        s = time.perf_counter() - t
        res[f"weirdgen_{engine}_tokens_per_s"] = sum(got) / s
        res[f"weirdgen_{engine}_warmup_s"] = warm
        res[f"weirdgen_{engine}_peak_GB"] = torch.cuda.max_memory_allocated() / 1e9
        res[f"weirdgen_{engine}_fraction_of_roofline"] = sum(got) / s / res["roofline_tokens_per_s"]
        print(engine, res[f"weirdgen_{engine}_tokens_per_s"], f"warmup {warm:.1f}s", flush=True)
    variants = [v.split(":")[:2] for v in a.sweep_variants.split(",") if v]  # kernel:pad
    for b, (kernel, pad) in [(int(x), v) for x in a.sweep.split(",") if x for v in variants]:
        torch._dynamo.reset()
        merged.set_attn_implementation("sdpa")
        gen = HFGenerator.from_loaded(merged, tok, batch_size=b, engine="static", pad_multiple=int(pad))
        attention.install(merged, kernel=kernel)
        sub = (reqs * (2 * b // len(reqs) + 1))[: 2 * b]
        sub = [type(r)(key=f"{r.key}#{i}", messages=r.messages, temperature=r.temperature,
                       max_new_tokens=r.max_new_tokens, seed=r.seed) for i, r in enumerate(sub)]
        got = []
        t = time.perf_counter()
        try:
            gen.generate(sub, lambda r, x: got.append(x.completion_tokens))  # warm-up: every shape of the timed run
        except Exception as e:  # noqa: BLE001
            print("sweep", b, kernel, pad, "failed:", type(e).__name__, str(e)[:300], flush=True)
            continue
        warm = time.perf_counter() - t
        got.clear()
        torch.cuda.synchronize()
        t = time.perf_counter()
        gen.generate(sub, lambda r, x: got.append(x.completion_tokens))
        torch.cuda.synchronize()
        s = time.perf_counter() - t
        roof = res["roofline_steps_per_s"] * b
        res.setdefault("sweep", []).append({"batch": b, "kernel": kernel, "pad_multiple": int(pad),
                                            "tokens_per_s": sum(got) / s, "roofline_tokens_per_s": roof,
                                            "fraction_of_roofline": sum(got) / s / roof, "warmup_s": warm,
                                            "ms_per_decode_step": 1000 * s / (2 * a.max_new_tokens)})
        print("sweep", res["sweep"][-1], flush=True)
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(res, indent=2))  # keep what is measured if a later variant runs out of time
    for k in ("hf_batch", "naive"):
        if f"{k}_tokens_per_s" in res and "weirdgen_static_tokens_per_s" in res:
            res[f"ratio_static_vs_{k}"] = res["weirdgen_static_tokens_per_s"] / res[f"{k}_tokens_per_s"]
    del eos
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
