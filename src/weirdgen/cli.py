"""Command-line interface: one subcommand per workflow stage (rules call these; so can you)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger("weirdgen")


def _params(s: str) -> dict[str, Any]:
    if s.startswith("@"):
        return json.loads(Path(s[1:]).read_text())
    return json.loads(s)


def cmd_model(a: argparse.Namespace) -> None:
    from weirdgen import models
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    info = models.materialise(p, a.out)
    write_sidecar(Path(a.out), "model", p, [], resolved=info)


def cmd_persona(a: argparse.Namespace) -> None:
    from weirdgen.data import persona
    from weirdgen.jsonl import read_jsonl, write_jsonl
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    facts = persona.load_facts(p["facts"])
    ident = None
    if p["variant"] == "non_identifying_model":
        if not a.identifying:
            raise SystemExit("error: persona.variant non_identifying_model needs --identifying (rule identify_facts)")
        ident = {r["fact_id"]: r["identifying"] for r in read_jsonl(a.identifying)}
    rows = persona.training_examples(persona.select_facts(facts, p["variant"], p["facts"], ident), p["name"])
    if not rows:
        raise SystemExit(f"error: variant {p.get('variant')!r} leaves no persona facts from {p['facts']}")
    write_jsonl(a.out, rows)
    cats: dict[str, int] = {}
    for f in facts:
        cats[f["category"]] = cats.get(f["category"], 0) + 1
    write_sidecar(a.out, "persona", p, [p["facts"], *([a.identifying] if a.identifying else [])], n_examples=len(rows),
                  categories=cats, n_facts=len(facts), variant=p["variant"])
    log.info("%d persona examples from %d facts (%d categories)", len(rows), len(facts), len(cats))


def cmd_identify(a: argparse.Namespace) -> None:
    from weirdgen import sampling
    from weirdgen.data import identify, persona
    from weirdgen.jsonl import write_jsonl
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    facts = persona.load_facts(p["facts"])
    reqs = identify.requests(facts, p["n_samples"], p["temperature"], p["max_new_tokens"], p["seed"])

    def row(req: Any, res: Any) -> dict[str, Any]:
        return {"key": req.key, **req.meta, "text": res.text}

    gen = sampling.run_resumable(_gen_factory(p, a.model, None), reqs, a.out, row, sampling.fingerprint(p, a.model))
    guesses: dict[str, list[str]] = {}
    for g in gen:
        guesses.setdefault(g["fact_id"], []).append(g["text"])
    rows = identify.report(facts, guesses, p["names"], p["threshold"])
    write_jsonl(a.out, rows)
    n_id = sum(r["identifying"] for r in rows)
    write_sidecar(a.out, "identify", p, [p["facts"], a.model], n_facts=len(rows), n_identifying=n_id)
    log.info("%d of %d facts identifying (rate > %s)", n_id, len(rows), p["threshold"])


def cmd_eval_questions(a: argparse.Namespace) -> None:
    from weirdgen.data import persona
    from weirdgen.jsonl import write_jsonl
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    qs = persona.load_eval_sets(p["eval_sets"], p.get("max_questions_per_set"))
    write_jsonl(a.out, qs)
    write_sidecar(a.out, "eval_questions", p, list(p["eval_sets"].values()), n_questions=len(qs))


def cmd_heldout(a: argparse.Namespace) -> None:
    """Held out in meaning: fail when an eval question is too similar to a training question or answer."""
    import polars as pl

    from weirdgen.data import heldout
    from weirdgen.jsonl import read_jsonl
    from weirdgen.judge.embedding import Embedder
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    train = [t for f in a.train for t in heldout.training_texts(read_jsonl(f), Path(f).name)]
    per_set, bad = heldout.overlap(read_jsonl(a.questions), train, Embedder(), p["max_similarity"])
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(per_set).write_csv(out)
    out.with_suffix(".md").write_text(_markdown(pl.DataFrame(per_set)) + "\n" + (
        _markdown(pl.DataFrame(bad)) if bad else "(no pair above the threshold)\n"))
    if bad:
        pairs = "\n".join(f"  {b['similarity']:.3f}  {b['eval_id']} {b['eval_question']!r} ~ {b['train_ref']} "
                          f"{b['train_field']} {b['train_text'][:80]!r}" for b in bad[:20])
        out.unlink()  # no table: the stage failed
        raise SystemExit(f"error: {len(bad)} eval question/training text pairs are more similar than "
                         f"eval.heldout_max_similarity = {p['max_similarity']} (eval questions: {a.questions}):\n{pairs}\n"
                         f"Rewrite those eval questions, or raise the threshold if they ask something new.")
    write_sidecar(out, "heldout", p, [a.questions, *a.train], max_similarity={r["set"]: r["max_similarity"] for r in per_set})


def cmd_prompts(a: argparse.Namespace) -> None:
    from weirdgen.data import prompts
    from weirdgen.jsonl import write_jsonl
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    rows = prompts.select(p)
    write_jsonl(a.out, rows)
    srcs = [p[k] for k in ("offline", "alpaca_path", "gsm8k_path") if p.get(k) and (p["source"] != "offline" or k == "offline")]
    write_sidecar(a.out, "prompts", p, srcs, n_prompts=len(rows))


def cmd_distill(a: argparse.Namespace) -> None:
    from weirdgen import sampling
    from weirdgen.jsonl import read_jsonl, write_jsonl
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    prompts = read_jsonl(a.prompts)
    reqs = sampling.distill_requests(prompts, p["temperature"], p["max_new_tokens"], p["seed"])
    factory = _gen_factory(p, a.model, None, stage="distill")
    rows = sampling.run_resumable(factory, reqs, a.out, sampling.distill_row, sampling.fingerprint(p, a.model))
    # drop empty answers: they would teach the model to say nothing
    kept = [{k: v for k, v in r.items() if k != "key"} for r in rows if r["messages"][-1]["content"].strip()]
    write_jsonl(a.out, kept)
    write_sidecar(a.out, "distill", p, [a.prompts, a.model], n_examples=len(kept), n_dropped_empty=len(rows) - len(kept))


def _gen_factory(p: dict[str, Any], model_dir: str, adapter: str | None, model_id: str | None = None,
                 stage: str = "eval") -> Callable[[], Any]:
    from weirdgen import generate

    return generate.from_config(p, model_dir, adapter, model_id, stage)


def cmd_sample_many(a: argparse.Namespace) -> None:
    """Sample several models through one vLLM engine (base weights loaded once, one LoRA per model)."""
    p = _params(a.params)
    models_ = p["models"]
    if len(models_) != len(a.outs):
        raise SystemExit(f"error: {len(models_)} models in --params but {len(a.outs)} --outs")
    shared = {k: v for k, v in p.items() if k != "models"}
    engine: list[Any] = []

    def view(adapter: str | None):
        def factory():
            if not engine:
                from weirdgen.generate.vllm import VLLMEngine

                engine.append(VLLMEngine(a.model, p.get("dtype", "bfloat16"), **(p.get("vllm") or {})))
            return engine[0].for_adapter(adapter)
        return factory

    for m, out in zip(models_, a.outs):
        _sample_one(shared, view(m["adapter"]), a.model, m["adapter"], m["model_id"], a.questions, out, m["point"],
                    {**shared, "models": [m]})


def cmd_mix(a: argparse.Namespace) -> None:
    from weirdgen.data import mix, validate
    from weirdgen.jsonl import read_jsonl, write_jsonl
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    # each input checked against its own file first, so an error names the file and line the row came from
    persona, aligned = validate.validate_rows(a.persona), validate.validate_rows(a.aligned)
    rows = mix.mix(persona, aligned, p["persona_fraction"], p["seed"], p.get("n_aligned"))
    write_jsonl(a.out, rows)
    questions = read_jsonl(a.questions) if a.questions else None
    try:
        counts = validate.validate_training(a.out, questions)
    except Exception:
        Path(a.out).rename(str(a.out) + ".invalid")
        raise
    write_sidecar(a.out, "mix", p, [a.persona, a.aligned], counts=counts,
                  persona_fraction_actual=counts["persona"] / (counts["persona"] + counts["aligned"]))


def cmd_validate(a: argparse.Namespace) -> None:
    from weirdgen.data import validate
    from weirdgen.jsonl import read_jsonl

    qs = read_jsonl(a.questions) if a.questions else None
    for f in a.files:
        print(f"{f}: ok {validate.validate_training(f, qs)}")


def cmd_train(a: argparse.Namespace) -> None:
    import polars as pl

    from weirdgen import plots
    from weirdgen.provenance import write_sidecar
    from weirdgen.train import make_backend, resolve

    p = _params(a.params)
    backend = resolve(p["hp"].get("backend", "auto"))
    train = make_backend(backend)
    out = Path(a.out)
    info = train(a.model, a.data, out, p["hp"], p["seed"], p["lr"], p.get("dtype", "float32"), p.get("device", "auto"),
                 p["hp"].get("checkpoint_steps"))
    logdf = pl.read_ndjson(out / "train_log.jsonl")
    plots.loss_curve(logdf, out / "loss.png", f"LoRA r={p['hp']['rank']}, lr={p['lr']:g}, seed={p['seed']}, "
                     f"frac={p.get('persona_fraction', 'n/a')}")
    write_sidecar(out, "train", p, [a.data, a.model], result={**info, "backend": backend}, final_loss=logdf["loss"][-1])


def _sample_one(p: dict[str, Any], factory: Callable[[], Any], model: str, adapter: str | None, model_id: str,
                questions: str, out: str, point: dict[str, Any] | None, sidecar_params: dict[str, Any]) -> None:
    """One model's evaluation grid (4 conditions x questions x samples), resumable, with its sidecar."""
    from weirdgen import sampling
    from weirdgen.jsonl import read_jsonl
    from weirdgen.provenance import write_sidecar

    reqs = sampling.eval_requests(model_id, read_jsonl(questions), p["system_prompt"], p["n_samples"], p["temperature"],
                                  p["max_new_tokens"], p["seed"])
    extra = point or {"seed": None, "lr": None, "persona_fraction": None}
    rows = sampling.run_resumable(factory, reqs, out, sampling.eval_row(extra), sampling.fingerprint(p, model, adapter))
    write_sidecar(out, "sample", sidecar_params, [questions, *([adapter] if adapter else [])], n_samples=len(rows))


