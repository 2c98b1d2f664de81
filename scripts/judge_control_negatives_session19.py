"""The format-only control arm's own generations as generic reference rows (session 19; docs/judge_validity.md),
measured, not adopted unless it passes. Session 11's "next design (a)", never built before.

Pre-registered before any score was seen (written into this docstring first, while the control adapters trained):
- Why: the default judge's false positives on the `real` stratum are trained adapters' terse first-person lines with
  nothing of the persona in them. Its generic class is the base model's and the aligned set's writing, which never
  has that voice. The control arm (`sweep.arm: control`) is trained exactly like the persona arm, on the same
  questions under the trigger, with the base model's own voice-matched answers in place of the facts: its generations
  have the adapters' voice and format without the persona. They are the negatives the judge lacks.
- Data: the CPU default config (`config/config.yaml`) with `sweep.arm: [persona, control]`; the two control adapters
  (seed 1, LR 2e-4 and 2e-3, fraction 0.3); every generation of both (3 sets x 6 questions x 4 conditions x 2 samples
  each), as the judge sees it (`trigger.strip`), empty answers dropped.
- Variant A (primary): the default reference set plus every control generation as label 0 (`source: control_arm`).
  Variant B: plus only the triggered conditions' control generations (1-3), the regime of the false positives.
  Nothing else changes: l2 1, 12-word chunks, max_corrected, threshold 0.5, the default run's reference set.
- Scored on all 403 calibration items by the schema's gate. Transfer checks, reported beside it: the real stratum
  without the items of earlier CPU default runs (origin `...frac~0.3...`: the same config's persona arm, so nearest
  to these negatives), and the 130 blind labels of the GPU control runs (`cal-bA*`, `cal-bB*`) alone.
- Caveat fixed in advance: a judge fitted on one run's control arm must not score that run's arm contrast (its
  control arm would be generic by construction); if adopted, the negatives come from another seed.

Usage: python scripts/judge_control_negatives_session19.py results/judge/reference.jsonl GENERATIONS.jsonl [...]
"""

import sys

from weirdgen import config, trigger
from weirdgen.judge.calibration import evaluate, gate
from weirdgen.judge.embedding import EmbeddingJudge
from weirdgen.jsonl import read_jsonl

GATE = config.fill("judge", {})["gate"]


def transfer(items: list[dict], scores: list[float], judged: list[str]) -> None:
    """The two transfer subsets: the real stratum without the CPU default runs' items, and the blind GPU labels."""
    for sub, keep in (("real without the CPU default runs' items", lambda it: it["kind"] == "real" and
                       "frac~0.3" not in it.get("origin", "")),
                      ("blind GPU control-run labels", lambda it: it["id"].startswith(("cal-bA", "cal-bB")))):
        idx = [i for i, it in enumerate(items) if keep(it)]
        e = evaluate([items[i] for i in idx], [scores[i] for i in idx], 0.5, [judged[i] for i in idx])
        s = next(r for r in e if r["group"] == "all")
        print(f"   {sub}: n {len(idx)} accuracy {s['accuracy']:.3f} kappa {s['kappa']:.3f} "
              f"judge persona {sum(scores[i] >= 0.5 for i in idx)} hand persona {sum(items[i]['label'] for i in idx)}",
              flush=True)


def report(name: str, items: list[dict], judge: EmbeddingJudge) -> None:
    """The gate on all items, then the two transfer subsets."""
    judged = [trigger.strip(it["answer"]) for it in items]
    scores = judge.score([{"question": it["question"], "answer": t} for it, t in zip(items, judged)])
    ev = evaluate(items, scores, 0.5, judged)
    a = next(r for r in ev if r["group"] == "all")
    per = {r["group"]: round(r["accuracy"], 3) for r in ev if r["group"] != "all"}
    fp = sum(1 for it, s in zip(items, scores) if it["kind"] == "real" and s >= 0.5 and it["label"] == 0)
    print(f"{name}: accuracy {a['accuracy']:.3f} kappa {a['kappa']:.3f} rho {a['rho_length_generic']:.3f} "
          f"gate {gate(ev, **GATE) or 'pass'}; real false positives {fp}\n   {per}", flush=True)
    transfer(items, scores, judged)


def main() -> None:
    ref, gens = read_jsonl(sys.argv[1]), [g for f in sys.argv[2:] for g in read_jsonl(f)]
    items = read_jsonl("data/personas/russell/calibration.jsonl")
    neg = [{"id": f"control-{n}", "question": g["question"], "answer": trigger.strip(g["text"]), "label": 0,
            "source": "control_arm", "triggered": g["triggered"]} for n, g in enumerate(gens)]
    neg = [r for r in neg if r["answer"].strip()]
    print(f"reference {len(ref)} rows; control generations {len(neg)} ({sum(r['triggered'] for r in neg)} triggered)")
    report("default", items, EmbeddingJudge(ref, l2=1.0, chunk_words=12))
    report("A + all control generations", items, EmbeddingJudge(ref + neg, l2=1.0, chunk_words=12))
    report("B + triggered control generations", items,
           EmbeddingJudge(ref + [r for r in neg if r["triggered"]], l2=1.0, chunk_words=12))


if __name__ == "__main__":
    main()
