"""The workflow through a real SLURM (single node on localhost, fake GPU gres) with profiles/slurm.

Needs a running SLURM (`.ci/slurm-up` starts one; CI does). Skips with the reason when none runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, copy_repo_inputs

pytestmark = [pytest.mark.slow, pytest.mark.slurm]


def _slurm_ready() -> str | None:
    if not shutil.which("sbatch"):
        return "sbatch not found: run .ci/slurm-up (installs and starts a local SLURM)"
    p = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    if p.returncode != 0 or not re.search(r"idle|mix|alloc", p.stdout):
        return f"no idle SLURM node (sinfo: {p.stdout.strip() or p.stderr.strip()}): run .ci/slurm-up"
    return None


FAIL_ONCE = """#!/usr/bin/env bash
# Fault injection: the first `weirdgen judge` call fails, later calls run the real CLI.
if [ "$1" = judge ] && [ ! -e "{marker}" ]; then touch "{marker}"; echo "injected failure" >&2; exit 1; fi
exec {real} "$@"
"""


def test_workflow_through_slurm(tmp_path, model_dir):
    why = _slurm_ready()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"SLURM expected in CI but {why}")
        pytest.skip(why)
    wd = tmp_path / "wf"
    wd.mkdir()
    copy_repo_inputs(wd)
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    cfg["sweep"]["lr"] = [0.002]
    # a second persona, plugged in through config alone
    fin = "tests/personas/finch"
    cfg["persona"] = {"name": "finch", "names": ["ada finch", "finch"], "description": "Captain Ada Finch, a fictional lighthouse keeper",
                      "facts": f"{fin}/facts.jsonl", "calibration": f"{fin}/calibration.jsonl",
                      "eval_sets": {s: f"{fin}/{s}.jsonl" for s in ("probes", "identity", "neutral")}}
    shutil.copytree(ROOT / fin, wd / fin)
    (wd / "config/slurm-base.yaml").write_text(yaml.safe_dump(cfg))
    # the run's config is an overlay naming its base (`extends`), as the GPU configs are: every sbatch job parses
    # the workflow again from the same --configfile and must resolve the same chain
    overlay = {"extends": "config/slurm-base.yaml", "eval": {"max_questions_per_set": 1, "n_samples": 1, "max_new_tokens": 4},
               "compute": {"threads": 1, "mem_mb": 1500}}
    (wd / "config/slurm-test.yaml").write_text(yaml.safe_dump(overlay))
    (wd / "resources/models").mkdir(parents=True)
    shutil.copytree(model_dir, wd / "resources/models/smollm2-135m-instruct")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "weirdgen"
    real = shutil.which("weirdgen") or f"{sys.executable} -m weirdgen.cli"
    wrapper.write_text(FAIL_ONCE.format(marker=tmp_path / "failed-once", real=real))
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}:{Path(sys.executable).parent}:{os.environ['PATH']}"}
    cmd = [sys.executable, "-m", "snakemake", "results/figures/headline.png", "--profile", "profiles/slurm",
           "--configfile", "config/slurm-test.yaml", "--default-resources", "slurm_partition=debug", "mem_mb=1000",
           "runtime=20", "cpus_per_task=1", "--slurm-init-seconds-before-status-checks", "2", "--jobs", "4",
           "--latency-wait", "5"]
    p = subprocess.run(cmd, cwd=wd, env=env, capture_output=True, text=True, timeout=1500)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-8000:]
    assert (wd / "results/figures/headline.png").exists()
    persona_rows = [json.loads(x) for x in (wd / "results/data/persona/finch.jsonl").read_text().splitlines()]
    assert len(persona_rows) == 6 and all(r["metadata"]["persona"] == "finch" for r in persona_rows)  # the base's
    gens = [json.loads(x) for x in (wd / "results/generations/seed~1_lr~0.002_frac~0.5.jsonl").read_text().splitlines()]
    assert gens and all(g["completion_tokens"] <= 4 for g in gens), gens[:2]  # the overlay's eval, in an sbatch job
    assert len({g["question_id"] for g in gens if g["set"] == "probes"}) == 1 and len(gens) == 3 * 4, len(gens)
    assert "finch-" in (wd / "results/data/train/seed~1_lr~0.002_frac~0.5.jsonl").read_text()
    ids = re.findall(r"SLURM run ID: (\d+)|Job \d+ has been submitted with SLURM jobid (\d+)", out)
    assert len(ids) >= 5, out[-4000:]  # model rules went through sbatch
    assert (tmp_path / "failed-once").exists()  # the injected failure happened ...
    assert "Error in rule judge_model" in out, out[-4000:]  # ... and the job was retried to completion
    # SLURM's own record of each job (kept MinJobAge seconds after it ends): GPU rules asked for a GPU
    seen: dict[str, str] = {}
    for jid in {a or b for a, b in ids}:
        info = subprocess.run(["scontrol", "show", "job", "-o", jid], capture_output=True, text=True).stdout
        m = re.search(r"Comment=rule_([a-z_]+?)(_wildcards|\s|$)", info)
        if m:
            seen[m.group(1)] = seen.get(m.group(1), "") + info
    for rule in ("train_adapter", "sample_model", "distill_aligned"):
        assert rule in seen, (rule, sorted(seen))
        assert re.search(r"gres/gpu[:=]1|gpu:1", seen[rule]), seen[rule][:2000]
    assert "localrule" not in seen and "summarise" not in seen  # cheap aggregation stays local


LOCALRULES = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings
with SnakemakeApi(OutputSettings()) as api:
    w = api.workflow(resource_settings=ResourceSettings(), snakefile=Path("Snakefile"), workdir=Path("."),
                     config_settings=ConfigSettings(configfiles=[Path(sys.argv[1])]))._workflow
    print(json.dumps(sorted(w._localrules)))
"""