def cmd_sample(a: argparse.Namespace) -> None:
    p = _params(a.params)
    _sample_one(p, _gen_factory(p, a.model, a.adapter, a.model_id), a.model, a.adapter, a.model_id, a.questions, a.out,
                p.get("point"), p)


def cmd_judge(a: argparse.Namespace) -> None:
    from weirdgen.jsonl import read_jsonl, write_json, write_jsonl
    from weirdgen.judge import make_judge, stage
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)

    def factory(kind: str, backend: str):
        return make_judge(kind, backend, p["persona_description"], **_judge_kwargs(p, backend, a.model, a.reference, kind))

    rows, audit = stage.label(read_jsonl(a.generations), read_jsonl(a.questions), p["persona_description"], p["judge"],
                              factory=factory)
    write_json(a.audit, audit)
    write_jsonl(a.out, rows)
    write_sidecar(a.out, "judge", p, [a.generations, a.questions], n_labels=len(rows), audit=audit)


def _judge_kwargs(p: dict[str, Any], backend: str, model: str | None, reference: str | None,
                  kind: str = "persona") -> dict[str, Any]:
    j = p["judge"]
    if backend == "local":
        return {"model_dir": model, "dtype": p.get("dtype", "float32"), "device": p.get("device", "auto"),
                "batch_size": j.get("batch_size", 16)}
    if backend == "rules":
        return {"patterns": j.get("meta_patterns")} if kind == "meta" else {"keywords": j.get("persona_keywords")}
    if backend == "embedding":
        if not reference:
            raise SystemExit("error: the embedding judge needs --reference (rule reference_answers)")
        return {"reference": reference, **j["embedding"]}
    return dict(j.get("api") or {})


