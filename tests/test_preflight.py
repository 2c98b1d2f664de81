"""Preflight: planted config mistakes fail in seconds, before any job, one line each naming the key, all listed at
once, no traceback (a real Snakemake on a copy of the repository)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, copy_repo_inputs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wd(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("preflight")
    copy_repo_inputs(d)
    return d


def _run(wd: Path, edit, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    text = edit(cfg)
    f = wd / "config/planted.yaml"
    f.write_text(text if isinstance(text, str) else yaml.safe_dump(cfg))
    e = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"} if env is None else env
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", *args, "--configfile", str(f)], cwd=wd,
                          capture_output=True, text=True, env=e, timeout=300)


def _lines(p: subprocess.CompletedProcess) -> list[str]:
    return [x.strip() for x in (p.stdout + p.stderr).splitlines() if x.startswith("  ")]


def test_planted_mistakes_are_listed_together_before_any_job(wd):
    def edit(c):
        c["judge"]["persona"] = "api"  # no judge.api.model, no key
        c["eval"]["backend"] = "api"
        c["eval"]["api"] = {"model": "gpt-4o-mini"}  # the provider's default endpoint, no key in the environment
        c["persona"]["facts"] = "data/personas/russell/facts-typo.jsonl"
        c["prompts"] = {"source": "local", "gsm8k_path": "data/gsm8k.jsonl"}
    p = _run(wd, edit, "-n")
    out = p.stdout + p.stderr
    assert p.returncode != 0 and "preflight: " in out and "Traceback" not in out, out[-3000:]
    lines = _lines(p)
    want = ["judge.api.model: not set (judge.persona: api needs the model's name on the server)",
            "judge.api.api_key_env: the environment variable OPENAI_API_KEY is not set",
            "eval.api.api_key_env: the environment variable OPENAI_API_KEY is not set",
            "persona.facts: no such file: data/personas/russell/facts-typo.jsonl",
            "prompts.alpaca_path: not set (prompts.source: local reads the prompts from files)",
            "prompts.gsm8k_path: no such file: data/gsm8k.jsonl"]
    for w in want:
        assert any(x.startswith(w) for x in lines), (w, lines)
    assert not (wd / "results").exists()
    # the key set: that problem disappears, the others stay
    p = _run(wd, edit, "-n", env={**os.environ, "OPENAI_API_KEY": "sk-test"})
    assert not any("api_key_env" in x for x in _lines(p)) and any("persona.facts" in x for x in _lines(p))


def test_exponent_floats_read_as_strings_get_a_hint(wd):
    p = _run(wd, lambda c: yaml.safe_dump(c).replace("lr:\n  - 0.001\n  - 0.002", "lr: [2e-4, 1e-3]"), "-n")
    out = p.stdout + p.stderr
    assert "sweep.lr.0: '2e-4' is a string, not a number" in out and "write 2.0e-4" in out, out[-2000:]


def test_gpu_only_options_on_a_cpu_machine_fail_before_any_job(wd):
    def edit(c):
        c["train"]["backend"] = "unsloth"
        c["eval"]["backend"] = "vllm"
    p = _run(wd, edit, "results/data/persona/russell.jsonl")
    out = p.stdout + p.stderr
    assert p.returncode != 0, out[-2000:]
    assert "train.backend: unsloth needs a CUDA GPU" in out and "eval.backend: vllm needs a CUDA GPU" in out, out[-3000:]
    assert not (wd / "results/data/persona/russell.jsonl").exists()  # no job ran


def test_missing_config_file_is_one_line(tmp_path):
    p = subprocess.run([sys.executable, "-m", "weirdgen.cli", "check-config", str(tmp_path / "nope.yaml")],
                       capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.strip() == f"error: {tmp_path / 'nope.yaml'}: no such config file"


def test_tinker_backends_need_their_key_and_base_model(monkeypatch):
    """train/eval.backend: tinker without TINKER_API_KEY, on a model not from the hub without tinker.base_model, and
    sampling through Tinker with a locally trained adapter: each one line naming its key."""
    from weirdgen import config, preflight

    monkeypatch.delenv("TINKER_API_KEY", raising=False)
    cfg = config.validate(yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text()))
    cfg["eval"]["backend"] = "tinker"
    found = preflight.problems(cfg, ROOT)
    assert any(x.startswith("eval.tinker.api_key_env: the environment variable TINKER_API_KEY is not set") for x in found)
    assert any(x.startswith("eval.tinker.base_model: not set") for x in found)
    assert any(x.startswith("eval.backend: tinker samples adapters trained through Tinker") for x in found)
    cfg["train"]["backend"] = "tinker"
    cfg["train"]["tinker"] = cfg["eval"]["tinker"] = {"base_model": "org/base", "api_key_env": "TINKER_API_KEY"}
    monkeypatch.setenv("TINKER_API_KEY", "tml-x")
    assert not [x for x in preflight.problems(cfg, ROOT) if "tinker" in x]


def _train_params(p: subprocess.CompletedProcess) -> list[dict]:
    import json
    import shlex

    out = []
    for line in (p.stdout + p.stderr).splitlines():
        if line.startswith("Shell command: weirdgen train --params"):
            argv = shlex.split(line.removeprefix("Shell command: ").split(" > ")[0])
            out.append(json.loads(argv[argv.index("--params") + 1])["hp"])
    return out


def test_train_settings_left_off_are_not_parameters(wd):
    """A training option at its off default is left out of the train rule's params, so adding such an option to the
    schema does not make every finished adapter's params stale; turned on, it is a parameter (and reruns training)."""
    def edit(c, on: bool):
        c["train"]["unsloth_dynamic_shapes"] = on
        c["train"]["unsloth_compile_blocks"] = on
        c["train"]["compile_norms"] = on
    off = _train_params(_run(wd, lambda c: edit(c, False), "-n", "-p"))
    on = _train_params(_run(wd, lambda c: edit(c, True), "-n", "-p"))
    assert off and on and len(off) == len(on)
    keys = ("unsloth_dynamic_shapes", "unsloth_compile_blocks", "compile_norms")
    assert all(k not in h for h in off for k in keys), off[0]
    assert all(h[k] is True for h in on for k in keys), on[0]


def test_an_overlay_extends_its_base_with_one_configfile(wd):
    """`extends: base.yaml` in an overlay: `--configfile overlay.yaml` alone gives what `--configfile base overlay`
    gives (the base beneath the overlay, both above config/config.yaml); a cycle is one line naming the files."""
    base, over, loop = wd / "config/base.yaml", wd / "config/over.yaml", wd / "config/loop.yaml"
    base.write_text((ROOT / "tests/configs/tiny.yaml").read_text())
    over.write_text("extends: config/base.yaml\ntrain:\n  rank: 4\n")

    def train_hp(*files: Path) -> list[dict]:
        p = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "-n", "-p", "--configfile",
                            *map(str, files)], cwd=wd, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, (p.stdout + p.stderr)[-2000:]
        return _train_params(p)
    one, two, alone = train_hp(over), train_hp(base, over), train_hp(base)
    assert one and one == two and len(one) == len(alone)
    assert all(h["rank"] == 4 and h["max_seq_len"] == a["max_seq_len"] != 1024 for h, a in zip(one, alone))
    loop.write_text("extends: config/loop.yaml\n")
    p = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "-n", "--configfile", str(loop)], cwd=wd,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode != 0 and "a cycle" in p.stdout + p.stderr and "Traceback" not in p.stdout + p.stderr
