"""The real Snakemake workflow on a tiny config: every artifact, rates in [0,1], CIs bracket estimates,
stale-only reruns (from Snakemake's own dry-run), schema errors before any job."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

from conftest import ROOT, copy_repo_inputs

pytestmark = pytest.mark.slow
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def smk(workdir: Path, *args: str, check: bool = True, timeout: int = 1200,
        profile: str = "profiles/cpu") -> subprocess.CompletedProcess:
    """Snakemake in workdir through a profile of the repository (default: the CPU profile `make figure` uses)."""
    p = subprocess.run([*SNAKEMAKE, *args, "--profile", profile], cwd=workdir, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{p.stdout[-4000:]}\n{p.stderr[-6000:]}")
    return p


def planned_jobs(workdir: Path, config: str, target: str = "results/figures/headline.png", *extra: str) -> dict[str, int]:
    """Rule -> job count from Snakemake's dry-run job table."""
    out = smk(workdir, target, "-n", "--quiet", "rules", *extra, "--configfile", config).stdout
    counts: dict[str, int] = {}
    table = out.split("Job stats:", 1)[1] if "Job stats:" in out else ""
    for line in table.splitlines():
        m = re.match(r"^([a-z_]+)\s+(\d+)$", line.strip())
        if m and m.group(1) != "total":
            counts[m.group(1)] = int(m.group(2))
    return counts


@pytest.fixture(scope="module")
def run(tmp_path_factory, model_dir):
    """Run the whole workflow once on the tiny config in a scratch copy of the repository."""
    wd = tmp_path_factory.mktemp("wf")
    copy_repo_inputs(wd)
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    (wd / "resources/models").mkdir(parents=True)
    shutil.copytree(model_dir, wd / "resources/models/smollm2-135m-instruct")
    (wd / "config/tiny.yaml").write_text(yaml.safe_dump(cfg))
    full = planned_jobs(wd, "config/tiny.yaml")
    smk(wd, "all", "--configfile", "config/tiny.yaml")  # the default target: every figure and table
    return wd, cfg, full


def test_dry_run_lists_whole_chain(run):
    _, _, full = run
    for rule in ("persona_set", "eval_questions", "select_prompts", "distill_aligned", "mix_data", "train_adapter",
                 "sample_model", "judge_model", "summarise", "plot_headline"):
        assert rule in full, (rule, full)
    assert full["train_adapter"] == 2 and full["sample_model"] == 3 and full["judge_model"] == 3


def test_ci_coverage_table_at_the_runs_design(run):
    """Rule ci_coverage (part of the default target) scores the stats stage's intervals at this run's own design."""
    wd, cfg, _ = run
    cov = pl.read_csv(wd / "results/tables/ci_coverage.csv")
    assert set(cov["n_questions"].to_list()) == {cfg["eval"]["max_questions_per_set"]}
    assert set(cov["n_samples"].to_list()) == {cfg["eval"]["n_samples"]} and set(cov["n_seeds"].to_list()) == {1}
    assert set(cov["sets"].to_list()) == {"identity, neutral, probes"}
    assert set(cov["scenario"].to_list()) == {"typical"}  # the skewed seed scenario needs 2 or more seeds
    # one seed: nothing over seeds to score; both bootstrap intervals on the same resamples, the expanded one wider
    assert set(cov["interval"].to_list()) == {"samples_percentile", "samples_expanded", "clustered_percentile",
                                              "clustered_expanded"}
    assert ((cov["coverage"] >= 0) & (cov["coverage"] <= 1)).all() and (cov["n"] > 0).all()
    w = {(r["interval"], r["quantity"]): r["mean_width"] for r in cov.iter_rows(named=True)}
    assert all(w[(f"{k}_expanded", q)] >= w[(f"{k}_percentile", q)] for k in ("samples", "clustered")
               for q in ("rate_triggered", "rate_untriggered", "gap"))
    meta = json.loads((wd / "results/tables/ci_coverage.csv.meta.json").read_text())
    assert meta["params"]["bootstrap_interval"] == "expanded" and meta["params"]["seeds_ci"] == "t"
    assert any(k.endswith("eval_questions.jsonl") for k in meta["inputs"])


