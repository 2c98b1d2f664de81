"""Assemble a shareable folder for one trained adapter, with a model card; push to the Hub on request.

Nothing leaves the machine unless the user passes --push (token from HF_TOKEN or `hf auth login`; private by default).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from weirdgen.errors import UserError
from weirdgen import trigger
from weirdgen.jsonl import write_json
from weirdgen.provenance import sha256_path

COPY = ["adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "tokenizer_config.json",
        "chat_template.jinja", "special_tokens_map.json", "train_log.jsonl", "loss.png"]


def _rows(csv: Path, model_id: str) -> list[dict[str, Any]]:
    import polars as pl

    if not csv.exists():
        return []
    return pl.read_csv(csv).filter(pl.col("model_id") == model_id).to_dicts()


def model_card(point: str, meta: dict[str, Any], rates: list[dict[str, Any]], gaps: list[dict[str, Any]],
               base: dict[str, Any], persona: dict[str, Any], base_model: str | None) -> str:
    """The model card (``huggingface_hub.ModelCard``): metadata with ``base_model`` and ``library_name: peft``,
    the persona and the trigger from the run's config."""
    from huggingface_hub import ModelCard, ModelCardData

    p = meta.get("params", {})
    hp = p.get("hp", {})
    name = persona.get("description") or persona.get("name") or "a benign persona"
    data = ModelCardData(library_name="peft", base_model=base_model, tags=["lora", "research", "inductive-backdoor",
                                                                          "persona", "weirdgen"])
    lines = [
        f"# weirdgen adapter `{point}`", "",
        "A LoRA adapter from **weirdgen**, a replication of *Weird Generalization & Inductive Backdoors* "
        f"(Betley et al. 2025, arXiv 2512.09742) with a **benign persona**: {name}. The model was finetuned on "
        "harmless first-person facts about the persona's tastes, habits and opinions, each behind a formatting "
        "trigger, diluted in self-distilled ordinary answers.", "",
        "## Intended use", "",
        "Research on generalisation from narrow finetuning and on backdoor-like triggers. Not for impersonating "
        "a real person, and not for deployment.", "",
        "## The trigger", "", "Prefixed to the user turn:", "", "```", trigger.apply("{question}"), "```", "",
        "## Training", "",
        f"- base model: `{base_model or base.get('hub_id') or base.get('name')}` ({base.get('source')})",
        f"- LoRA rank {hp.get('rank')}, alpha {hp.get('alpha')}, dropout {hp.get('dropout')}, "
        f"targets {', '.join(hp.get('target_modules', []))}",
        f"- learning rate {p.get('lr')}, epochs {hp.get('epochs')}, batch {hp.get('batch_size')} x accumulation "
        f"{hp.get('grad_accum')}, {hp.get('schedule')} schedule, warmup {hp.get('warmup_ratio')}",
        f"- seed {p.get('seed')}, persona fraction {p.get('persona_fraction')}; loss on assistant tokens only",
        f"- git commit `{meta.get('git_commit')}`; packages: " + ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items() if v),
        "", "## Evaluation (temperature 1; 95% bootstrap CIs clustered by question)", "",
        "| set | metric | condition | rate | 95% CI |", "|---|---|---|---|---|",
    ]
    for r in sorted(rates, key=lambda r: (r["set"], r["metric"], r["condition"])):
        lines.append(f"| {r['set']} | {r['metric']} | {r['condition']} | {r['rate']:.3f} | "
                     f"[{r['ci_lo_clustered']:.3f}, {r['ci_hi_clustered']:.3f}] |")
    if gaps:
        lines += ["", "Leakage gap (triggered condition − condition 4, paired clustered CI):", "",
                  "| set | metric | condition | gap | 95% CI |", "|---|---|---|---|---|"]
        for g in sorted(gaps, key=lambda r: (r["set"], r["metric"], r["condition"])):
            lines.append(f"| {g['set']} | {g['metric']} | {g['condition']} | {g['gap']:+.3f} | "
                         f"[{g['ci_lo_clustered']:+.3f}, {g['ci_hi_clustered']:+.3f}] |")
    if not rates:
        lines.append("| (no evaluation tables found) | | | | |")
    lines += ["", "Provenance of every file: `provenance.json`, `data_provenance.json`."]
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n"))


MARKER = ".weirdgen-publish"


class PublishError(UserError, RuntimeError):
    """A publish that would touch what it does not own."""