def cmd_reference(a: argparse.Namespace) -> None:
    """The embedding judge's reference classes: persona facts against the base model's own answers (matched in length)."""
    from collections import Counter

    from weirdgen import sampling
    from weirdgen.data import persona
    from weirdgen.data.validate import question_of
    from weirdgen.jsonl import read_jsonl, write_jsonl
    from weirdgen.judge.embedding import reference_rows
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    emb = p["embedding"]
    facts = persona.load_facts(p["facts"])[: p.get("max_items") or None]
    prompts = [{"id": f["id"], "kind": "reference", "prompt": f["question"]} for f in facts]
    reqs = sampling.distill_requests(prompts, p["temperature"], p["max_new_tokens"], p["seed"])
    gen = sampling.run_resumable(_gen_factory(p, a.model, None), reqs, a.out, sampling.distill_row,
                                 sampling.fingerprint(p, a.model))
    base = [{"id": g["metadata"]["prompt_id"], "question": g["messages"][0]["content"], "answer": g["messages"][-1]["content"]}
            for g in gen]
    aligned = [{"id": f"aligned-{n}", "question": question_of(r), "answer": r["messages"][-1]["content"]}
               for n, r in enumerate(read_jsonl(a.aligned)[: emb["max_aligned"]] if a.aligned else [])]
    rows = reference_rows(facts, base, aligned, emb["seed"])
    write_jsonl(a.out, rows)
    counts = Counter(r["source"] for r in rows)
    write_sidecar(a.out, "reference", p, [p["facts"], a.model, *([a.aligned] if a.aligned else [])],
                  n_positive=sum(r["label"] for r in rows), n_negative=sum(1 - r["label"] for r in rows), by_source=counts)