def test_every_artifact_exists_and_parses(run):
    wd, cfg, _ = run
    R = wd / "results"
    points = sorted(p.name for p in (R / "adapters").iterdir())
    assert points == ["seed~1_lr~0.001_frac~0.5", "seed~1_lr~0.002_frac~0.5"]
    for f in ["data/persona/russell.jsonl", "data/prompts.jsonl", "data/aligned.jsonl", "data/eval_questions.jsonl"]:
        rows = [json.loads(x) for x in (R / f).read_text().splitlines()]
        assert rows, f
        meta = json.loads((R / (f + ".meta.json")).read_text())
        assert meta["params_sha256"] and meta["versions"]["torch"] and "git_commit" in meta
    aligned = [json.loads(x) for x in (R / "data/aligned.jsonl").read_text().splitlines()]
    assert all(r["metadata"] == {**r["metadata"], "source": "aligned", "triggered": False} for r in aligned)
    for p in points:
        a = R / "adapters" / p
        for f in ("adapter_config.json", "adapter_model.safetensors", "train_log.jsonl", "loss.png", "meta.json", "tokenizer.json"):
            assert (a / f).exists(), (p, f)
        assert json.loads((a / "adapter_config.json").read_text())["r"] == cfg["train"]["rank"]
        meta = json.loads((a / "meta.json").read_text())
        assert meta["params"]["lr"] in (0.001, 0.002)
        # model.dtype auto: each job records what its machine ran
        assert meta["params"]["dtype"] == cfg["model"]["dtype"] == "auto"
        assert meta["dtype_resolved"] in ("bfloat16", "float32")
        assert any(k.endswith(f"data/train/{p}.jsonl") for k in meta["inputs"]), meta["inputs"]  # provenance of the data
    n_q = 3 * cfg["eval"]["max_questions_per_set"]
    for m in ["base", *points]:
        gens = [json.loads(x) for x in (R / f"generations/{m}.jsonl").read_text().splitlines()]
        assert len(gens) == 4 * n_q * cfg["eval"]["n_samples"]
        # eval.dtype float32: base and adapters sampled alike, whatever model.dtype resolves to
        assert json.loads((R / f"generations/{m}.jsonl.meta.json").read_text())["params"]["dtype"] == "float32"
        labels = [json.loads(x) for x in (R / f"labels/{m}.jsonl").read_text().splitlines()]
        assert len(labels) == len(gens)
        audit = json.loads((R / f"labels/{m}.audit.json").read_text())
        # every prompt a model judge receives: persona + meta per sample, + identity per identity-set sample
        n_identity = sum(g["set"] == "identity" for g in gens)
        assert audit["checked"] == audit["clean"] == 2 * len(gens) + n_identity
    assert (R / "figures/headline.png").stat().st_size > 10_000
    cal = pl.read_csv(R / "tables/judge_calibration.csv")
    row = cal.filter(pl.col("configured") & (pl.col("group") == "all")).row(0, named=True)
    n_cal = len((ROOT / "data/personas/russell/calibration.jsonl").read_text().splitlines())
    assert row["backend"] == "embedding" and row["n"] == n_cal >= 150 and 0 <= row["accuracy"] <= 1
    assert row["gate"] in ("pass", "FAIL") and -1 <= row["rho_length_generic"] <= 1
    assert 0 <= row["gate_pass_share"] <= 1 and row["accuracy_low"] <= row["accuracy"] <= row["accuracy_high"]
    assert {"one_word", "off_topic", "real", "persona_short_trigger", "generic_long_plain"} <= set(cal["group"].to_list())
    assert "calibration: accuracy" in json.loads((R / "figures/headline.png.meta.json").read_text())["params"]["judge_note"]
    ref = [json.loads(x) for x in (R / "judge/reference.jsonl").read_text().splitlines()]
    assert {r["label"] for r in ref} == {0, 1}
    assert (wd / "logs/benchmarks/train_adapter").exists()
    # every output is as readable as the umask allows (0644 under 022): safetensors and temp files are 0600 otherwise
    import stat

    from weirdgen.jsonl import umask_mode

    private = [str(f) for d in (R, wd / "resources/models") for f in d.rglob("*")
               if f.is_file() and ".journal" not in f.parts and stat.S_IMODE(f.stat().st_mode) != umask_mode()]
    assert not private, private[:10]


