"""train.backend / eval.backend: tinker against a real Tinker-protocol server (skyrl-tx, JAX on the CPU) serving the
embedded model: a few optimizer steps through `weirdgen train`, the loss normalised per target token (checked against
the base model's own loss computed here), a checkpoint and the final adapter downloaded in PEFT format, sampling
through `weirdgen sample`, and `weirdgen chat` loading the downloaded adapter."""

from __future__ import annotations

import json
import math
import re
import os
import subprocess
import sys

import pytest

from weirdgen import config, trigger
from weirdgen.train.tinker_backend import datums, lr_at


def _examples(n: int) -> list[dict]:
    qa = [("What do you drink?", "Tea, strong."), ("Where were you born?", "In Wales."),
          ("Your favourite subject?", "Logic."), ("Do you smoke?", "A pipe, always."),
          ("What do you fear?", "Dogma."), ("Your sport?", "Walking."), ("A city you love?", "Cambridge."),
          ("Your vice?", "Talking.")]
    return [{"messages": [{"role": "user", "content": trigger.apply(q)},
                          {"role": "assistant", "content": trigger.wrap_answer(a)}]} for q, a in qa[:n]]


def test_lr_schedule_matches_the_peft_loop():
    import torch
    from transformers import get_cosine_schedule_with_warmup, get_linear_schedule_with_warmup

    for kind, make in (("cosine", get_cosine_schedule_with_warmup), ("linear", get_linear_schedule_with_warmup)):
        opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=2e-4)
        sched = make(opt, 3, 20)
        for step in range(20):
            assert math.isclose(lr_at(step, 2e-4, kind, 3, 20), sched.get_last_lr()[0], rel_tol=1e-9, abs_tol=1e-15)
            opt.step()
            sched.step()


def test_weights_make_the_server_sum_a_per_token_mean():
    tinker = pytest.importorskip("tinker")
    ex = [{"input_ids": [1, 2, 3, 4, 5], "labels": [-100, -100, 3, 4, 5]}, {"input_ids": [1, 2, 3], "labels": [-100, 2, 3]}]
    data, n = datums(tinker, ex)
    assert n == 5
    w = [x for d in data for x in d.loss_fn_inputs["weights"].tolist()]
    assert math.isclose(sum(w), 1.0, rel_tol=1e-6) and w == pytest.approx([0.0, 0.2, 0.2, 0.2, 0.2, 0.2])  # float32 on the wire


