"""A question-conditional null for the embedding judge (session 17; docs/judge_validity.md), measured, not adopted
unless it passes.

Pre-registered before any score was seen (written into this docstring first):
- The base model answers every question of the calibration set in three styles, 4 samples each, T 0.7, <= 48 new
  tokens (the reference stage's settings): ``plain`` (the question), ``trigger`` (the paper's trigger, then
  ``trigger.strip``), ``voice`` (``control.instruction``'s default: one or two sentences, first person, an ordinary
  person). These 12 answers per question are the question's null: what the judge says of answers without the persona.
- The default judge (run's reference set, l2 1, 12-word chunks, max_corrected) gives every answer a logit.
- Variant A (primary): the logit centred per question, s = logit - (mu_q - mu_all): mu_q the mean logit of the
  question's null answers, mu_all the mean over every question's null answers. A question on which the base model
  already reads as Russell (war, criticism) needs more; no parameter is fitted, the threshold stays 0.5.
- Variant B: only raised, s = logit - max(0, mu_q - mu_all).
- Variant C: as A with the ``voice`` answers alone as the null (the adapters' false positives are terse first-person
  lines).
Every variant is scored on all 403 calibration items by the gate of the schema; all three are reported.

Usage: python scripts/judge_qnull_session17.py results/judge/reference.jsonl resources/models/smollm2-135m-instruct OUT_DIR
"""

import json
import sys
from pathlib import Path

import numpy as np

from weirdgen import config, generate, sampling, trigger
from weirdgen.generate import Request
from weirdgen.judge.calibration import evaluate, gate
from weirdgen.judge.embedding import EmbeddingJudge
from weirdgen.jsonl import read_jsonl, write_jsonl

GATE = config.fill("judge", {})["gate"]
VOICE = config.fill("control", {})["instruction"]
STYLES = {"plain": lambda q: q, "trigger": trigger.apply, "voice": lambda q: VOICE.replace("{question}", q)}


def nulls(questions: list[str], model: str, params: dict, out: Path, k: int = 4) -> list[dict]:
    reqs = [Request(key=f"qnull|{i}|{s}|{j}", messages=[{"role": "user", "content": f(q)}], temperature=0.7,
                    max_new_tokens=48, seed=1000 * i + 10 * j + n, meta={"q": q, "style": s})
            for i, q in enumerate(questions) for n, (s, f) in enumerate(STYLES.items()) for j in range(k)]
    row = lambda req, res: {"key": req.key, "question": req.meta["q"], "style": req.meta["style"],
                            "answer": trigger.strip(res.text)}
    return sampling.run_resumable(generate.from_config(params, model), reqs, out, row, sampling.fingerprint(params, model))


def report(name: str, items: list[dict], scores: list[float], judged: list[str]) -> None:
    ev = evaluate(items, scores, 0.5, judged)
    a = next(r for r in ev if r["group"] == "all")
    per = {r["group"]: round(r["accuracy"], 3) for r in ev if r["group"] != "all"}
    print(f"{name}: accuracy {a['accuracy']:.3f} kappa {a['kappa']:.3f} rho {a['rho_length_generic']:.3f} "
          f"gate {gate(ev, **GATE) or 'pass'}\n   {per}", flush=True)


def main() -> None:
    ref, model, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    params = json.loads(Path(ref + ".meta.json").read_text())["params"]
    items = read_jsonl("data/personas/russell/calibration.jsonl")
    questions = sorted({it["question"] for it in items})
    null = nulls(questions, model, params, out / "qnull.jsonl")
    judge = EmbeddingJudge(read_jsonl(ref), l2=1.0, chunk_words=12)
    judged = [trigger.strip(it["answer"]) for it in items]
    qa = [{"question": it["question"], "answer": t} for it, t in zip(items, judged)]
    logit = lambda ps: np.log(np.clip(ps, 1e-9, 1)) - np.log(np.clip(1 - np.asarray(ps), 1e-9, 1))
    li = logit(judge.score(qa))
    ln = logit(judge.score([{"question": r["question"], "answer": r["answer"] or "."} for r in null]))
    sig = lambda x: list(1 / (1 + np.exp(-x)))
    report("default", items, sig(li), judged)
    for name, styles, raise_only in (("A centred", None, False), ("B raised only", None, True), ("C voice null", {"voice"}, False)):
        use = [i for i, r in enumerate(null) if styles is None or r["style"] in styles]
        mu_all = float(ln[use].mean())
        mu_q = {q: float(np.mean([ln[i] for i in use if null[i]["question"] == q])) for q in questions}
        shift = np.array([mu_q[it["question"]] - mu_all for it in items])
        report(name, items, sig(li - (np.maximum(shift, 0) if raise_only else shift)), judged)
    by = {}
    for r, v in zip(null, ln):
        by.setdefault(r["style"], []).append(v)
    print("null mean logit by style:", {s: round(float(np.mean(v)), 3) for s, v in by.items()},
          "share >= 0:", {s: round(float(np.mean(np.array(v) >= 0)), 3) for s, v in by.items()})
    write_jsonl(out / "qnull_scored.jsonl", [{**r, "logit": float(v)} for r, v in zip(null, ln)])


if __name__ == "__main__":
    main()