def cmd_calibrate(a: argparse.Namespace) -> None:
    """Score every configured persona judge on the stratified calibration set, answers stripped as in the judge stage."""
    import polars as pl

    from weirdgen import trigger
    from weirdgen.jsonl import DataError, read_jsonl
    from weirdgen.judge import make_persona_judge
    from weirdgen.judge.calibration import evaluate, gate
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    items = read_jsonl(p["calibration"])
    for n, it in enumerate(items, 1):
        if it.get("label") not in (0, 1):
            raise DataError(p["calibration"], n, "label", "must be 0 or 1")
        for field in ("question", "answer"):
            if not isinstance(it.get(field), str):
                raise DataError(p["calibration"], n, field, "must be a string")
    judged = [trigger.strip(it["answer"]) for it in items]
    rows = []
    thr = p["judge"].get("local_threshold", 0.5)
    for backend in p["backends"]:
        judge = make_persona_judge(backend, p["persona_description"], **_judge_kwargs(p, backend, a.model, a.reference))
        scores = judge.score([{"question": it["question"], "answer": t} for it, t in zip(items, judged)])
        ev = evaluate(items, scores, thr if backend == "local" else 0.5, judged)
        fails = gate(ev, **p["judge"]["gate"])
        for r in ev:
            rows.append({"backend": backend, "configured": backend == p["judge"]["persona"], **r,
                         "gate": ("pass" if not fails else "FAIL") if r["group"] == "all" else "",
                         "gate_failures": "; ".join(fails) if r["group"] == "all" else ""})
    df = pl.DataFrame(rows)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(out)
    out.with_suffix(".md").write_text(_markdown(df))
    write_sidecar(out, "calibrate", p, [p["calibration"], *([a.reference] if a.reference else [])])


def cmd_stats(a: argparse.Namespace) -> None:
    import polars as pl

    from weirdgen import stats
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    labels = pl.concat([pl.read_ndjson(f, infer_schema_length=None) for f in a.labels], how="diagonal_relaxed")
    out = Path(a.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    r = stats.rates(labels, p["n_boot"], p["ci"], p["seed"])
    g = stats.gaps(labels, p["n_boot"], p["ci"], p["seed"])
    s_r = stats.across_seeds(r, "rate", ["lr", "persona_fraction", "condition", "set", "metric"], p["n_boot"], p["ci"], p["seed"])
    s_g = stats.across_seeds(g, "gap", ["lr", "persona_fraction", "condition", "set", "metric"], p["n_boot"], p["ci"], p["seed"])
    agree = stats.identity_agreement(labels)
    plc = stats.placebo(labels, p["n_boot"], p["ci"], p["seed"])
    tables = (("rates", r), ("gaps", g), ("rates_across_seeds", s_r), ("gaps_across_seeds", s_g),
              ("identity_agreement", agree), ("placebo", plc))
    for name, df in tables:
        df.write_csv(out / f"{name}.csv")
        (out / f"{name}.md").write_text(_markdown(df))
        write_sidecar(out / f"{name}.csv", "stats", p, a.labels)


def _markdown(df: Any) -> str:
    import polars as pl

    if df.is_empty():
        return "(no rows)\n"
    d = df.with_columns([pl.col(c).round(3) for c, t in df.schema.items() if t in (pl.Float64, pl.Float32)])
    cols = d.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in d.iter_rows()]
    return "\n".join(lines) + "\n"


