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


def _check_writable(key, path):
    """Preflight: fail before any job when a run directory cannot be written (not after the GPU hours)."""
    p = Path(path).absolute()
    q = p
    while not q.exists() and q != q.parent:
        q = q.parent
    problem = None
    if not q.is_dir():
        problem = f"{q} is not a directory"
    else:
        try:
            import tempfile

            tempfile.TemporaryFile(dir=q).close()
        except OSError as e:
            problem = f"{q} is not writable ({e.strerror})"
    if problem:
        raise WorkflowError(f"paths.{key}: '{path}' cannot be written: {problem}. Fix the permissions or set paths.{key}.")


for _key in ("results", "resources", "logs"):
    _check_writable(_key, config["paths"][_key])
PKG = Path(workflow.basedir) / "src" / "weirdgen"
# rules call the `weirdgen` CLI; where PATH lacks it (venv not activated), jobs find the one installed
# beside the Python running Snakemake. Appended, so PATH order still wins; shell commands stay stable.
if not shutil.which("weirdgen") and (Path(sys.executable).parent / "weirdgen").exists():
    os.environ["PATH"] = f"{os.environ.get('PATH', '')}:{Path(sys.executable).parent}"

_sweep = config["sweep"]
_axes = [("seed", _sweep["seed"]), ("lr", _sweep["lr"]), ("frac", _sweep["persona_fraction"])]
if _sweep.get("epochs"):
    _axes.append(("ep", _sweep["epochs"]))
paramspace = Paramspace(
    pd.DataFrame(list(itertools.product(*(v for _, v in _axes))), columns=[k for k, _ in _axes]),
    filename_params="*",
    param_sep="~",
)
POINTS = list(paramspace.instance_patterns)
CKPT_STEPS = sorted(config["train"]["checkpoint_steps"])
CKPT_IDS = [f"{p}_step~{n}" for p in POINTS for n in CKPT_STEPS]  # intermediate adapters (emergence curve)
MODEL_IDS = ["base", *POINTS]


wildcard_constraints:
    point=r"seed~[^/_]+_lr~[^/_]+_frac~[^/_]+(_ep~[^/_]+)?",
    model_id=r"base|seed~[^/_]+_lr~[^/_]+_frac~[^/_]+(_ep~[^/_]+)?(_step~\d+)?",


def point_of(model_id):
    """{'seed', 'lr', 'persona_fraction'} (+ 'epochs', 'step' where the id has them) of a model id;
    None values for the base model."""
    if model_id == "base":
        return {"seed": None, "lr": None, "persona_fraction": None}
    kv = dict(part.split("~", 1) for part in model_id.split("_"))
    out = {"seed": int(kv["seed"]), "lr": float(kv["lr"]), "persona_fraction": float(kv["frac"])}
    if "ep" in kv:
        out["epochs"] = float(kv["ep"])
    if "step" in kv:
        out["step"] = int(kv["step"])
    return out


def point_id(model_id):
    """The sweep point of a model id (a checkpoint id without its `_step~N`)."""
    return model_id.split("_step~")[0]


def adapter_dir(model_id):
    """Where a model id's adapter lives: adapters/<point>/ or adapters/<point>/step-<N>/."""
    pt = point_of(model_id)
    return f"{R}/adapters/{point_id(model_id)}" + (f"/step-{pt['step']}" if "step" in pt else "")


def train_hp(point):
    """train config for one point; a swept epochs value replaces train.epochs."""
    pt = point_of(point)
    return {**config["train"], **({"epochs": pt["epochs"]} if "epochs" in pt else {})}


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


GEN_KEYS = ("backend", "api", "vllm", "batch_size", "engine", "merge_adapter")


def gen_params(stage):
    """A stage's generation backend settings, with the model's dtype/device; an API backend also gets the
    judge's ledger and spending cap, so every paid request of a run counts against one budget."""
    g = {k: config[stage][k] for k in GEN_KEYS}
    if g["backend"] == "api":
        g["budget"] = {k: config["judge"]["api"][k] for k in ("ledger", "budget_usd")}
    return {**g, **model_params()}


def headline_figure():
    return f"{R}/figures/headline.png"


def all_figures():
    """Every figure of a run: headline, format, meta, leakage gaps, identity breakdown, loss curves
    (+ the emergence curve when train.checkpoint_steps is set)."""
    names = ["headline", "format", "meta", "gaps", "identity", "loss"] + (["emergence"] if CKPT_STEPS else [])
    return [f"{R}/figures/{name}.png" for name in names]