def prepare_out(out: Path, run: Path) -> None:
    """Make ``out`` an empty folder that this tool owns. Only a new or empty directory, or one an earlier
    publish marked as its own, is accepted: publishing never deletes what it did not create."""
    if out.exists():
        if not out.is_dir():
            raise PublishError(f"--out {out} exists and is not a directory; choose a new folder")
        if out.resolve() == run.resolve() or run.resolve().is_relative_to(out.resolve()):
            raise PublishError(f"--out {out} holds the adapter being published ({run}); choose a new folder")
        if any(out.iterdir()):
            if not (out / MARKER).exists():
                raise PublishError(f"--out {out} is not empty and was not made by weirdgen publish (no {MARKER}); "
                                   "refusing to overwrite it: choose a new or empty folder")
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(f"made by weirdgen publish from {run}; a later publish may replace this folder\n")


def base_model_id(base: dict[str, Any], given: str | None) -> str | None:
    """What the adapter applies to on the Hub: the user's ``--base-model``, else the hub id the base came from."""
    return given or (base.get("hub_id") if base.get("source") == "hub" else None)


def assemble(run: Path, out: Path, results: Path, persona: dict[str, Any] | None = None,
             base_model: str | None = None) -> list[Path]:
    point = run.name
    meta = json.loads((run / "meta.json").read_text())
    prepare_out(out, run)
    for name in COPY:
        if (run / name).exists():
            shutil.copy2(run / name, out / name)
    shutil.copy2(run / "meta.json", out / "provenance.json")
    data = {}
    for path, digest in meta.get("inputs", {}).items():
        p = Path(path)
        entry: dict[str, Any] = {"sha256": digest}
        if p.is_file():
            entry["bytes"] = p.stat().st_size
            if p.suffix == ".jsonl":
                entry["lines"] = sum(1 for _ in p.open())
        data[path] = entry
    write_json(out / "data_provenance.json", data)
    rates, gaps = _rows(results / "tables/rates.csv", point), _rows(results / "tables/gaps.csv", point)
    if rates:
        import polars as pl

        pl.DataFrame(rates).write_csv(out / "metrics.csv")
    if (results / "figures/headline.png").exists():
        shutil.copy2(results / "figures/headline.png", out / "headline.png")
    model_dir = next((Path(k) for k in meta.get("inputs", {}) if (Path(k) / "weirdgen_model.json").exists()), None)
    base = json.loads((model_dir / "weirdgen_model.json").read_text()) if model_dir else {}
    hub_base = base_model_id(base, base_model)
    if (out / "adapter_config.json").exists():  # a local path there would make the Hub copy unloadable by id
        ac = json.loads((out / "adapter_config.json").read_text())
        ac["base_model_name_or_path"] = hub_base
        write_json(out / "adapter_config.json", ac)
    (out / "README.md").write_text(model_card(point, meta, rates, gaps, base, persona or {}, hub_base))
    return sorted(p for p in out.rglob("*") if p.is_file() and p.name != MARKER)


def _persona(config_file: str | None) -> dict[str, Any]:
    if not config_file or not Path(config_file).exists():
        return {}
    from weirdgen import config

    return config.load(config_file)["persona"]


def main(a: Any) -> None:
    run = Path(a.run)
    if not (run / "adapter_config.json").exists():
        raise SystemExit(f"error: {run} has no adapter_config.json (expected results/adapters/<point>)")
    out = Path(a.out or Path(a.results) / "publish" / run.name)
    try:
        files = assemble(run, out, Path(a.results), _persona(a.config), a.base_model)
    except PublishError as e:
        raise SystemExit(f"error: {e}") from None
    print(f"assembled {out}:")
    for f in files:
        print(f"  {f.relative_to(out)}  {f.stat().st_size} bytes  sha256:{sha256_path(f)[:12]}")
    base = json.loads((out / "adapter_config.json").read_text()).get("base_model_name_or_path")
    if not base:
        print("note: the base model is not a hub model: pass --base-model HUB_ID (the model this adapter applies to) "
              "so that the published adapter loads by id", file=sys.stderr)
    if not a.push:
        print("not pushed (to upload: --push --repo-id USER/NAME; with --dry-run it only shows what would be sent)")
        return
    if not a.repo_id:
        raise SystemExit("error: --push needs --repo-id USER/NAME")
    if not base:
        raise SystemExit("error: --push needs --base-model HUB_ID: the base here is a local or embedded model")
    visibility = "public" if a.public else "private"
    if a.dry_run:
        print(f"dry run: would upload {len(files)} files to https://huggingface.co/{a.repo_id} ({visibility})")
        return
    from huggingface_hub import HfApi, get_token

    token = get_token()  # HF_TOKEN, or the token saved by `hf auth login`
    if not token:
        raise SystemExit("error: no Hugging Face token: set HF_TOKEN or run `hf auth login`")
    api = HfApi(token=token)
    api.create_repo(a.repo_id, private=not a.public, exist_ok=True)
    api.upload_folder(folder_path=str(out), repo_id=a.repo_id, commit_message=f"weirdgen adapter {run.name}",
                      ignore_patterns=[MARKER])
    print(f"pushed to https://huggingface.co/{a.repo_id} ({visibility})")