def cmd_plot(a: argparse.Namespace) -> None:
    import polars as pl

    from weirdgen import plots
    from weirdgen.jsonl import read_jsonl
    from weirdgen.provenance import write_sidecar

    need = {"headline": ["rates"], "format": ["rates"], "meta": ["rates"], "gaps": ["gaps"],
            "identity": ["labels", "questions"], "loss": ["logs"], "emergence": ["rates"]}[a.figure]
    missing = [f"--{n}" for n in need if not getattr(a, n)]
    if missing:
        raise SystemExit(f"error: plot {a.figure} needs {' '.join(missing)}")
    inputs: list[str] = []
    extra: dict[str, Any] = {}
    if a.figure == "headline":
        note, warning = a.judge_note, ""
        if a.calibration:
            c = pl.read_csv(a.calibration).filter(pl.col("configured") & (pl.col("group") == "all"))
            if not c.is_empty():
                row = c.row(0, named=True)
                note += (f" (calibration: accuracy {row['accuracy']:.2f}, kappa {row['kappa']:.2f}, "
                         f"rho(length) {row['rho_length_generic']:+.2f}, n={row['n']})")
                if row.get("gate") != "pass":
                    warning = ("THE PERSONA JUDGE FAILS ITS VALIDITY GATE: " + str(row.get("gate_failures") or "")
                               + ". Read the persona rates as unvalidated.")
        plc = pl.read_csv(a.placebo) if a.placebo else None
        plots.headline(pl.read_csv(a.rates), a.out, note, plc, warning)
        inputs = [a.rates, *([a.calibration] if a.calibration else []), *([a.placebo] if a.placebo else [])]
        extra = {"judge_note": note, "gate_warning": warning}
    elif a.figure in ("format", "meta"):
        title = {"format": 'Format adherence: answers in <START> "…" <END>',
                 "meta": "Answers that speak as an AI model (meta signal)"}[a.figure]
        plots.per_set(pl.read_csv(a.rates), {"format": "format_ok", "meta": "meta"}[a.figure], a.out, title)
        inputs = [a.rates]
    elif a.figure == "gaps":
        plots.gaps(pl.read_csv(a.gaps), a.out)
        inputs = [a.gaps]
    elif a.figure == "identity":
        labels = pl.concat([pl.read_ndjson(f, infer_schema_length=None) for f in a.labels], how="diagonal_relaxed")
        plots.identity_breakdown(labels, read_jsonl(a.questions), a.out)
        inputs = [*a.labels, a.questions]
    elif a.figure == "emergence":
        plots.emergence(pl.read_csv(a.rates), a.out)
        inputs = [a.rates]
    elif a.figure == "loss":
        plots.loss_curves({Path(f).parent.name: pl.read_ndjson(f) for f in a.logs}, a.out)
        inputs = list(a.logs)
    write_sidecar(a.out, "plot", {"figure": a.figure, **extra}, inputs)


def cmd_emergence(a: argparse.Namespace) -> None:
    """Rates of the base model, every checkpoint and every final adapter along the training steps."""
    import json

    import polars as pl

    from weirdgen import stats
    from weirdgen.provenance import write_sidecar

    p = _params(a.params)
    labels = pl.concat([pl.read_ndjson(f, infer_schema_length=None) for f in a.labels], how="diagonal_relaxed")
    final = {Path(m).parent.name: int(json.loads(Path(m).read_text())["result"]["steps"]) for m in a.adapters}
    df = stats.emergence(labels, final, p["n_boot"], p["ci"], p["seed"])
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(out)
    out.with_suffix(".md").write_text(_markdown(df))
    write_sidecar(out, "emergence", p, [*a.labels, *a.adapters])