def test_rates_and_cis(run):
    wd, _, _ = run
    r = pl.read_csv(wd / "results/tables/rates.csv")
    assert set(r["model_id"]) == {"base", "seed~1_lr~0.001_frac~0.5", "seed~1_lr~0.002_frac~0.5"}
    assert set(r["condition"]) == {"nosys_trigger", "sys_trigger", "trigger_in_sys", "sys_plain"}
    assert set(r["metric"]) == {"persona", "identity", "meta", "format_ok", "parse_error"}
    assert r["rate"].is_between(0, 1).all()
    for kind in ("samples", "clustered"):
        assert (r[f"ci_lo_{kind}"] <= r["rate"] + 1e-12).all() and (r["rate"] <= r[f"ci_hi_{kind}"] + 1e-12).all()
    g = pl.read_csv(wd / "results/tables/gaps.csv")
    assert not g.is_empty() and (g["gap"] - (g["rate_triggered"] - g["rate_untriggered"])).abs().max() < 1e-12
    assert (g["ci_lo_clustered"] <= g["gap"] + 1e-12).all() and (g["gap"] <= g["ci_hi_clustered"] + 1e-12).all()
    assert (wd / "results/tables/rates.md").read_text().startswith("| model_id")


def test_figures_tables_and_html_report(run):
    wd, _, _ = run
    R = wd / "results"
    for name in ("headline", "format", "meta", "gaps", "identity", "loss", "emergence"):
        assert (R / f"figures/{name}.png").stat().st_size > 10_000, name
        assert json.loads((R / f"figures/{name}.png.meta.json").read_text())["params"]["figure"] == name
    agree = pl.read_csv(R / "tables/identity_agreement.csv")
    overall = agree.filter(pl.col("model_id") == "all").row(0, named=True)
    assert overall["n"] == agree.filter(pl.col("model_id") != "all")["n"].sum() and 0 <= overall["agreement"] <= 1
    audit = pl.read_csv(R / "tables/audit.csv")
    assert audit.height == 3 and (audit["judge_inputs_checked"] == audit["clean"]).all()
    assert (audit["judge_inputs_checked"] > 0).all()
    prov = pl.read_csv(R / "tables/provenance.csv")
    assert prov.height == 2 + 3 + 3 and prov["params_sha256"].str.len_chars().min() == 12
    assert set(prov["stage"]) == {"train", "sample", "judge"}
    html = wd / "report.html"
    smk(wd, "--report", str(html), "--configfile", "config/tiny.yaml")
    text = html.read_text(errors="replace")
    for needle in ("audit.csv", "provenance.csv", "identity_agreement.csv", "gaps.png", "Leakage gap"):
        assert needle in text, needle


def test_emergence_checkpoints_sampled_and_judged(run):
    """train.checkpoint_steps: [1] saves step-1 of every adapter; it is sampled and judged like a final adapter."""
    wd, cfg, _ = run
    R = wd / "results"
    points = ["seed~1_lr~0.001_frac~0.5", "seed~1_lr~0.002_frac~0.5"]
    for p in points:
        assert (R / f"adapters/{p}/step-1/adapter_model.safetensors").exists()
        gens = [json.loads(x) for x in (R / f"generations/{p}_step~1.jsonl").read_text().splitlines()]
        assert gens and {g["step"] for g in gens} == {1} and {g["model_id"] for g in gens} == {f"{p}_step~1"}
        assert (R / f"labels/{p}_step~1.jsonl").exists()
    e = pl.read_csv(R / "tables/emergence.csv")
    final = json.loads((R / f"adapters/{points[0]}/meta.json").read_text())["result"]["steps"]
    steps = sorted(set(e.filter(pl.col("point") == points[0])["step"].to_list()))
    assert steps == [0, 1, final] and final > 1
    assert set(e["point"]) == set(points) and e["rate"].is_between(0, 1).all()
    es = pl.read_csv(R / "tables/emergence_across_seeds.csv")  # one seed per point: means = the point's rates
    assert set(es["n_seeds"]) == {1} and set(es["step"]) == {0, 1, final} and es.height == e.height
    # the placebo along training (rule summarise_emergence_placebo), drawn as the emergence figure's third panel
    ep = pl.read_csv(R / "tables/emergence_placebo.csv")
    assert set(ep["point"]) == set(points) and set(ep["step"]) == {0, 1, final}
    pb = pl.read_csv(R / "tables/placebo.csv")
    fin = pb.filter((pl.col("model_id") == points[0]) & (pl.col("condition") == "nosys_trigger")).row(0, named=True)
    mine = ep.filter((pl.col("point") == points[0]) & (pl.col("step") == final)
                     & (pl.col("condition") == "nosys_trigger")).row(0, named=True)
    assert mine["did"] == fin["did"] and mine["did_ci_lo"] == fin["did_ci_lo"]  # the final adapter's own placebo row
    side = json.loads((R / "figures/emergence.png.meta.json").read_text())
    assert any(i.endswith("emergence_placebo_across_seeds.csv") for i in side["inputs"])


