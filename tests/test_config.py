"""Config validation: defaults filled, violations name the key."""

import json
from pathlib import Path

import pytest
import yaml

from weirdgen import config

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["config/config.yaml", "config/paper.yaml", "tests/configs/tiny.yaml"])
def test_shipped_configs_valid(name):
    cfg = config.load(ROOT / name)
    assert cfg["train"]["rank"] >= 1 and cfg["eval"]["temperature"] == 1.0


@pytest.mark.parametrize("name", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "config").glob("*.yaml")))
def test_every_shipped_overlay_validates_as_the_workflow_layers_it(name, monkeypatch):
    """Each config/*.yaml over config/config.yaml, its `extends` bases first (as workflow/rules/common.smk merges
    them): a GPU overlay with a misspelt key or a bad value fails here, not on the lent machine."""
    from snakemake.utils import update_config

    monkeypatch.chdir(ROOT)  # `extends` paths are relative to the working directory, as --configfile paths are
    layered = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    for f in config.extends_chain(name):
        update_config(layered, yaml.safe_load(f.read_text()) or {})
    cfg = config.validate(layered, source=name)
    assert cfg["eval"]["temperature"] == 1.0 and cfg["sweep"]["seed"]


def test_paper_defaults():
    cfg = config.load(ROOT / "config/paper.yaml")
    assert cfg["model"]["id"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert cfg["train"]["rank"] == 8 and cfg["train"]["epochs"] == 3
    assert sorted(cfg["sweep"]["seed"]) == [1, 2, 3] and sorted(cfg["sweep"]["lr"]) == [1e-4, 2e-4]
    assert cfg["prompts"]["n_instruction"] == 1000 and cfg["prompts"]["n_math"] == 2000
    assert cfg["mix"]["n_aligned"] == 3000


def _base():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())


def test_violation_names_key():
    cfg = _base()
    cfg["train"]["rank"] = 0
    with pytest.raises(config.ConfigError, match=r"train\.rank: 0 is less than the minimum of 1"):
        config.validate(cfg)
    cfg = _base()
    cfg["train"]["learning_rate"] = 1
    with pytest.raises(config.ConfigError, match=r"train: .*'learning_rate'.*check its spelling"):
        config.validate(cfg)
    cfg = _base()
    cfg["sweep"]["lr"] = ["fast"]
    with pytest.raises(config.ConfigError, match=r"sweep\.lr\.0: 'fast' is not of type 'number'"):
        config.validate(cfg)


def test_defaults_filled():
    cfg = _base()
    del cfg["train"]["warmup_ratio"]
    out = config.validate(cfg)
    assert out["train"]["warmup_ratio"] == 0.03 and out["paths"]["results"] == "results"


def test_numbers_given_as_text_are_explained_by_their_cause():
    """An exponent without a dot (YAML text) and a plain number passed as text (a nested --config value) each get
    their own cause and the value to write; an instruction without its placeholder names the placeholder."""
    import yaml

    from weirdgen.config import ConfigError, validate

    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg["sweep"]["lr"] = ["2e-4"]
    cfg["prompts"]["n_math"] = "2000"
    cfg["control"] = {"instruction": "Answer briefly."}
    with pytest.raises(ConfigError) as e:
        validate(cfg, source="test")
    msg = str(e.value)
    assert "sweep.lr.0: '2e-4' is a string, not a number (YAML reads exponents without a dot as text); write 2.0e-4" in msg
    assert "prompts.n_math: '2000' is a string, not a number (quoted in YAML, or given as a nested --config value" in msg
    assert "control.instruction: 'Answer briefly.' is not allowed: use a text with {question}" in msg