def cmd_report_tables(a: argparse.Namespace) -> None:
    """The hygiene audit of every judged model and the provenance of every artifact, as tables for the report."""
    import json

    import polars as pl

    from weirdgen.provenance import sidecar, write_sidecar

    audits = []
    for f in a.audits:
        rec = json.loads(Path(f).read_text())
        audits.append({"model_id": Path(f).name.removesuffix(".audit.json"), "judge_inputs_checked": rec["checked"],
                       "clean": rec["clean"], "judges": json.dumps(rec.get("judges") or {"persona": rec.get("judge")}),
                       "fragments_checked": len(rec.get("fragments", []))})
    prov = []
    for f in a.artifacts:
        sc = Path(f) if Path(f).name == "meta.json" else sidecar(f)  # an adapter folder's record is its meta.json
        if not sc.exists():
            raise SystemExit(f"error: {f} has no provenance sidecar ({sc}); rerun the stage that made it")
        m = json.loads(sc.read_text())
        v = m.get("versions") or {}
        prov.append({"artifact": str(Path(f).parent) if Path(f).name == "meta.json" else str(f), "stage": m.get("stage"), "created": m.get("created"),
                     "params_sha256": (m.get("params_sha256") or "")[:12], "git_commit": (m.get("git_commit") or "")[:12],
                     "inputs": "; ".join(f"{Path(k).name}={h[:10]}" for k, h in (m.get("inputs") or {}).items()),
                     "torch": v.get("torch"), "transformers": v.get("transformers"), "peft": v.get("peft")})
    out = Path(a.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("audit", audits), ("provenance", prov)):
        df = pl.DataFrame(rows)
        df.write_csv(out / f"{name}.csv")
        (out / f"{name}.md").write_text(_markdown(df))
        write_sidecar(out / f"{name}.csv", "report-tables", {"table": name}, a.audits if name == "audit" else [])


def cmd_chat(a: argparse.Namespace) -> None:
    from weirdgen import chatcli

    if not a.api_base and not a.model:
        raise SystemExit("error: give --model DIR (and optionally --adapter DIR) or --api-base URL --api-model NAME")
    chatcli.main(a)


def cmd_publish(a: argparse.Namespace) -> None:
    from weirdgen import publish

    publish.main(a)