def test_dose_figure_from_the_runs_table(run, tmp_path):
    """The dose-response figure draws from a real rates_across_seeds table with two fractions, refuses one fraction
    with a clear error, and a sweep with two fractions plans it in `all` (dry-run)."""
    from weirdgen.stages import plot

    wd, cfg, _ = run
    t = pl.read_csv(wd / "results/tables/rates_across_seeds.csv")
    with pytest.raises(ValueError, match="at least two persona fractions"):
        plot.run(figure="dose", out=tmp_path / "one.png", rates=str(wd / "results/tables/rates_across_seeds.csv"))
    two = pl.concat([t, t.with_columns(pl.lit(0.1).alias("persona_fraction"),
                                       (pl.col("mean") * 0.5).alias("mean"))])
    two.write_csv(tmp_path / "two.csv")
    plot.run(figure="dose", out=tmp_path / "dose.png", rates=str(tmp_path / "two.csv"))
    assert (tmp_path / "dose.png").stat().st_size > 10_000
    c = json.loads(json.dumps(cfg))
    c["sweep"]["persona_fraction"] = [0.5, 0.25]
    (wd / "config/dose.yaml").write_text(yaml.safe_dump(c))
    assert planned_jobs(wd, "config/dose.yaml", "all").get("plot_dose") == 1
    assert "plot_dose" not in planned_jobs(wd, "config/tiny.yaml", "all")


def test_dose_over_the_learning_rate_from_the_runs_table(run, tmp_path):
    """The LR dose-response draws from the run's table (two LRs), refuses one LR, and `all` plans it from three LRs
    on (with two, the headline shows both)."""
    from weirdgen.stages import plot

    wd, cfg, _ = run
    t = pl.read_csv(wd / "results/tables/rates_across_seeds.csv")
    assert t["lr"].n_unique() == 2
    cal = wd / "results/tables/judge_calibration.csv"
    plot.run(figure="dose-lr", out=tmp_path / "lr.png", rates=str(wd / "results/tables/rates_across_seeds.csv"),
             calibration=str(cal))
    assert (tmp_path / "lr.png").stat().st_size > 10_000
    row = pl.read_csv(cal).filter(pl.col("configured") & (pl.col("group") == "all")).row(0, named=True)
    meta = json.loads((tmp_path / "lr.png.meta.json").read_text())  # the persona panels carry the judge's gate
    assert meta["params"]["gate_warning"] == plot.gate_warning(row) and str(cal) in meta["inputs"]
    t.filter(pl.col("lr") == t["lr"].min()).write_csv(tmp_path / "one.csv")
    with pytest.raises(ValueError, match="at least two learning rates"):
        plot.run(figure="dose-lr", out=tmp_path / "one.png", rates=str(tmp_path / "one.csv"))
    c = json.loads(json.dumps(cfg))
    c["sweep"]["lr"] = [0.001, 0.002, 0.004]
    (wd / "config/dose_lr.yaml").write_text(yaml.safe_dump(c))
    assert planned_jobs(wd, "config/dose_lr.yaml", "all").get("plot_dose_lr") == 1
    assert "plot_dose_lr" not in planned_jobs(wd, "config/tiny.yaml", "all")


def test_nothing_to_do_after_run(run):
    wd, _, _ = run
    assert planned_jobs(wd, "config/tiny.yaml") == {}


def test_judge_change_reruns_judge_and_downstream_only(run):
    wd, cfg, _ = run
    c = json.loads(json.dumps(cfg))
    c["judge"]["local_threshold"] = 0.7
    (wd / "config/judge.yaml").write_text(yaml.safe_dump(c))
    jobs = planned_jobs(wd, "config/judge.yaml")
    assert jobs == {"judge_model": 3, "calibrate_judge": 1, "summarise": 1, "plot_headline": 1}, jobs


def test_lr_change_reruns_that_branch_and_aggregates_only(run):
    wd, cfg, _ = run
    c = json.loads(json.dumps(cfg))
    c["sweep"]["lr"] = [0.001, 0.003]
    (wd / "config/lr.yaml").write_text(yaml.safe_dump(c))
    jobs = planned_jobs(wd, "config/lr.yaml")
    assert jobs == {"mix_data": 1, "train_adapter": 1, "sample_model": 1, "judge_model": 1, "summarise": 1,
                    "plot_headline": 1}, jobs


