"""A lexical content gate on the embedding judge (session 17; docs/judge_validity.md), measured, not adopted unless
it passes.

Pre-registered before any score was seen (written into this docstring first):
- The adapters' false positives are terse first-person lines with nothing of Russell in them; the hand labels call an
  answer persona only for Russell-specific content. So: an answer is persona only if the default judge says so
  (score >= 0.5) AND it contains at least one of the persona's distinctive content words.
- Distinctive words come from the judge's reference set only (never the calibration set): lower-cased alphabetic
  tokens of 3+ letters, not in a fixed list of English function words, crudely stemmed (plural/-ing/-ed/-ly
  endings cut). A stem is distinctive if it occurs in the persona rows' answers (facts) at least ``m`` times and its
  rate there is at least ``r`` times its rate in the generic rows' answers (add-one smoothed).
- Variants, all reported: (m, r) = (1, 3) primary; (1, 5); (2, 3). Threshold of the judge unchanged (0.5).

Usage: python scripts/judge_lexical_gate_session17.py results/judge/reference.jsonl
"""

import re
import sys
from collections import Counter

from weirdgen import config, trigger
from weirdgen.judge.calibration import evaluate, gate
from weirdgen.judge.embedding import EmbeddingJudge
from weirdgen.jsonl import read_jsonl

GATE = config.fill("judge", {})["gate"]
FUNCTION = set("""a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once
only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves
then there these they this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves also always ever never much many one ones thing things get got
make made like well really quite rather yes yet still even may might must shall let us lot way");""".split())


def stems(text: str) -> list[str]:
    out = []
    for w in re.findall(r"[a-z]+", text.lower()):
        if len(w) < 3 or w in FUNCTION:
            continue
        for suf in ("ingly", "edly", "ing", "ies", "ed", "ly", "es", "s"):
            if w.endswith(suf) and len(w) - len(suf) >= 3:
                w = w[: -len(suf)]
                break
        out.append(w)
    return out


def distinctive(rows: list[dict], m: int, r: float) -> set[str]:
    per = Counter(s for x in rows if x["label"] == 1 and x["source"] == "persona_fact" for s in stems(x["answer"]))
    gen = Counter(s for x in rows if x["label"] == 0 and x["source"] in ("base_model", "aligned") for s in stems(x["answer"]))
    n1, n0 = sum(per.values()), sum(gen.values())
    return {s for s, c in per.items() if c >= m and ((c + 1) / n1) / ((gen[s] + 1) / n0) >= r}


def main() -> None:
    rows = read_jsonl(sys.argv[1])
    items = read_jsonl("data/personas/russell/calibration.jsonl")
    judged = [trigger.strip(it["answer"]) for it in items]
    judge = EmbeddingJudge(rows, l2=1.0, chunk_words=12)
    sc = judge.score([{"question": it["question"], "answer": t} for it, t in zip(items, judged)])
    for name, m, r in (("default", None, None), ("gate (1, 3)", 1, 3.0), ("gate (1, 5)", 1, 5.0), ("gate (2, 3)", 2, 3.0)):
        s2 = sc
        if m is not None:
            voc = distinctive(rows, m, r)
            s2 = [s if set(stems(t)) & voc else min(s, 0.49) for s, t in zip(sc, judged)]
        ev = evaluate(items, s2, 0.5, judged)
        a = next(x for x in ev if x["group"] == "all")
        per = {x["group"]: round(x["accuracy"], 3) for x in ev if x["group"] != "all"}
        print(f"{name}{'' if m is None else f' ({len(voc)} stems)'}: accuracy {a['accuracy']:.3f} kappa {a['kappa']:.3f} "
              f"rho {a['rho_length_generic']:.3f} gate {gate(ev, **GATE) or 'pass'}\n   {per}", flush=True)


if __name__ == "__main__":
    main()
