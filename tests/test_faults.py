"""Fault injection (bounded, tiny): kill each stage's process at a point, tear the journal's last line and corrupt a
middle one, rerun, and count rows lost, duplicated, re-paid (requests counted at a proxy in front of the real server)
and regenerated. Final outputs must equal an uninterrupted run where the backend is deterministic (greedy or
per-request seeded sampling at batch 1; the judges at temperature 0)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from weirdgen import config
from weirdgen.jsonl import read_jsonl, write_jsonl

from conftest import FaultProxy

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "weirdgen.cli"]
TABLE: list[dict[str, Any]] = []


def _journal(out: Path) -> Path | None:
    js = sorted((out.parent / ".journal").glob(out.name + ".*.journal"))
    return js[0] if js else None


def _rows(path: Path | None) -> int:
    return len(path.read_text().splitlines()) if path and path.exists() else 0


def kill_when(cmd: list[str], ready: Callable[[], bool], sig: int, timeout: float = 300) -> bool:
    """Start a stage; send ``sig`` once ``ready()``; True if it was killed before finishing."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + timeout
    while p.poll() is None and time.time() < deadline:
        if ready():
            p.send_signal(sig)
            p.wait(timeout=120)
            return True
        time.sleep(0.02)
    p.wait(timeout=120)
    return False


