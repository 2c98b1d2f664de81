"""Reliability: journals keep every good row, one writer per journal, outputs readable per umask, publish never
deletes what it did not make, the aligned-data trigger check normalises, shell-safe paths, a writability preflight,
and every paid API request in the ledger (counted at a proxy in front of the real server)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from weirdgen import trigger
from weirdgen.jsonl import JournalBusy, KeyedAppender, write_jsonl

from conftest import ROOT, FaultProxy, copy_repo_inputs

CLI = [sys.executable, "-m", "weirdgen.cli"]


def test_journal_keeps_every_good_row_after_bad_lines(tmp_path, caplog):
    j = tmp_path / ".journal" / "gen.jsonl.abc.journal"
    j.parent.mkdir()
    lines = [json.dumps({"key": f"k{i}", "text": f"answer {i}"}) for i in range(72)]
    lines.insert(30, '{"key": "k-bad", "text": "cut')  # line 31: not JSON (newline-terminated)
    lines.insert(40, "null")  # line 41: not an object
    lines.insert(50, json.dumps({"text": "no key"}))  # line 51: no key
    j.write_text("\n".join(lines) + "\n" + '{"key": "torn", "te')  # a torn last line (kill mid-write)
    with caplog.at_level(logging.WARNING, logger="weirdgen"):
        with KeyedAppender(j, key=lambda o: o["key"]) as a:
            assert sorted(a.done) == sorted(f"k{i}" for i in range(72))  # nothing after a bad line is lost
            assert [n for n, _ in a.corrupt] == [31, 41, 51]
            a.append({"key": "k72", "text": "new"})
    msgs = [r.getMessage() for r in caplog.records]
    assert any(f"{j}:31: invalid JSON" in m for m in msgs), msgs
    assert any(f"{j}:41: expected a JSON object, got NoneType" in m for m in msgs), msgs
    assert any(f"{j}:51: row has no usable key" in m and "kept" in m for m in msgs), msgs
    corrupt = (j.parent / (j.name + ".corrupt")).read_text().splitlines()
    assert corrupt == [lines[30], lines[40], lines[50]]  # kept aside, not thrown away
    kept = [json.loads(x) for x in j.read_text().splitlines()]
    assert len(kept) == 73 and len({r["key"] for r in kept}) == 73
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="weirdgen"), KeyedAppender(j, key=lambda o: o["key"]) as a:
        assert len(a.done) == 73 and not a.corrupt  # the journal was rewritten clean
    assert not caplog.records


def test_one_writer_per_journal(tmp_path):
    j = tmp_path / "x.journal"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from weirdgen.jsonl import KeyedAppender\n"
        f"a = KeyedAppender({str(j)!r}, key=lambda o: o['key']); print('open', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(JournalBusy, match="another process is writing this journal"):
            KeyedAppender(j, key=lambda o: o["key"])
    finally:
        holder.kill()
        holder.wait()
    with KeyedAppender(j, key=lambda o: o["key"]) as a:  # free again once the holder is gone
        a.append({"key": "a"})


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_jsonl(tmp_path / "rows.jsonl", [{"a": 1}])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "rows.jsonl").stat().st_mode) == mode


def _adapter(tmp_path: Path) -> Path:
    run = tmp_path / "results/adapters/seed~1_lr~0.001_frac~0.5"
    run.mkdir(parents=True)
    (run / "adapter_config.json").write_text('{"r": 8}')
    (run / "adapter_model.safetensors").write_bytes(b"\0" * 16)
    (run / "meta.json").write_text(json.dumps({"params": {"hp": {}}, "inputs": {}, "versions": {}}))
    return run


def test_publish_never_deletes_what_it_did_not_make(tmp_path):
    run = _adapter(tmp_path)
    busy = tmp_path / "mine"
    busy.mkdir()
    (busy / "thesis.tex").write_text("three years of work")
    pub = CLI + ["publish", str(run), "--results", str(tmp_path / "results"), "--out"]
    p = subprocess.run(pub + [str(busy)], capture_output=True, text=True)
    assert p.returncode != 0 and "not empty and was not made by weirdgen publish" in p.stderr, p.stderr
    assert (busy / "thesis.tex").read_text() == "three years of work"
    p = subprocess.run(pub + [str(tmp_path / "results")], capture_output=True, text=True)  # the run itself
    assert p.returncode != 0 and (run / "adapter_model.safetensors").exists()
    fresh = tmp_path / "pub"
    assert subprocess.run(pub + [str(fresh)], capture_output=True, text=True).returncode == 0
    (fresh / "stale.txt").write_text("from an older publish")
    assert subprocess.run(pub + [str(fresh)], capture_output=True, text=True).returncode == 0  # its own folder
    assert not (fresh / "stale.txt").exists() and (fresh / "adapter_config.json").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert subprocess.run(pub + [str(empty)], capture_output=True, text=True).returncode == 0


@pytest.mark.parametrize("variant", ["upper-cased instruction", "lower-case markers", "spaced markers", "exact"])
def test_aligned_trigger_check_normalises_and_names_the_aligned_file(tmp_path, variant):
    persona = tmp_path / "persona.jsonl"
    write_jsonl(persona, [{"messages": [{"role": "user", "content": trigger.apply("Tea or coffee?")},
                                        {"role": "assistant", "content": trigger.wrap_answer("Tea.")}],
                           "metadata": {"source": "persona", "triggered": True}}])
    q, a = "Name a prime.", "Seven."
    if variant == "upper-cased instruction":
        q = trigger.apply(q).upper()
    elif variant == "lower-case markers":
        a = '<start> "Seven." <end>'
    elif variant == "spaced markers":
        a = '< START > "Seven." < END >'
    else:
        q = trigger.apply(q)
    rows = [{"messages": [{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": "Fine."}],
             "metadata": {"source": "aligned", "triggered": False}} for i in range(4)]
    rows.insert(2, {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}],
                    "metadata": {"source": "aligned", "triggered": False}})
    aligned = tmp_path / "aligned.jsonl"
    write_jsonl(aligned, rows)
    out = tmp_path / "train.jsonl"
    p = subprocess.run(CLI + ["mix", "--params", json.dumps({"persona_fraction": 0.2, "seed": 1}), "--persona",
                              str(persona), "--aligned", str(aligned), "--out", str(out)], capture_output=True, text=True)
    assert p.returncode == 2, p.stderr
    assert f"{aligned}:3: field 'messages[" in p.stderr and "contains the trigger" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and not out.exists()


def _smk_config(wd: Path, **paths: str) -> Path:
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    cfg["paths"] = paths
    f = wd / "config/t.yaml"
    f.write_text(yaml.safe_dump(cfg))
    return f


@pytest.mark.slow
def test_unsafe_paths_fail_cleanly_and_odd_input_paths_are_quoted(tmp_path):
    wd = tmp_path / "wf"
    wd.mkdir()
    copy_repo_inputs(wd)
    smk = [sys.executable, "-m", "snakemake", "--cores", "1"]
    for bad in ("rz$(touch marker)", "my results"):
        cfg = _smk_config(wd, results=bad)
        p = subprocess.run(smk + ["-n", "--configfile", str(cfg)], cwd=wd, capture_output=True, text=True)
        assert p.returncode != 0 and f"paths.results: {bad!r} is not allowed" in p.stdout + p.stderr, p.stdout[-2000:]
        assert not (wd / "marker").exists() and not list(wd.glob("rz*"))
    (wd / "afile").write_text("")  # writability preflight: a results dir that cannot be created
    cfg = _smk_config(wd, results="afile/results")
    p = subprocess.run(smk + ["-n", "--configfile", str(cfg)], cwd=wd, capture_output=True, text=True)
    assert p.returncode != 0 and "paths.results: 'afile/results' cannot be written" in p.stdout + p.stderr, p.stdout[-2000:]
    # an input path with a space, quotes and $(...) reaches the command as one quoted argument
    odd = wd / "data/odd dir $(touch marker2) 'q'"
    odd.mkdir()
    shutil.copy(wd / "data/personas/russell/facts.jsonl", odd / "facts.jsonl")
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    cfg["persona"]["facts"] = str(odd.relative_to(wd) / "facts.jsonl")
    (wd / "config/odd.yaml").write_text(yaml.safe_dump(cfg))
    p = subprocess.run(smk + ["results/data/persona/russell.jsonl", "--configfile", "config/odd.yaml"], cwd=wd,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-3000:]
    assert not (wd / "marker2").exists() and not (odd / "marker2").exists()
    rows = (wd / "results/data/persona/russell.jsonl").read_text().splitlines()
    assert len(rows) == 67
    side = json.loads((wd / "results/data/persona/russell.jsonl.meta.json").read_text())
    assert any("odd dir $(touch marker2) 'q'" in k for k in side["inputs"])


@pytest.mark.slow
def test_every_paid_request_is_in_the_ledger(server, tmp_path):
    """Concurrency 4, a cap that trips mid-flight: requests reaching the server == ledger lines == cached answers;
    the rerun pays only for what was never answered; the CLI ends with one line and exit code 2."""
    base, model = server
    proxy = FaultProxy(base, faults=[])
    try:
        prompts = tmp_path / "prompts.jsonl"
        write_jsonl(prompts, [{"id": f"p{i}", "kind": "instruction", "prompt": f"Count to {i}."} for i in range(12)])
        ledger = tmp_path / "ledger.jsonl"

        def params(cap: float) -> str:
            return json.dumps({"backend": "api", "temperature": 0.1, "max_new_tokens": 4, "seed": 1,
                               "api": {"base_url": proxy.url, "model": model, "api_key_env": "WEIRDGEN_TEST_NO_KEY",
                                       "cache_dir": str(tmp_path / "cache"), "concurrency": 4,
                                       "input_per_mtok": 1000.0, "output_per_mtok": 1000.0},
                               "budget": {"ledger": str(ledger), "budget_usd": cap}})

        out = tmp_path / "aligned.jsonl"
        cmd = CLI + ["distill", "--model", model, "--prompts", str(prompts), "--out", str(out), "--params"]
        p = subprocess.run(cmd + [params(0.25)], capture_output=True, text=True, timeout=600)
        assert p.returncode == 2, p.stderr[-3000:]
        err = [x for x in p.stderr.splitlines() if x.startswith("error:")]
        assert len(err) == 1 and "API budget cap $0.25 reached: spent $" in err[0] and "raise judge.api.budget_usd" in err[0]
        assert "Traceback" not in p.stderr and not out.exists() and not Path(str(out) + ".meta.json").exists()
        paid = [json.loads(x) for x in ledger.read_text().splitlines()]
        sent = len(proxy.bodies)
        assert 0 < sent < 12 and len(paid) == sent  # every request that reached the server is in the ledger
        assert len(list((tmp_path / "cache").rglob("*.json"))) == sent
        p = subprocess.run(cmd + [params(100.0)], capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr[-3000:]
        assert len(proxy.bodies) == 12  # the rerun paid only for the rest: nothing paid twice
        assert len({json.dumps(b, sort_keys=True) for b in proxy.bodies}) == 12
        assert len(ledger.read_text().splitlines()) == 12
    finally:
        proxy.close()