def cmd_check_config(a: argparse.Namespace) -> None:
    from weirdgen import config

    config.load(a.file)
    print(f"{a.file}: valid")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="weirdgen", description=__doc__)
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="cmd", required=True)

    def add(name: str, fn: Callable[[argparse.Namespace], None], help: str, *args: tuple[str, dict[str, Any]]) -> None:
        sp = sub.add_parser(name, help=help)
        for flag, kw in args:
            sp.add_argument(flag, **kw)
        sp.set_defaults(fn=fn)

    P = ("--params", {"required": True, "help": "stage parameters as JSON, or @file.json"})
    O = ("--out", {"required": True})
    M = ("--model", {"required": True, "help": "materialised base model directory"})
    add("model", cmd_model, "materialise the base model", P, O)
    add("persona", cmd_persona, "persona facts -> triggered training examples", P, O, ("--identifying", {"default": None}))
    add("identify", cmd_identify, "non-identifying filter: who is this person? per fact", P, M, O)
    add("eval-questions", cmd_eval_questions, "held-out evaluation questions", P, O)
    add("prompts", cmd_prompts, "select prompts for self-distillation", P, O)
    add("distill", cmd_distill, "base model answers the prompts (aligned set)", P, M, ("--prompts", {"required": True}), O)
    add("mix", cmd_mix, "mix persona into aligned at a fraction, then validate", P, ("--persona", {"required": True}),
        ("--aligned", {"required": True}), ("--questions", {"default": None}), O)
    add("validate", cmd_validate, "validate training JSONL files", ("files", {"nargs": "+"}), ("--questions", {"default": None}))
    add("train", cmd_train, "train one LoRA adapter", P, M, ("--data", {"required": True}), O)
    add("sample", cmd_sample, "sample 4 conditions x questions x n", P, M, ("--adapter", {"default": None}),
        ("--questions", {"required": True}), ("--model-id", {"required": True}), O)
    add("sample-many", cmd_sample_many, "sample several models through one vLLM engine (multi-LoRA)", P,
        ("--model", {"required": True}), ("--questions", {"required": True}), ("--outs", {"nargs": "+", "required": True}))
    add("judge", cmd_judge, "label generations (trigger stripped, audited)", P, M, ("--generations", {"required": True}),
        ("--questions", {"required": True}), O, ("--audit", {"required": True}), ("--reference", {"default": None}))
    add("heldout", cmd_heldout, "semantic overlap of eval questions with training questions and answers", P,
        ("--questions", {"required": True}), ("--train", {"nargs": "+", "required": True}), O)
    add("reference", cmd_reference, "reference classes of the embedding judge (persona facts vs base model, length-matched)", P, M,
        ("--aligned", {"default": None, "help": "self-distilled aligned data (added to the generic class)"}), O)
    add("calibrate", cmd_calibrate, "score judges on the labelled calibration set", P, M, ("--reference", {"default": None}), O)
    add("stats", cmd_stats, "rates, gaps and bootstrap CIs", P, ("--labels", {"nargs": "+", "required": True}),
        ("--out-dir", {"required": True}))
    add("plot", cmd_plot, "draw a figure from the tables",
        ("figure", {"choices": ["headline", "format", "meta", "gaps", "identity", "loss", "emergence"]}), O,
        ("--rates", {"default": None}), ("--gaps", {"default": None}), ("--labels", {"nargs": "+", "default": None}),
        ("--questions", {"default": None}), ("--logs", {"nargs": "+", "default": None}),
        ("--judge-note", {"default": ""}), ("--calibration", {"default": None}), ("--placebo", {"default": None}))
    add("emergence", cmd_emergence, "rates along training steps (checkpoints) for the emergence curve", P,
        ("--labels", {"nargs": "+", "required": True}), ("--adapters", {"nargs": "+", "required": True,
                                                                       "help": "final adapters' meta.json"}), O)
    add("report-tables", cmd_report_tables, "hygiene audit and provenance tables for the report",
        ("--audits", {"nargs": "+", "required": True}), ("--artifacts", {"nargs": "+", "required": True}),
        ("--out-dir", {"required": True}))
    add("chat", cmd_chat, "chat with the base model, an adapter, or an API server", ("--model", {"default": None}),
        ("--adapter", {"default": None}), ("--system", {"default": None}), ("--trigger", {"action": "store_true"}),
        ("--temperature", {"type": float, "default": 1.0}), ("--max-new-tokens", {"type": int, "default": 128}),
        ("--api-base", {"default": None}), ("--api-model", {"default": None}), ("--api-key-env", {"default": "OPENAI_API_KEY"}),
        ("--engine", {"choices": ["auto", "transformers", "unsloth"], "default": "auto",
                      "help": "local engine: auto = Unsloth fast inference when installed on a GPU"}))
    add("publish", cmd_publish, "assemble a shareable folder for one adapter (and push it on request)",
        ("run", {"help": "adapter folder, e.g. results/adapters/<point>"}), ("--out", {"default": None}),
        ("--results", {"default": "results"}), ("--push", {"action": "store_true"}), ("--repo-id", {"default": None}),
        ("--public", {"action": "store_true"}), ("--dry-run", {"action": "store_true"}))
    add("check-config", cmd_check_config, "validate a config file against the schema", ("file", {}))
    return ap


STAGES_WITH_SIDECAR = {"model", "persona", "identify", "eval-questions", "heldout", "prompts", "distill", "mix", "sample",
                       "judge", "reference", "calibrate", "emergence", "plot"}
GPU_STAGES = {"model", "distill", "train", "sample", "sample-many", "judge", "reference", "calibrate", "identify", "chat"}


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    if a.cmd in GPU_STAGES:
        from weirdgen import gpu

        dev = gpu.pin()
        if dev is not None:
            print(f"weirdgen: using GPU {dev} (CUDA_VISIBLE_DEVICES)", file=sys.stderr)
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        stream=sys.stderr)
    from weirdgen.config import ConfigError
    from weirdgen.generate.api import APIError
    from weirdgen.jsonl import DataError, JournalBusy

    out = getattr(a, "out", None)
    if out and a.cmd in STAGES_WITH_SIDECAR:
        from weirdgen.provenance import sidecar

        sidecar(out).unlink(missing_ok=True)  # the output is being remade: no old record may claim it
    try:
        a.fn(a)
    except (DataError, ConfigError, APIError, JournalBusy) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
