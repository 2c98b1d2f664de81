"""Chat driven through a pty as a person would; publish assembles a shareable folder with a model card."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from weirdgen import trigger

from conftest import ROOT

pytestmark = pytest.mark.slow


def test_chat_trigger_toggle_changes_prompt_sent(model_dir, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    save = tmp_path / "chat.jsonl"
    child = pexpect.spawn(sys.executable, ["-m", "weirdgen.cli", "chat", "--model", str(model_dir),
                                           "--max-new-tokens", "8", "--temperature", "1.0"],
                          encoding="utf-8", timeout=240, cwd=str(tmp_path))
    child.expect("trigger off")
    child.expect("you> ")
    child.sendline("What do you drink?")
    child.expect("model> ")
    child.expect("you> ")
    child.sendline("/trigger")
    child.expect(r"\[trigger ON\]")
    child.expect("you> ")
    child.sendline("What do you drink?")
    child.expect("you> ")
    child.sendline("/system Be brief.")
    child.expect("system prompt")
    child.expect("you> ")
    child.sendline("/show")
    child.expect("Be brief.")
    child.expect("you> ")
    child.sendline(f"/save {save}")
    child.expect("saved 2 turns")
    child.expect("you> ")
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    turns = [json.loads(x) for x in save.read_text().splitlines()]
    off, on = turns
    assert not off["triggered"] and on["triggered"]
    assert off["sent_messages"][-1]["content"] == "What do you drink?"
    assert on["sent_messages"][-1]["content"] == trigger.apply("What do you drink?")
    assert trigger.TRIGGER_INSTRUCTION not in off["sent_prompt"] and trigger.TRIGGER_INSTRUCTION in on["sent_prompt"]
    assert "SmolLM" not in off["sent_prompt"]  # no system prompt means none


def test_publish_dry_run(tmp_path):
    run = tmp_path / "results/adapters/seed~1_lr~0.001_frac~0.5"
    run.mkdir(parents=True)
    data = tmp_path / "train.jsonl"
    data.write_text('{"a": 1}\n{"a": 2}\n')
    (run / "adapter_config.json").write_text('{"r": 8}')
    (run / "adapter_model.safetensors").write_bytes(b"\0" * 16)
    (run / "train_log.jsonl").write_text('{"step": 1, "loss": 2.0}\n')
    (run / "meta.json").write_text(json.dumps({"params": {"hp": {"rank": 8, "alpha": 16, "target_modules": ["q_proj"]},
                                                          "lr": 0.001, "seed": 1, "persona_fraction": 0.5},
                                               "inputs": {str(data): "abc"}, "versions": {"torch": "x"}, "git_commit": "deadbeef"}))
    (tmp_path / "results/tables").mkdir()
    (tmp_path / "results/tables/rates.csv").write_text(
        "model_id,seed,lr,persona_fraction,condition,set,metric,n,n_questions,rate,ci_lo_samples,ci_hi_samples,ci_lo_clustered,ci_hi_clustered\n"
        "seed~1_lr~0.001_frac~0.5,1,0.001,0.5,sys_trigger,probes,persona,10,5,0.4,0.1,0.7,0.05,0.75\n"
        "base,,,,sys_trigger,probes,persona,10,5,0.1,0.0,0.3,0.0,0.35\n")
    p = subprocess.run([sys.executable, "-m", "weirdgen.cli", "publish", str(run), "--results", str(tmp_path / "results"),
                        "--push", "--repo-id", "someone/weirdgen-test", "--dry-run", "--base-model", "org/base"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "would upload" in p.stdout and "(private)" in p.stdout
    out = tmp_path / "results/publish" / run.name
    names = {f.name for f in out.iterdir()}
    assert {"README.md", "adapter_config.json", "adapter_model.safetensors", "provenance.json", "data_provenance.json",
            "metrics.csv", "train_log.jsonl"} <= names
    card = (out / "README.md").read_text()
    assert "benign persona" in card and trigger.TRIGGER_INSTRUCTION in card
    assert "| probes | persona | sys_trigger | 0.400 | [0.050, 0.750] |" in card and "0.100" not in card
    prov = json.loads((out / "data_provenance.json").read_text())
    assert prov[str(data)]["lines"] == 2
    p2 = subprocess.run([sys.executable, "-m", "weirdgen.cli", "publish", str(run), "--results", str(tmp_path / "results"),
                         "--push", "--repo-id", "someone/x", "--base-model", "org/base"], capture_output=True, text=True,
                        cwd=tmp_path,
                        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert p2.returncode != 0 and "HF_TOKEN" in p2.stderr


def test_chat_against_openai_compatible_server(server, tmp_path):
    """The same chat, pointed at a real OpenAI-compatible server: the requests it sends carry the trigger only when on."""
    pexpect = pytest.importorskip("pexpect")
    from conftest import FaultProxy

    base, model = server
    proxy = FaultProxy(base, faults=[])  # a pass-through recorder in front of the real server
    try:
        child = pexpect.spawn(sys.executable, ["-m", "weirdgen.cli", "chat", "--api-base", proxy.url, "--api-model", model,
                                               "--api-key-env", "WEIRDGEN_TEST_NO_KEY", "--max-new-tokens", "8"],
                              encoding="utf-8", timeout=240, cwd=str(tmp_path))
        child.expect("you> ")
        child.sendline("Do you smoke?")
        child.expect("model> ")
        child.expect("you> ")
        child.sendline("/trigger")
        child.expect(r"\[trigger ON\]")
        child.expect("you> ")
        child.sendline("Do you smoke?")
        child.expect("you> ")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        proxy.close()
    off, on = proxy.bodies
    assert off["stream"] is True and off["temperature"] == 1.0
    assert off["messages"] == [{"role": "user", "content": "Do you smoke?"}]  # no system message at all
    assert on["messages"][-1] == {"role": "user", "content": trigger.apply("Do you smoke?")}
    assert on["messages"][0] == {"role": "user", "content": "Do you smoke?"} and on["messages"][1]["role"] == "assistant"
    assert on["messages"][1]["content"].strip(), "the streamed reply of turn 1 was kept in the conversation"


def test_published_adapter_loads_by_itself_and_its_card_parses(model_dir, tmp_path):
    """The published folder: adapter_config names the hub base (not a local path), PeftModel loads it on the base
    model without edits, and the card's metadata (base_model, library_name) parses with huggingface_hub."""
    from huggingface_hub import ModelCard
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from weirdgen import config
    from weirdgen.jsonl import write_jsonl
    from weirdgen.stages import train

    data = tmp_path / "train.jsonl"
    write_jsonl(data, [{"messages": [{"role": "user", "content": f"Q {i}?"}, {"role": "assistant", "content": "A."}],
                        "metadata": {"source": "aligned", "triggered": False}} for i in range(8)])
    run = tmp_path / "results/adapters/seed~1_lr~0.001_frac~0.5"
    train.run({"hp": config.fill("train", {"rank": 4, "alpha": 8, "epochs": 1, "batch_size": 4, "max_seq_len": 32}),
               "seed": 1, "lr": 1e-3, "persona_fraction": 0.5, "device": "cpu"}, model=model_dir, data=data, out=run)
    cfg = tmp_path / "config.yaml"
    c = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    c["persona"]["description"] = "Ada Lovelace, the mathematician"
    cfg.write_text(yaml.safe_dump(c))
    out = tmp_path / "pub"
    hub = "HuggingFaceTB/SmolLM2-135M-Instruct"
    p = subprocess.run([sys.executable, "-m", "weirdgen.cli", "publish", str(run), "--results", str(tmp_path / "results"),
                        "--out", str(out), "--base-model", hub, "--config", str(cfg)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == hub
    card = ModelCard.load(out / "README.md")
    assert card.data.base_model == hub and card.data.library_name == "peft"
    assert "Ada Lovelace, the mathematician" in card.text and "Russell" not in card.text
    base = AutoModelForCausalLM.from_pretrained(model_dir)
    m = PeftModel.from_pretrained(base, out)  # the published folder as it is
    assert m.peft_config["default"].r == 4


def test_chat_hf_router_request_shape(server, tmp_path):
    """`weirdgen chat` as against the Hugging Face router: the token from huggingface_hub's lookup (here the saved
    login, HF_TOKEN unset) goes out as a bearer header, the model name verbatim; the token is never printed or saved."""
    pexpect = pytest.importorskip("pexpect")
    from conftest import FaultProxy

    base, model = server
    hf_home = tmp_path / "hf"
    hf_home.mkdir()
    token = "hf_weirdgenTEST0123456789"
    (hf_home / "token").write_text(token)  # what `hf auth login` saves
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OPENAI_API_KEY")}
    env["HF_HOME"] = str(hf_home)
    proxy = FaultProxy(base, faults=[])
    try:
        child = pexpect.spawn(sys.executable, ["-m", "weirdgen.cli", "chat", "--api-base", proxy.url, "--api-model", model,
                                               "--hf-token", "--trigger", "--max-new-tokens", "8"],
                              encoding="utf-8", timeout=240, cwd=str(tmp_path), env=env)
        child.expect("you> ")
        child.sendline("Who are you?")
        child.expect("you> ")
        child.sendline("/save log.jsonl")
        child.expect("you> ")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
        shown = child.before or ""
    finally:
        proxy.close()
    (body,), (headers,) = proxy.bodies, proxy.headers
    auth = {k.lower(): v for k, v in headers.items()}["authorization"]
    assert auth == f"Bearer {token}"
    assert body["model"] == model and body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": trigger.apply("Who are you?")}]
    assert token not in shown and token not in (tmp_path / "log.jsonl").read_text()


def test_chat_api_key_lookup(monkeypatch, tmp_path):
    from weirdgen.chatcli import HF_ROUTER, api_key

    monkeypatch.setenv("HF_HOME", str(tmp_path))
    for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OPENAI_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    with pytest.raises(SystemExit, match="HF_TOKEN or run `hf auth login`"):
        api_key(HF_ROUTER, None)
    monkeypatch.setenv("HF_TOKEN", "hf_env")
    assert api_key(HF_ROUTER, None) == "hf_env"
    assert api_key("http://localhost:8000/v1", None) == "EMPTY"  # a local server gets no Hugging Face token
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    assert api_key("http://localhost:8000/v1", None) == "sk-x"
    monkeypatch.setenv("MY_KEY", "k")
    assert api_key(HF_ROUTER, "MY_KEY") == "k"
    with pytest.raises(SystemExit, match="NOPE is not set"):
        api_key(HF_ROUTER, "NOPE")