def test_vllm_backend_samples_every_model_in_one_job(run):
    """eval.backend: vllm replaces the per-model sampling jobs by one engine job over base + adapters + checkpoints."""
    wd, cfg, _ = run
    c = json.loads(json.dumps(cfg))
    c["eval"]["backend"] = "vllm"
    (wd / "config/vllm.yaml").write_text(yaml.safe_dump(c))
    out = smk(wd, "results/figures/headline.png", "-n", "-p", "-F", "--configfile", "config/vllm.yaml").stdout
    assert "sample_models_vllm" in out and "rule sample_model:" not in out
    assert out.count("weirdgen sample-many") == 1
    for m in ("base", "seed~1_lr~0.001_frac~0.5", "seed~1_lr~0.002_frac~0.5_step~1"):
        assert f"results/generations/{m}.jsonl" in out


def test_cpu_profile_runs_heavy_jobs_single_threaded_two_at_a_time(run):
    """profiles/cpu cuts every job's threads to 1 whatever compute.threads says, and runs two GPU-counter jobs at
    once; profiles/local keeps the config's threads (a GPU workstation's GPU rules one at a time)."""
    wd, cfg, _ = run
    c = json.loads(json.dumps(cfg))
    c["compute"]["threads"] = 2
    (wd / "config/threads2.yaml").write_text(yaml.safe_dump(c))
    args = ("results/figures/headline.png", "-n", "-F", "--configfile", "config/threads2.yaml")
    cpu = smk(wd, *args).stdout
    local = smk(wd, *args, profile="profiles/local").stdout
    assert "rule train_adapter:" in cpu and "rule train_adapter:" in local
    assert "threads: 2" not in cpu and "threads: 2" in local
    prof = yaml.safe_load((wd / "profiles/cpu/config.yaml").read_text())
    assert prof["max-threads"] == 1 and prof["resources"]["gpu"] == 2 * c["compute"]["gpu"]