def damage(journal: Path) -> int:
    """Corrupt a middle line and tear the last one (as a crash mid-write); returns good rows left."""
    lines = journal.read_text().splitlines()
    lines[1] = lines[1][: len(lines[1]) // 2]  # a cut line in the middle, newline-terminated
    journal.write_text("\n".join(lines) + "\n" + lines[-1][:10])
    return len(lines) - 1


def _key(r: dict) -> str:
    return r["key"] if "key" in r else r["metadata"]["prompt_id"]  # distilled rows carry their prompt id


def record(point: str, reference: list[dict], final: list[dict], regenerated: int, repaid: int | None,
           field: str) -> dict[str, Any]:
    ref = {_key(r): r[field] for r in reference}
    keys = [_key(r) for r in final]
    got = {_key(r): r[field] for r in final}
    row = {"point": point, "lost": len(set(ref) - set(got)), "duplicated": len(keys) - len(set(keys)),
           "re_paid": repaid, "regenerated": regenerated, "equal_to_uninterrupted": got == ref}
    TABLE.append(row)
    return row


@pytest.fixture(scope="module", autouse=True)
def _print_table():
    yield
    if TABLE:
        print("\nfault-injection table:\n" + "\n".join(json.dumps(r) for r in TABLE))
        if os.environ.get("WEIRDGEN_FAULT_TABLE"):
            Path(os.environ["WEIRDGEN_FAULT_TABLE"]).write_text(json.dumps(TABLE, indent=1))


def _prompts(tmp: Path, n: int) -> Path:
    p = tmp / "prompts.jsonl"
    write_jsonl(p, [{"id": f"p{i}", "kind": "instruction", "prompt": f"Write one word about the number {i}."}
                    for i in range(n)])
    return p


def _questions(tmp: Path) -> Path:
    q = tmp / "questions.jsonl"
    write_jsonl(q, [{"set": "probes", "id": f"q{i}", "question": t} for i, t in enumerate(
        ["What do you drink?", "Where do you live?", "Name a colour.", "What is your job?"])])
    return q


def _kill_damage_rerun(base: list[str], ref: Path, out: Path, kill_at: int, total: int, point: str, field: str) -> None:
    """Reference run; a run killed once ``kill_at`` rows are journaled; journal damaged; rerun; compare."""
    subprocess.run(base + [str(ref)], check=True, capture_output=True)
    assert kill_when(base + [str(out)], lambda: _rows(_journal(out)) >= kill_at, signal.SIGKILL)
    good = damage(_journal(out))
    subprocess.run(base + [str(out)], check=True, capture_output=True)
    row = record(point, read_jsonl(ref), read_jsonl(out), total - good, None, field)
    assert row["lost"] == row["duplicated"] == 0 and row["equal_to_uninterrupted"], row


def test_kill_distill_and_sample_transformers(model_dir, tmp_path):
    prompts = _prompts(tmp_path, 16)
    dparams = json.dumps({"temperature": 0.0, "max_new_tokens": 8, "seed": 1, "batch_size": 1, "device": "cpu"})
    ref_out, out = tmp_path / "ref/aligned.jsonl", tmp_path / "run/aligned.jsonl"
    base = CLI + ["distill", "--params", dparams, "--model", str(model_dir), "--prompts", str(prompts), "--out"]
    _kill_damage_rerun(base, ref_out, out, 5, 16, "distill, transformers, SIGKILL + torn/corrupt journal", "messages")

    q = _questions(tmp_path)
    sparams = json.dumps({"system_prompt": "You are a helpful assistant.", "n_samples": 2, "temperature": 1.0,
                          "max_new_tokens": 6, "seed": 1, "batch_size": 1, "device": "cpu", "point": None})
    ref_g, g = tmp_path / "ref/gen.jsonl", tmp_path / "run/gen.jsonl"
    base = CLI + ["sample", "--params", sparams, "--model", str(model_dir), "--questions", str(q), "--model-id", "base",
                  "--out"]
    _kill_damage_rerun(base, ref_g, g, 10, 32, "sample, transformers T=1, SIGKILL + torn/corrupt journal", "text")

    # the local judge (no journal: a killed judge stage recomputes its labels, which must equal the reference)
    jparams = json.dumps({"judge": config.fill("judge", {"persona": "local", "batch_size": 4}), "device": "cpu",
                          "persona_description": "Bertrand Russell, the British philosopher"})
    ref_l, lab = tmp_path / "ref/labels.jsonl", tmp_path / "run/labels.jsonl"
    jbase = CLI + ["judge", "--params", jparams, "--model", str(model_dir), "--generations", str(ref_g),
                   "--questions", str(q)]
    subprocess.run(jbase + ["--out", str(ref_l), "--audit", str(tmp_path / "ref/audit.json")], check=True,
                   capture_output=True)
    t0 = time.time()
    assert kill_when(jbase + ["--out", str(lab), "--audit", str(tmp_path / "run/audit.json")],
                     lambda: time.time() - t0 > 4, signal.SIGKILL)
    assert not lab.exists()
    subprocess.run(jbase + ["--out", str(lab), "--audit", str(tmp_path / "run/audit.json")], check=True,
                   capture_output=True)
    row = record("judge, local, SIGKILL mid-stage", read_jsonl(ref_l), read_jsonl(lab), 32, None, "persona_score")
    assert row["lost"] == row["duplicated"] == 0 and row["equal_to_uninterrupted"], row


def _api_params(proxy: FaultProxy, model: str, tmp: Path) -> dict[str, Any]:
    return {"base_url": proxy.url, "model": model, "api_key_env": "WEIRDGEN_TEST_NO_KEY", "cache_dir": str(tmp / "cache"),
            "concurrency": 3}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_kill_api_distill_and_judge(server, tmp_path, sig):
    base_url, model = server
    proxy = FaultProxy(base_url, faults=[])
    name = signal.Signals(sig).name
    try:
        prompts = _prompts(tmp_path, 24)
        params = json.dumps({"backend": "api", "temperature": 0.0, "max_new_tokens": 6, "seed": 1,
                             "api": _api_params(proxy, model, tmp_path),
                             "budget": {"ledger": str(tmp_path / "ledger.jsonl"), "budget_usd": None}})
        out = tmp_path / "aligned.jsonl"
        cmd = CLI + ["distill", "--params", params, "--model", model, "--prompts", str(prompts), "--out", str(out)]
        assert kill_when(cmd, lambda: _rows(_journal(out)) >= 6, sig)
        sent_before = len(proxy.bodies)
        damage(_journal(out))
        subprocess.run(cmd, check=True, capture_output=True)
        bodies = [json.dumps(b, sort_keys=True) for b in proxy.bodies]
        repaid = len(bodies) - len(set(bodies))
        final = read_jsonl(out)
        row = record(f"distill, API, {name} + torn/corrupt journal", final, final, len(bodies) - sent_before, repaid,
                     "messages")
        row["equal_to_uninterrupted"] = None  # not compared: a second server pass would be needed
        row["sent_before_kill"] = sent_before
        assert row["lost"] == row["duplicated"] == 0 and len(final) == 24 and len(set(bodies)) == 24, row
        ledger = [json.loads(x) for x in (tmp_path / "ledger.jsonl").read_text().splitlines()]
        if sig == signal.SIGTERM:  # a graceful stop finishes and records what is in flight: nothing is paid twice
            assert repaid == 0 and len(ledger) == len(bodies), row
        else:  # a SIGKILL can lose at most the requests in flight
            assert repaid <= 3, row

        # the API judge: killed mid-stage, rerun; every paid verdict is cached and never bought twice (SIGTERM)
        q = tmp_path / "q.jsonl"
        write_jsonl(q, [{"set": "probes", "id": f"q{i}", "question": f"Question {i}?"} for i in range(24)])
        gens = tmp_path / "gens.jsonl"
        write_jsonl(gens, [{"key": f"base|sys_plain|probes|q{i}|0", "model_id": "base", "condition": "sys_plain",
                            "set": "probes", "question_id": f"q{i}", "sample": 0, "triggered": False,
                            "text": f"I like the number {i}."} for i in range(24)])
        api = {**_api_params(proxy, model, tmp_path), "cache_dir": str(tmp_path / "jcache"), "mode": "text",
               "ledger": str(tmp_path / "jledger.jsonl"), "budget_usd": None}
        jparams = json.dumps({"judge": config.fill("judge", {"persona": "api", "api": api}),
                              "persona_description": "Bertrand Russell, the British philosopher"})
        n0 = len(proxy.bodies)
        lab = tmp_path / "labels.jsonl"
        jcmd = CLI + ["judge", "--params", jparams, "--model", model, "--generations", str(gens), "--questions", str(q),
                      "--out", str(lab), "--audit", str(tmp_path / "audit.json")]
        assert kill_when(jcmd, lambda: len(list((tmp_path / "jcache").rglob("*.json"))) >= 5, sig)
        n1 = len(proxy.bodies)
        assert not lab.exists()
        subprocess.run(jcmd, check=True, capture_output=True)
        jb = [json.dumps(b, sort_keys=True) for b in proxy.bodies[n0:]]
        labels = read_jsonl(lab)
        row = record(f"judge, API, {name}", labels, labels, len(proxy.bodies) - n1, len(jb) - len(set(jb)),
                     "persona_score")
        row["equal_to_uninterrupted"] = None
        row["sent_before_kill"] = n1 - n0
        assert len(set(jb)) == 24 and len(labels) == 24 and row["duplicated"] == 0, row
        if sig == signal.SIGTERM:
            assert row["re_paid"] == 0, row
        else:
            assert row["re_paid"] <= 3, row
    finally:
        proxy.close()


def test_kill_train_resumes_to_the_same_adapter(model_dir, tmp_path):
    """Training killed (SIGKILL) at several points resumes from its last saved state (train.save_state_steps) and
    ends with the adapter, losses and log of an uninterrupted run, bit for bit on CPU; no partial checkpoint is
    left looking complete."""
    rows = [{"messages": [{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"Answer {i}."}],
             "metadata": {"source": "aligned", "triggered": False}} for i in range(32)]
    data = tmp_path / "train.jsonl"
    write_jsonl(data, rows)
    hp = config.fill("train", {"rank": 4, "alpha": 8, "epochs": 2, "batch_size": 2, "grad_accum": 1, "max_seq_len": 48,
                               "dropout": 0.1, "checkpoint_steps": [6, 20], "save_state_steps": 4})
    params = json.dumps({"hp": hp, "seed": 1, "lr": 1e-3, "persona_fraction": None, "device": "cpu"})
    cmd = CLI + ["train", "--params", params, "--model", str(model_dir), "--data", str(data), "--out"]
    ref, run = tmp_path / "ref", tmp_path / "run"
    subprocess.run(cmd + [str(ref)], check=True, capture_output=True)
    killed, redone = 0, 0
    for n in (5, 13, 22):  # kill mid-epoch 1, across checkpoint 6, and in epoch 2 (32 steps in all)
        if kill_when(cmd + [str(run)], lambda n=n: _rows(run / "train_log.jsonl") >= n, signal.SIGKILL):
            killed += 1
            logged = _rows(run / "train_log.jsonl")
            saved = (logged // 4) * 4  # the last state save at or before the kill
            redone += logged - saved
        for d in run.glob("step-*"):
            if not d.name.endswith(".partial"):  # any checkpoint that looks complete is complete
                assert (d / "adapter_config.json").exists() and (d / "adapter_model.safetensors").exists(), d
    assert killed == 3
    (run / "train_log.jsonl").unlink()  # as Snakemake does with a failed job's declared outputs
    p = subprocess.run(cmd + [str(run)], check=True, capture_output=True, text=True)
    assert "resumed at step" in p.stderr
    assert not list(run.glob("*.partial")) and not (run / "resume").exists()
    same = (run / "adapter_model.safetensors").read_bytes() == (ref / "adapter_model.safetensors").read_bytes()
    ck = (run / "step-20/adapter_model.safetensors").read_bytes() == (ref / "step-20/adapter_model.safetensors").read_bytes()
    loss = [r["loss"] for r in read_jsonl(run / "train_log.jsonl")] == [r["loss"] for r in read_jsonl(ref / "train_log.jsonl")]
    TABLE.append({"point": "train, SIGKILL at steps ~5, ~13, ~22 (state every 4 steps)", "lost": 0, "duplicated": 0,
                  "re_paid": None, "regenerated": f"{redone} steps redone", "equal_to_uninterrupted": same and ck and loss})
    assert same and ck and loss