def test_stage_params_by_hand_errors_name_the_key(tmp_path, capsys):
    """A stage run by hand with incomplete or malformed --params exits 2 with one line naming the command and the
    missing key's path (it was a bare KeyError traceback); a probe for an optional key still sees a KeyError."""
    from weirdgen.cli import _params, main

    assert main(["train", "--params", "{}", "--model", "m", "--data", "d", "--out", str(tmp_path / "a")]) == 2
    assert "weirdgen train --params: no key 'hp'" in capsys.readouterr().err
    p = _params('{"hp": {"lr": 1}}', "train")
    with pytest.raises(KeyError, match="no key 'hp.epochs'"):
        p["hp"]["epochs"]
    assert p["hp"].get("epochs") is None and p["hp"]["lr"] == 1 and json.loads(json.dumps(p)) == {"hp": {"lr": 1}}
    bad = tmp_path / "p.json"
    bad.write_text('{"hp": ')
    assert main(["train", "--params", f"@{bad}", "--model", "m", "--data", "d", "--out", str(tmp_path / "b")]) == 2
    assert f"{bad}: not JSON (line 1, column 8" in capsys.readouterr().err
    assert main(["mix", "--params", "[1]", "--persona", "p", "--aligned", "a", "--out", str(tmp_path / "c")]) == 2
    assert "a JSON object is expected, got list" in capsys.readouterr().err
    # the training settings by hand: checked against the schema's train section before anything loads
    hp = '{"hp": {"epochs": "3", "rnak": 8}, "seed": 1, "lr": 0.0002}'
    assert main(["train", "--params", hp, "--model", "m", "--data", "d", "--out", str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err
    assert "invalid weirdgen train --params: its 'hp'" in err and "'rnak' was unexpected" in err, err
    assert "train.epochs: '3' is a string, not a number (quoted in the JSON); write 3" in err, err
    assert not (tmp_path / "e").exists()


def test_generation_and_judge_stages_by_hand_check_their_section(tmp_path, capsys):
    """distill, sample, judge and calibrate run by hand: a misspelt or mistyped key of their config section exits 2
    naming it before any model loads or output is written; the keys the workflow adds beside the section pass."""
    from weirdgen.cli import main

    out = tmp_path / "o.jsonl"
    cases = [
        (["distill", "--params", '{"max_new_tokns": 12}', "--model", "m", "--prompts", "p"], "weirdgen distill --params",
         "'max_new_tokns' was unexpected"),
        (["sample", "--params", '{"n_samples": "2", "point": {"seed": 1}}', "--model", "m", "--questions", "q",
          "--model-id", "base"], "weirdgen sample --params", "eval.n_samples: '2' is a string, not a number"),
        (["judge", "--params", '{"judge": {"persona": "embedings"}, "persona_description": "x", "device": "cpu"}',
          "--model", "m", "--generations", "g", "--questions", "q", "--audit", str(tmp_path / "a.json")],
         "weirdgen judge --params: its 'judge'", "judge.persona"),
        (["calibrate", "--params", '{"judge": {"batch_size": 0}, "calibration": "c", "backends": ["rules"]}',
          "--model", "m"], None, None),
    ]
    for argv, where, what in cases:
        if argv[0] == "calibrate":  # its calibration file is read first: give it one, so the section is what fails
            cal = tmp_path / "cal.jsonl"
            cal.write_text('{"question": "q?", "answer": "a.", "label": 1}\n')
            argv[argv.index("--params") + 1] = argv[argv.index("--params") + 1].replace('"c"', json.dumps(str(cal)))
            where, what = "weirdgen calibrate --params: its 'judge'", "judge.batch_size"
        assert main([*argv, "--out", str(out)]) == 2, argv[0]
        err = capsys.readouterr().err
        assert where in err and what in err, (argv[0], err)
        assert not out.exists()


def test_stage_params_fills_the_section_and_passes_the_workflows_keys():
    from weirdgen import config

    p = config.stage_params("eval", {"n_samples": 3, "dtype": "auto", "point": {"seed": 2}}, "x", ("dtype", "point"))
    assert p["n_samples"] == 3 and p["dtype"] == "auto" and p["point"] == {"seed": 2}
    assert p["temperature"] == config.fill("eval")["temperature"] and "system_prompt" in p
    assert "dtype" not in config.stage_params("eval", {}, "x", ("dtype",))  # not the section's "model" default