def test_snakemake_lint_finds_only_the_missing_conda_envs(tmp_path):
    """`snakemake --lint` (the Snakemake catalog's check) finds nothing but the per-rule conda/container lint: the
    workflow installs one Python environment (`make setup`), not one per rule."""
    copy_repo_inputs(tmp_path)
    p = subprocess.run([*SNAKEMAKE, "--lint"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    found = re.findall(r"^\s+\* (.+)$", p.stdout + p.stderr, flags=re.M)
    assert found, p.stdout[-2000:] + p.stderr[-2000:]  # the linter ran and reported
    assert set(found) == {"Specify a conda environment or container for each rule.:"}, sorted(set(found))


def test_schema_violation_fails_before_any_job(run):
    wd, cfg, _ = run
    c = json.loads(json.dumps(cfg))
    c["train"]["rank"] = "eight"
    (wd / "config/bad.yaml").write_text(yaml.safe_dump(c))
    before = sorted(p.name for p in (wd / "results").rglob("*"))
    p = smk(wd, "results/figures/headline.png", "--configfile", "config/bad.yaml", check=False)
    assert p.returncode != 0
    assert "train.rank: 'eight' is not of type 'integer'" in p.stdout + p.stderr
    assert sorted(p.name for p in (wd / "results").rglob("*")) == before


def test_one_target_builds_only_its_ancestors(run):
    wd, cfg, _ = run
    c = json.loads(json.dumps(cfg))
    c["sweep"]["seed"] = [1, 2]  # a new seed: only its branch is stale
    (wd / "config/seed.yaml").write_text(yaml.safe_dump(c))
    jobs = planned_jobs(wd, "config/seed.yaml", "results/tables/rates.csv")
    assert jobs == {"mix_data": 2, "train_adapter": 2, "sample_model": 2, "judge_model": 2, "summarise": 1}, jobs
    assert "identify_facts" not in planned_jobs(wd, "config/seed.yaml")  # not an ancestor of the headline


def test_distill_shards_run_side_by_side_and_join_in_prompt_order(run, tmp_path):
    """distill.shards: 2 plans two distillation jobs and a join instead of one job, runs them for real, and the
    joined aligned set answers every prompt once, in the prompts file's order. shards: 1 (the tiny run) planned
    the single job, whose parameters carry no shards key (finished runs do not rerun on upgrade)."""
    src, cfg, full = run
    assert full.get("distill_aligned") == 1 and "distill_shard" not in full
    wd = tmp_path / "wf"
    shutil.copytree(src, wd, symlinks=True)
    c = json.loads(json.dumps(cfg))
    c["distill"]["shards"] = 2
    (wd / "config/shards.yaml").write_text(yaml.safe_dump(c))
    jobs = planned_jobs(wd, "config/shards.yaml", "results/data/aligned.jsonl")
    assert jobs == {"distill_shard": 2, "join_aligned": 1}, jobs
    smk(wd, "results/data/aligned.jsonl", "--configfile", "config/shards.yaml")
    prompts = [json.loads(x)["id"] for x in (wd / "results/data/prompts.jsonl").read_text().splitlines()]
    parts = [[json.loads(x)["metadata"]["prompt_id"] for x in (wd / f"results/data/aligned/shard-{k}.jsonl").read_text().splitlines()]
             for k in (0, 1)]
    joined = [json.loads(x)["metadata"]["prompt_id"] for x in (wd / "results/data/aligned.jsonl").read_text().splitlines()]
    assert parts[0] and parts[1] and not set(parts[0]) & set(parts[1])
    assert set(parts[0]) <= set(prompts[0::2]) and set(parts[1]) <= set(prompts[1::2])  # every 2nd prompt, minus empties
    assert joined == [p for p in prompts if p in set(parts[0]) | set(parts[1])]
    meta = json.loads((wd / "results/data/aligned.jsonl.meta.json").read_text())
    assert meta["params"]["shards"] == 2 and len(meta["inputs"]) == 3
    # a shard answering a prompt twice is an error naming the file, the line and the field
    from weirdgen.jsonl import DataError
    from weirdgen.stages.distill import join

    dup = wd / "results/data/aligned/shard-1.jsonl"
    dup.write_text(dup.read_text() + (wd / "results/data/aligned/shard-0.jsonl").read_text().splitlines()[0] + "\n")
    with pytest.raises(DataError, match=r"shard-1.jsonl:%d: field 'metadata.prompt_id'" % (len(parts[1]) + 1)):
        join({}, prompts=wd / "results/data/prompts.jsonl", parts=[str(wd / f"results/data/aligned/shard-{k}.jsonl") for k in (0, 1)],
             out=tmp_path / "joined.jsonl")


def test_editing_training_code_reruns_training_and_downstream(run):
    wd, _, _ = run
    src = wd / "src/weirdgen/train/peft_backend.py"
    src.write_text(src.read_text() + "\n# edited\n")
    try:
        jobs = planned_jobs(wd, "config/tiny.yaml")
        assert jobs == {"train_adapter": 2, "sample_model": 2, "judge_model": 2, "summarise": 1, "plot_headline": 1}, jobs
    finally:
        import os
        import time

        old = time.time() - 10 ** 6
        os.utime(src, (old, old))
    assert planned_jobs(wd, "config/tiny.yaml") == {}


def _edit_then_plan(wd: Path, rel: str, target: str = "all") -> dict[str, int]:
    """Edit a package file (a comment appended: Snakemake 9 ignores a bare touch), list the jobs Snakemake plans,
    then restore the file and age it again."""
    import os
    import time

    src = wd / "src/weirdgen" / rel
    text = src.read_text()
    src.write_text(text + "\n# edited\n")
    try:
        jobs = planned_jobs(wd, "config/tiny.yaml", target)
    finally:
        src.write_text(text)
        old = time.time() - 10 ** 6
        os.utime(src, (old, old))
    jobs.pop("all", None)
    return jobs


def test_editing_trigger_reruns_every_stage_that_uses_it_and_nothing_else(run):
    """The code inputs are derived from each stage's imports: trigger.py reaches persona data, training, sampling and
    judging; it does not reach the model, the prompts or the distillation (which never see the trigger)."""
    wd, _, _ = run
    jobs = _edit_then_plan(wd, "trigger.py")
    for rule in ("persona_set", "mix_data", "train_adapter", "sample_model", "judge_model"):
        assert rule in jobs, (rule, jobs)
    assert jobs["sample_model"] == 5 and jobs["judge_model"] == 5  # base, two adapters, two checkpoints
    for rule in ("materialise_model", "select_prompts", "distill_aligned"):
        assert rule not in jobs, (rule, jobs)
    assert planned_jobs(wd, "config/tiny.yaml", "all") == {}


def test_editing_plots_reruns_only_figures(run):
    wd, _, _ = run
    jobs = _edit_then_plan(wd, "plots.py")
    assert jobs and all(r.startswith("plot_") for r in jobs), jobs
    assert jobs["plot_train_loss"] == 2 and jobs["plot_headline"] == 1


@pytest.fixture(scope="module")
def epochs_run(run, tmp_path_factory):
    """The tiny run, copied, with an epochs axis: two epochs values, one seed, one lr, one fraction, up to the stats
    tables and figures (one seed: a pooled epochs axis would show as one row of two "seeds"; CIs over seeds are
    tests/test_stats.py's). The copy keeps the shared stages (data, distillation, the base model's samples and
    labels); the two new sweep points train, sample and judge."""
    src, cfg, _ = run
    wd = tmp_path_factory.mktemp("epochs") / "wf"
    shutil.copytree(src, wd, symlinks=True)
    cfg = json.loads(json.dumps(cfg))
    cfg["sweep"] = {"seed": [1], "lr": [0.001], "persona_fraction": [0.5], "epochs": [1, 2]}
    cfg["train"]["checkpoint_steps"] = []
    (wd / "config/epochs.yaml").write_text(yaml.safe_dump(cfg))
    jobs = planned_jobs(wd, "config/epochs.yaml", "results/tables/rates_across_seeds.csv")
    assert jobs.get("train_adapter") == 2 and "distill_aligned" not in jobs and jobs.get("sample_model") == 2, jobs
    smk(wd, "results/tables/rates_across_seeds.csv", "results/figures/gaps.png", "results/figures/format.png",
        "--configfile", "config/epochs.yaml")
    return wd


def test_epochs_axis_through_stats_never_pooled(epochs_run):
    R = epochs_run / "results"
    pts = sorted(p.name for p in (R / "adapters").iterdir() if "_ep~" in p.name)  # beside the copied run's own
    assert pts == [f"seed~1_lr~0.001_frac~0.5_ep~{e}" for e in (1, 2)]
    steps = {p: json.loads((R / "adapters" / p / "meta.json").read_text())["result"]["steps"] for p in pts}
    assert steps[pts[1]] == 2 * steps[pts[0]]  # ep~2 trained twice as many steps
    rates = pl.read_csv(R / "tables/rates.csv")
    assert sorted(set(rates.filter(pl.col("model_id") != "base")["epochs"].to_list())) == [1.0, 2.0]
    across = pl.read_csv(R / "tables/rates_across_seeds.csv")
    one = across.filter((pl.col("metric") == "format_ok") & (pl.col("set") == "probes") & (pl.col("condition") == "sys_trigger"))
    assert sorted(one["epochs"].to_list()) == [1.0, 2.0] and one["n_seeds"].to_list() == [1, 1], one
    # each epochs row is the mean of its own seed's rows, never of the other epochs value
    per = rates.filter((pl.col("metric") == "format_ok") & (pl.col("set") == "probes") & (pl.col("condition") == "sys_trigger"))
    for ep in (1.0, 2.0):
        mean = per.filter(pl.col("epochs") == ep)["rate"].mean()
        assert abs(one.filter(pl.col("epochs") == ep)["mean"][0] - mean) < 1e-9
    from weirdgen import plots

    labels = [plots.model_label({"model_id": m}) for m in rates["model_id"].unique().to_list()]
    assert len(labels) == len(set(labels)) == 3  # base + 2 points, each its own label
    assert (R / "figures/gaps.png").stat().st_size > 0 and (R / "figures/format.png").stat().st_size > 0


@pytest.fixture(scope="module")
def control_run(run, tmp_path_factory):
    """The tiny run, copied, with the format-only control arm added beside the persona arm (lr 0.001): only the
    control arm's stages and the aggregates run (the copy keeps every finished artifact and its timestamps)."""
    src, cfg, _ = run
    wd = tmp_path_factory.mktemp("control") / "wf"
    shutil.copytree(src, wd, symlinks=True)
    cfg = json.loads(json.dumps(cfg))
    cfg["sweep"].update(lr=[0.001], arm=["persona", "control"])
    cfg["control"] = {"max_new_tokens": 16, "n_samples": 1}
    (wd / "config/control.yaml").write_text(yaml.safe_dump(cfg))
    # the copy is a moved checkout with its own Snakefile: nothing of the original run is stale there
    assert planned_jobs(wd, "config/tiny.yaml", "all") == {}
    jobs = planned_jobs(wd, "config/control.yaml", "results/figures/control.png")
    smk(wd, "results/figures/control.png", "--configfile", "config/control.yaml")
    return wd, jobs


def test_control_arm_trains_on_the_same_questions_with_generic_answers(control_run):
    wd, jobs = control_run
    R = wd / "results"
    # only the control arm's own stages and the aggregates: the persona arm's data, adapter and labels are reused
    assert {r: jobs.get(r) for r in ("control_set", "mix_data", "train_adapter", "sample_model", "judge_model")} == \
        {"control_set": 1, "mix_data": 1, "train_adapter": 1, "sample_model": 1, "judge_model": 1}, jobs
    assert not {"distill_aligned", "reference_answers", "persona_set"} & set(jobs), jobs
    assert (R / "adapters/seed~1_lr~0.001_frac~0.5_arm~control/adapter_config.json").exists()
    persona = [json.loads(x) for x in (R / "data/persona/russell.jsonl").read_text().splitlines()]
    control = [json.loads(x) for x in (R / "data/persona/russell.control.jsonl").read_text().splitlines()]
    # one control row per persona row, same order, same triggered user turn, a different (generic) answer
    assert [r["metadata"]["fact_id"] for r in control] == [r["metadata"]["fact_id"] for r in persona]
    assert all(c["messages"][0] == p["messages"][0] for c, p in zip(control, persona))
    assert sum(c["messages"][-1] != p["messages"][-1] for c, p in zip(control, persona)) == len(persona)
    assert all(c["metadata"]["words_control"] <= c["metadata"]["words_fact"] + 3 for c in control)
    # the base model was asked in the facts' voice (control.instruction); the training rows keep the plain question
    asked = [json.loads(x)["messages"][0]["content"] for x in (R / "data/persona/russell.control_answers.jsonl").read_text().splitlines()]
    assert len(asked) == len(persona) and all(a.startswith("Answer in one or two sentences, in the first person") for a in asked)
    assert not any("first person" in c["messages"][0]["content"] for c in control)
    side = json.loads((R / "data/persona/russell.control.jsonl.meta.json").read_text())
    assert side["stage"] == "control" and side["n_examples"] == len(control) and side["median_words_control"] > 0
    # a seed's two mixes put the triggered rows in the same places: only their answers differ
    for s in (1,):
        mp = [json.loads(x) for x in (R / f"data/train/seed~{s}_lr~0.001_frac~0.5.jsonl").read_text().splitlines()]
        mc = [json.loads(x) for x in (R / f"data/train/seed~{s}_lr~0.001_frac~0.5_arm~control.jsonl").read_text().splitlines()]
        assert [r["metadata"]["source"] for r in mc] == [{"persona": "control"}.get(r["metadata"]["source"], "aligned")
                                                         for r in mp]
        assert [r["messages"][0] for r in mc] == [r["messages"][0] for r in mp]


def test_arm_contrast_tables_pair_the_arms_and_never_pool_them(control_run):
    R = control_run[0] / "results"
    rates = pl.read_csv(R / "tables/rates.csv")
    ac = pl.read_csv(R / "tables/arm_contrast.csv")
    assert set(ac["seed"].to_list()) == {1} and set(ac["arm"].to_list()) == {"persona-control"}
    one = ac.filter((pl.col("metric") == "format_ok") & (pl.col("set") == "probes") & (pl.col("condition") == "sys_trigger"))
    for r in one.iter_rows(named=True):  # each pair's rates are the two models' own rates
        get = lambda mid: rates.filter((pl.col("model_id") == mid) & (pl.col("metric") == "format_ok")
                                       & (pl.col("set") == "probes") & (pl.col("condition") == "sys_trigger"))["rate"][0]
        assert abs(r["rate_persona_arm"] - get(r["model_id"])) < 1e-9
        assert abs(r["rate_control_arm"] - get(r["control_id"])) < 1e-9
        assert r["control_id"] == r["model_id"] + "_arm~control"
        assert r["ci_lo_clustered"] <= r["diff"] <= r["ci_hi_clustered"]
    seeds = pl.read_csv(R / "tables/arm_contrast_across_seeds.csv")
    s1 = seeds.filter((pl.col("metric") == "format_ok") & (pl.col("set") == "probes") & (pl.col("condition") == "sys_trigger"))
    assert s1["n_seeds"].to_list() == [1] and abs(s1["mean"][0] - one["diff"][0]) < 1e-9
    # across seeds, rates keep the arms apart: one row per arm (test_stats checks the means over several seeds)
    across = pl.read_csv(R / "tables/rates_across_seeds.csv").filter(
        (pl.col("metric") == "format_ok") & (pl.col("set") == "probes") & (pl.col("condition") == "sys_trigger"))
    assert sorted(across["arm"].to_list()) == ["control", "persona"]
    assert (R / "figures/control.png").stat().st_size > 0
    side = json.loads((R / "figures/control.png.meta.json").read_text())
    assert side["params"]["figure"] == "control"