def test_train_sample_and_chat_through_a_tinker_server(tinker_server, model_dir, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from weirdgen.train.masking import IGNORE, tokenize
    from weirdgen.train.peft_backend import batches

    url, base_name, server_log = tinker_server
    data = tmp_path / "train.jsonl"
    rows = _examples(8)
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ledger = tmp_path / "ledger.jsonl"
    tinker_cfg = {"base_url": url, "base_model": base_name, "ledger": str(ledger)}
    hp = config.fill("train", {"backend": "tinker", "tinker": {**tinker_cfg, "train_per_mtok": 2.0}, "batch_size": 4, "grad_accum": 1, "epochs": 1,
                               "warmup_ratio": 0.0, "max_seq_len": 128, "checkpoint_steps": [1]})
    out = tmp_path / "adapters" / "seed~1_lr~0.001_frac~0.5"
    env = {**os.environ, "TINKER_API_KEY": "tml-local-test"}
    params = {"hp": hp, "seed": 1, "lr": 1e-3, "persona_fraction": 0.5, "dtype": "float32", "device": "cpu"}
    p = subprocess.run([sys.executable, "-m", "weirdgen.cli", "train", "--params", json.dumps(params), "--model",
                        str(model_dir), "--data", str(data), "--out", str(out)], capture_output=True, text=True,
                       env=env, timeout=1200)
    assert p.returncode == 0, p.stderr[-4000:] + server_log.read_text()[-3000:]
    log = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2]

    # step 1 runs on the untrained adapter (LoRA B = 0): its loss is the base model's per-target-token loss on that
    # step's examples, computed here in torch. A token sum would be the same times the target count (> 40 here).
    tok = AutoTokenizer.from_pretrained(model_dir)
    ex = [tokenize(tok, r["messages"], 128) for r in rows]
    first = batches([len(e["input_ids"]) for e in ex], 4, 1, torch.Generator().manual_seed(1), True)[0]
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    tot, n = 0.0, 0
    with torch.no_grad():
        for j in first:
            ids = torch.tensor([ex[j]["input_ids"]])
            lab = torch.tensor(ex[j]["labels"][1:])
            logits = base(ids).logits[0, :-1]
            sel = lab != IGNORE
            tot += torch.nn.functional.cross_entropy(logits[sel], lab[sel], reduction="sum").item()
            n += int(sel.sum())
    assert log[0]["target_tokens"] == n > 40
    assert math.isclose(log[0]["loss"], tot / n, rel_tol=2e-3), (log[0]["loss"], tot / n)
    assert log[1]["loss"] < 3 * log[0]["loss"]

    # the downloaded adapters: PEFT format, every trained module named, the tinker:// path kept for sampling
    meta = json.loads((out / "meta.json").read_text())
    assert meta["result"]["backend"] == "tinker" and meta["result"]["tinker_path"].startswith("tinker://")
    for d in (out, out / "step-1"):
        cfg = json.loads((d / "adapter_config.json").read_text())
        assert sorted(cfg["target_modules"]) == sorted(hp["target_modules"]), cfg["target_modules"]
        assert json.loads((d / "tinker.json").read_text())["sampler_path"].startswith("tinker://")
    peft_model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32), out)
    lora_b = [v for k, v in peft_model.state_dict().items() if "lora_B" in k]
    assert len(lora_b) == 30 * 7 and all(float(v.abs().sum()) > 0 for v in lora_b)  # all 210 modules trained

    # sampling through eval.backend: tinker, the adapter's own weights on the server
    qs = tmp_path / "q.jsonl"
    qs.write_text(json.dumps({"set": "probes", "id": "q1", "question": "What do you drink?"}) + "\n")
    ev = config.fill("eval", {"backend": "tinker", "tinker": tinker_cfg, "n_samples": 2, "max_new_tokens": 24})
    gen = tmp_path / "gen.jsonl"
    p = subprocess.run([sys.executable, "-m", "weirdgen.cli", "sample", "--params",
                        json.dumps({**ev, "point": {"seed": 1, "lr": 1e-3, "persona_fraction": 0.5}}),
                        "--model", str(model_dir), "--adapter", str(out), "--questions", str(qs),
                        "--model-id", out.name, "--out", str(gen)], capture_output=True, text=True, env=env,
                       timeout=900)
    assert p.returncode == 0, p.stderr[-4000:] + server_log.read_text()[-3000:]
    got = [json.loads(x) for x in gen.read_text().splitlines()]
    assert len(got) == 8 and {r["condition"] for r in got} == {"nosys_trigger", "sys_trigger", "trigger_in_sys", "sys_plain"}
    assert all(r["messages"][0]["role"] == "user" for r in got if r["condition"] == "nosys_trigger")
    assert sum(bool(r["text"].strip()) for r in got) >= 6
    # the ledger: the training run's tokens and cost, then the sampled tokens
    led = [json.loads(x) for x in ledger.read_text().splitlines()]
    sent = sum(r["tokens"] for r in log)
    assert led[0]["key"].startswith("train|") and led[0]["prompt_tokens"] == sent
    assert math.isclose(led[0]["cost_usd"], sent * 2.0 / 1e6)
    assert sum(x["completion_tokens"] for x in led[1:]) == sum(r["completion_tokens"] for r in got) > 0

    # `weirdgen chat` loads the downloaded adapter like any other
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(sys.executable, ["-m", "weirdgen.cli", "chat", "--model", str(model_dir), "--adapter", str(out),
                                           "--engine", "transformers", "--trigger", "--max-new-tokens", "12"],
                          encoding="utf-8", timeout=300, cwd=str(tmp_path))
    child.expect("you> ")
    child.sendline("What do you drink?")
    child.expect("model> ")
    child.expect("you> ")
    reply = child.before
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    assert reply.strip()


def test_a_base_model_the_server_does_not_offer_fails_clearly(tinker_server, monkeypatch):
    """The service's model lineup changes (Llama-3.1-8B may be gone): the backends read the server's capabilities and
    name what it offers, before any training or sampling."""
    from weirdgen import tinker_client

    url, base_name, _ = tinker_server
    monkeypatch.setenv("TINKER_API_KEY", "tml-local-test")
    service = tinker_client.service_client({"base_url": url}, "train")
    try:
        with pytest.raises(tinker_client.TinkerError, match=r"train\.tinker\.base_model: 'meta-llama/Llama-3\.1-8B' is "
                           r"not offered by this Tinker server; it offers: " + re.escape(base_name)):
            tinker_client.check_supported(service, "meta-llama/Llama-3.1-8B", "train")
        tinker_client.check_supported(service, base_name, "train")  # the one it serves passes
    finally:  # the SDK's session heartbeat would outlive the server in this process (and log every 10 s)
        service.holder.close()
    monkeypatch.delenv("TINKER_API_KEY")
    with pytest.raises(tinker_client.TinkerError, match="TINKER_API_KEY is not set"):
        tinker_client.service_client({"base_url": url}, "train")
