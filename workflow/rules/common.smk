import json
import os
import shutil
import sys
from pathlib import Path

from weirdgen import codedeps, preflight, sweep
from snakemake.utils import update_config
from snakemake.common.configfile import load_configfile
from weirdgen.config import ConfigError, extends_chain, validate as validate_config

# an overlay's `extends`: Snakemake's merge again, each --configfile preceded by its bases (same order in SLURM jobs,
# which get the same --configfile list)
try:
    _chains = [extends_chain(f) for f in workflow.overwrite_configfiles]
except ConfigError as e:
    raise WorkflowError(str(e))
if any(len(c) > 1 for c in _chains):
    _layered = load_configfile("config/config.yaml")
    for _f in (f for c in _chains for f in c):
        update_config(_layered, load_configfile(_f))
    update_config(_layered, dict(workflow.config_settings.config))
    config.clear()
    config.update(_layered)
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
PKG = Path(workflow.basedir) / "src" / "weirdgen"  # the checkout's package sources (code dependencies)


_problems = preflight.problems(config)
if _problems:
    raise WorkflowError(preflight.report(_problems))


onstart:
    # GPU-only options where jobs run on this machine (on a cluster, each job's own stage says it clearly)
    if workflow.local_exec and not workflow.dryrun and (_gpu := preflight.gpu_problems(config)):
        raise WorkflowError(preflight.report(_gpu))
# rules call the `weirdgen` CLI; where PATH lacks it (venv not activated), jobs find the one installed
# beside the Python running Snakemake. Appended, so PATH order still wins; shell commands stay stable.
if not shutil.which("weirdgen") and (Path(sys.executable).parent / "weirdgen").exists():
    os.environ.update(PATH=f"{os.environ.get('PATH', '')}:{Path(sys.executable).parent}")

# One sweep-point type (weirdgen.sweep.Point) formats and parses every model id; Paramspace only formats,
# and the stages, stats and plots must parse ids too, so the grid is built from Point.
GRID = sweep.grid(config["sweep"])
POINTS = [p.id for p in GRID]
CKPT_STEPS = sorted(config["train"]["checkpoint_steps"])
CKPT_IDS = [f"{p}_step~{n}" for p in POINTS for n in CKPT_STEPS]  # intermediate adapters (emergence curve)
MODEL_IDS = ["base", *POINTS]
N_SEEDS = len({p.seed for p in GRID})


wildcard_constraints:
    point=sweep.POINT_RE,
    model_id=sweep.MODEL_ID_RE,


def point_of(model_id):
    """Stage parameters of a model id: its swept axes (and step); None seed/lr/fraction for the base model."""
    pt = sweep.Point.parse(model_id)
    if pt.is_base:
        return {"seed": None, "lr": None, "persona_fraction": None}
    # the arm is not a stage parameter (its data differ, not its settings): parameters of persona points are unchanged
    return {k: v for k, v in pt.columns().items() if v is not None and k != "arm"}


def point_id(model_id):
    """The sweep point of a model id (a checkpoint id without its `_step~N`)."""
    return sweep.Point.parse(model_id).final.id


def adapter_dir(model_id):
    """Where a model id's adapter lives: adapters/<point>/ or adapters/<point>/step-<N>/."""
    pt = sweep.Point.parse(model_id)
    final = f"{R}/adapters/{pt.final.id}"
    return final if pt.step is None else f"{final}/step-{pt.step}"


def train_hp(point):
    """train config for one point; a swept epochs value replaces train.epochs."""
    pt = point_of(point)
    hp = {**config["train"], **({"epochs": pt["epochs"]} if "epochs" in pt else {})}
    if hp["backend"] != "tinker":  # settings of an unused backend are not parameters (no rerun when they appear)
        hp.pop("tinker", None)
    if hp.get("adapter_compute") == "float32":  # the behaviour before the key existed: finished adapters stay valid
        hp.pop("adapter_compute")
    # off: the behaviour before the key existed (unsloth_compile_blocks off computes what Unsloth's compiled blocks
    # computed, in eager kernels: finished adapters stay valid)
    for key in ("compile_norms", "unsloth_dynamic_shapes", "unsloth_compile_blocks", "cuda_graphs"):
        if not hp.get(key, True):
            hp.pop(key)
    if not (hp.get("compile") or hp.get("compile_norms") or hp["backend"] in ("unsloth", "auto")):
        hp.pop("compile_cache", None)  # nothing is compiled: the folder is not a parameter of this run
    return hp


def as_json(obj):
    """Stage parameters for the CLI (rerun-on-params-change compares these)."""
    return json.dumps(obj, sort_keys=True)


def code(stage):
    """Source files a rule's stage runs (its module's import closure, with the CLI): editing one reruns
    exactly the rules whose stage imports it. Derived by weirdgen.codedeps, never listed by hand."""
    return [_relative(f) for f in codedeps.stage_files(stage, PKG if PKG.is_dir() else None)]