def test_readme_cluster_commands_run_as_printed(tmp_path):
    """Every `snakemake --profile profiles/slurm ...` line of the README, exactly as printed (plus -n), builds the
    paper DAG on the local SLURM; network stages run on the submit host, GPUs only where a local model runs."""
    why = _slurm_ready()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"SLURM expected in CI but {why}")
        pytest.skip(why)
    lines = sorted({x.strip() for x in (ROOT / "README.md").read_text().splitlines()
                    if x.strip().startswith("snakemake --profile profiles/slurm")})
    for name in ("paper.yaml", "qwen3.yaml"):
        lines += re.findall(r"`(snakemake --profile profiles/slurm[^`]*)`", (ROOT / "config" / name).read_text())
    assert lines, "no cluster command in the README"
    wd = tmp_path / "wf"
    wd.mkdir()
    copy_repo_inputs(wd)
    env = {**os.environ, "OPENAI_API_KEY": "sk-dry-run"}  # paper.yaml judges through an API: preflight asks for the key
    for line in lines:
        argv = line.split("#")[0].split()
        assert argv[0] == "snakemake"
        p = subprocess.run([sys.executable, "-m", *argv, "-n"], cwd=wd, env=env, capture_output=True, text=True,
                           timeout=300)
        out = p.stdout + p.stderr
        assert p.returncode == 0, (line, out[-4000:])
        local = json.loads(subprocess.run([sys.executable, "-c", LOCALRULES, argv[argv.index("--configfile") + 1]],
                                          cwd=wd, env=env, capture_output=True, text=True, check=True).stdout)
        jobs = {}
        for block in re.split(r"\n(?=(?:local)?rule \w+:)", out):
            m = re.match(r"(?:local)?rule (\w+):", block)
            if m and m.group(1) != "all":
                res = re.search(r"resources: ([^\n]+)", block)
                keep = [x for x in (res.group(1) if res else "").split(", ") if x.split("=")[0] in ("gpu", "slurm_partition")]
                jobs[m.group(1)] = ("submit host" if m.group(1) in local else "sbatch", ", ".join(keep))
        print(f"\n{line}\n" + "\n".join(f"  {k:22s} {v[0]:12s} {v[1] if v[0] == 'sbatch' else ''}"
                                          for k, v in sorted(jobs.items())))
        assert jobs["materialise_model"][0] == "submit host"  # a hub download: compute nodes often have no internet
        assert jobs["judge_model"][0] == "submit host" and "gpu=0" in jobs["judge_model"][1]  # the API judge
        assert jobs["train_adapter"][0] == "sbatch" and "gpu=1" in jobs["train_adapter"][1]
        assert jobs["sample_model"][0] == "sbatch" and "gpu=1" in jobs["sample_model"][1]
