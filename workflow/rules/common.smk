import itertools
import json
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
from snakemake.utils import Paramspace

from weirdgen.config import ConfigError, validate as validate_config

try:
    _validated = validate_config(config, source="snakemake config (config/*.yaml + --config)")
except ConfigError as e:
    raise WorkflowError(str(e))
config.clear()
config.update(_validated)

R = config["paths"]["results"]
RES = config["paths"]["resources"]
LOGS = config["paths"]["logs"]
MODEL_DIR = f"{RES}/models/{config['model']['name']}"
PKG = Path(workflow.basedir) / "src" / "weirdgen"
# rules call the `weirdgen` CLI; where PATH lacks it (venv not activated), jobs find the one installed
# beside the Python running Snakemake. Appended, so PATH order still wins; shell commands stay stable.
if not shutil.which("weirdgen") and (Path(sys.executable).parent / "weirdgen").exists():
    os.environ["PATH"] = f"{os.environ.get('PATH', '')}:{Path(sys.executable).parent}"

_sweep = config["sweep"]
paramspace = Paramspace(
    pd.DataFrame(
        list(itertools.product(_sweep["seed"], _sweep["lr"], _sweep["persona_fraction"])),
        columns=["seed", "lr", "frac"],
    ),
    filename_params="*",
    param_sep="~",
)
POINTS = list(paramspace.instance_patterns)
MODEL_IDS = ["base", *POINTS]


wildcard_constraints:
    point="seed~[^/]+",
    model_id="base|seed~[^/]+",


def point_of(model_id):
    """{'seed', 'lr', 'persona_fraction'} of a sweep point id (None values for the base model)."""
    if model_id == "base":
        return {"seed": None, "lr": None, "persona_fraction": None}
    kv = dict(part.split("~", 1) for part in model_id.split("_"))
    return {"seed": int(kv["seed"]), "lr": float(kv["lr"]), "persona_fraction": float(kv["frac"])}


def as_json(obj):
    """Stage parameters for the CLI (rerun-on-params-change compares these)."""
    return json.dumps(obj, sort_keys=True)


def code(*modules):
    """Package sources a rule runs: editing them reruns the rule (mtime)."""
    files = []
    for m in modules:
        p = PKG / m
        files += sorted(str(f) for f in p.rglob("*.py")) if p.is_dir() else [str(p)]
    return files


def runtime(stage):
    return config["compute"]["runtime_min"][stage]


def model_params():
    return {k: config["model"][k] for k in ("dtype", "device")}


def headline_figure():
    return f"{R}/figures/headline.png"


def all_figures():
    """Every figure of a run: headline, format, meta, leakage gaps, identity breakdown, loss curves."""
    return [f"{R}/figures/{name}.png" for name in ("headline", "format", "meta", "gaps", "identity", "loss")]