def _relative(path):
    """A path under the working directory as a relative one: Snakemake records a job's input paths, and absolute
    ones made a moved or copied checkout rerun every stage (its code inputs had "changed")."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:  # an installed package, outside the working directory: its absolute path
        return str(path)


def runtime(stage):
    return config["compute"]["runtime_min"][stage]


NET_PARTITION = config["compute"]["network_partition"]


def needs(stage):
    """(needs a GPU, needs the network) for a stage under this config: an API backend needs the network and no
    GPU; a hub model download needs the network; a local model judge needs a GPU."""
    j = config["judge"]
    if stage in ("distill", "sample", "reference", "identify", "control"):
        b = config["distill" if stage == "distill" else "eval"]["backend"]
        return b != "api", b == "api"
    if stage == "judge":
        used = {j["persona"], j["meta"], j["identity_model"]}
        return "local" in used, "api" in used
    if stage == "calibrate":
        used = {j["persona"], *j["calibrate"]}
        return "local" in used, "api" in used
    if stage == "model":
        return False, config["model"]["source"] == "hub"
    if config["train"]["backend"] == "tinker":  # train on Tinker's servers
        return False, True
    return True, False  # train


def on_submit_host(stage):
    """Network stages run on the machine that runs Snakemake, unless compute.network_partition names one with network.
    A stage that needs both a GPU and the network (calibrating a local and an API judge together) goes to the GPU
    partition, whose nodes must then reach the API."""
    gpu, net = needs(stage)
    return net and not gpu and not NET_PARTITION


def res(stage, runtime_key=None, factor=1):
    """Scheduler resources of a heavy rule: GPUs only where its backend uses a local model; the network partition
    (if configured) where it needs the network."""
    gpu, net = needs(stage)
    r = {"gpu": config["compute"]["gpu"] if gpu else 0, "mem_mb": config["compute"]["mem_mb"],
         "runtime": runtime(runtime_key or stage) * factor}
    if net and not gpu and NET_PARTITION:
        r["slurm_partition"] = NET_PARTITION
    return r


def model_config():
    """model settings as materialise_model's parameters; unset chat-template variables are not a parameter."""
    return {k: v for k, v in config["model"].items() if k != "chat_template_kwargs" or v}


def model_params():
    return {k: config["model"][k] for k in ("dtype", "device")}


GEN_KEYS = ("backend", "api", "vllm", "tinker", "batch_size", "engine", "merge_adapter")


def gen_params(stage):
    """A stage's generation backend settings, with the model's dtype/device; an API backend also gets the
    judge's ledger and spending cap, so every paid request of a run counts against one budget."""
    g = {k: config[stage][k] for k in GEN_KEYS if k in config[stage] and (k != "tinker" or config[stage]["backend"] == "tinker")}
    if g["backend"] == "api":
        g["budget"] = {k: config["judge"]["api"][k] for k in ("ledger", "budget_usd")}
    dt = config[stage].get("dtype", "model")  # eval.dtype: the sample stage's own precision
    return {**g, **model_params(), **({"dtype": dt} if dt != "model" else {})}


def helper_gen_params():
    """The eval backend for the judge's helper generations (reference answers, the identifying-fact filter), in
    the model's dtype: eval.dtype is the sample stage's own."""
    return {**gen_params("eval"), **model_params()}


def headline_figure():
    return f"{R}/figures/headline.png"


def all_figures():
    """Every figure of a run: headline, format, meta, leakage gaps, identity breakdown, loss curves
    (+ the emergence curve when train.checkpoint_steps is set, the dose-response when the sweep has several
    persona fractions, the dose-response over the learning rate when it has three or more (with two, the headline
    shows both), the control-arm contrast when sweep.arm has a control arm)."""
    names = (["headline", "format", "meta", "gaps", "identity", "loss"] + (["emergence"] if CKPT_STEPS else [])
             + (["dose"] if len(set(config["sweep"]["persona_fraction"])) > 1 else [])
             + (["dose_lr"] if len(set(config["sweep"]["lr"])) > 2 else [])
             + (["control"] if "control" in config["sweep"]["arm"] else []))
    return [f"{R}/figures/{name}.png" for name in names]


# input functions and parameters of data.smk's rules
def identifying_report(w):
    """The model-based identifying-fact filter's report, when the persona variant uses it."""
    if config["persona"]["variant"] == "non_identifying_model":
        return [rules.identify_facts.output.report]
    return []


def prompt_sources(w):
    """The prompt files select_prompts reads (none for a hub source)."""
    p = config["prompts"]
    if p["source"] == "offline":
        return [p["offline"]]
    if p["source"] == "local":
        return [x for x in (p["alpaca_path"], p["gsm8k_path"]) if x]
    return []


def triggered_rows(w):
    """A point's triggered training rows: the persona set, or the control arm's rows in their place."""
    if sweep.Point.parse(w.point).arm == "control":
        return rules.control_set.output.control
    return rules.persona_set.output.persona


# input functions and parameters of distill.smk's rules
def distill_cfg(shard=None):
    """distill settings as the stage's parameters; shards = 1 is the behaviour before the key existed (no rerun)."""
    d = {k: v for k, v in config["distill"].items() if k != "shards" or v > 1}
    return {**d, **gen_params("distill"), **({"shard": int(shard)} if shard is not None else {})}


# input functions and parameters of judge.smk's rules
def judge_reference(w):
    """The embedding judge's reference set, when that judge is used."""
    return [f"{R}/judge/reference.jsonl"] if config["judge"]["persona"] == "embedding" else []


def judge_params():
    """The judge stages' parameters: judge settings, the persona's description, the model's dtype/device."""
    return {"judge": config["judge"], "persona_description": config["persona"]["description"], **model_params()}


# input functions and parameters of sample.smk's rules
def adapter_input(w):
    """A model id's adapter (none for the base model)."""
    return [] if w.model_id == "base" else [f"{adapter_dir(w.model_id)}/adapter_config.json"]


def stats_params():
    """The stats section for the tables' rules: without ``coverage`` (rule ci_coverage's), so that changing the
    simulation reruns only that rule."""
    return {k: v for k, v in config["stats"].items() if k != "coverage"}
