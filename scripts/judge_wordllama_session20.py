"""WordLlama, a second offline encoder, in the embedding judge (session 20; docs/judge_validity.md), measured, not
adopted unless it passes.

Pre-registered before any score was seen (this docstring and the code were committed first):
- Why: session 6 found no second sentence encoder on PyPI as a `gt-*` model package, so every design since varied
  the classifier, the reference rows or the aggregation over one encoder, MiniLM, in whose space the trained adapters'
  terse first-person lines sit beside the persona. The PyPI package `wordllama` (0.4.0.post1, MIT) ships a static
  embedding model in its wheel (`l2_supercat`, 256 dimensions: token embeddings distilled from large LMs' input
  layers, average-pooled): a model whose features are the words, not the sentence's voice or order. Its wheel looks
  for its tokenizer under `wordllama/tokenizer/` while shipping it under `wordllama/tokenizers/`: a symlink in the
  throw-away site this script runs from (`/tmp/wlsite`), no download.
- Variant A (primary): WordLlama (L2-normalised) in place of MiniLM; nothing else changes: the CPU default run's
  reference set (`results/judge/reference.jsonl`, 547 rows), l2 1, 12-word chunks, `max_corrected`, threshold 0.5.
- Variant B: MiniLM and WordLlama side by side (each L2-normalised, concatenated: 640 features), same settings.
- Sensitivity only, not a choice: A and B at l2 0.3 and 3.
- Scored on all 403 calibration items by the schema's gate, with the spread over 100 cluster refits of the reference
  set (`refit_scores`, seed 0) and, as transfer checks, the 130 blind hand labels of the GPU control runs (`cal-bA*`,
  `cal-bB*`) alone and the real stratum without the CPU default runs' items.
- Adopted only if a variant passes the gate at l2 1, at least half its refits pass, and it agrees with the blind
  labels no worse than the default judge; it would then need `wordllama` as a dependency (no hub access: the weights
  are in the wheel) and the tokenizer path worked around in the product.

Usage: PYTHONPATH=/tmp/wlsite:src python scripts/judge_wordllama_session20.py results/judge/reference.jsonl
"""

import sys

import numpy as np

from weirdgen import config, trigger
from weirdgen.judge import embedding
from weirdgen.judge.calibration import evaluate, gate
from weirdgen.jsonl import read_jsonl

from judge_control_negatives_session19 import transfer  # scripts/ is on the path when run as a script

GATE = config.fill("judge", {})["gate"]
MINILM = embedding.Embedder  # the product's encoder, kept before judge() swaps the name


class WordLlamaEmbedder:
    """The static encoder, called like `embedding.Embedder` (texts -> L2-normalised rows)."""

    def __init__(self) -> None:
        from wordllama import WordLlama

        self.wl = WordLlama.load()

    def __call__(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.wl.embed(list(texts), norm=True), dtype=np.float32)


class BothEmbedder:
    """MiniLM and WordLlama side by side."""

    def __init__(self) -> None:
        self.a, self.b = MINILM(), WordLlamaEmbedder()

    def __call__(self, texts: list[str]) -> np.ndarray:
        return np.hstack([self.a(texts), self.b(texts)])


def judge(ref: list[dict], encoder: type | None, l2: float) -> embedding.EmbeddingJudge:
    keep = embedding.Embedder
    if encoder is not None:
        embedding.Embedder = encoder  # type: ignore[misc]  # the judge builds its encoder by this name
    try:
        return embedding.EmbeddingJudge(ref, l2=l2, chunk_words=12)
    finally:
        embedding.Embedder = keep  # type: ignore[misc]


def report(name: str, items: list[dict], j: embedding.EmbeddingJudge, refits: bool) -> None:
    judged = [trigger.strip(it["answer"]) for it in items]
    q = [{"question": it["question"], "answer": t} for it, t in zip(items, judged)]
    scores = j.score(q)
    ev = evaluate(items, scores, 0.5, judged)
    a = next(r for r in ev if r["group"] == "all")
    per = {r["group"]: round(r["accuracy"], 3) for r in ev if r["group"] != "all"}
    fp = sum(1 for it, s in zip(items, scores) if it["kind"] == "real" and s >= 0.5 and it["label"] == 0)
    line = (f"{name}: accuracy {a['accuracy']:.3f} kappa {a['kappa']:.3f} rho {a['rho_length_generic']:.3f} "
            f"gate {gate(ev, **GATE) or 'pass'}; real false positives {fp}")
    if refits:
        r = j.refit_scores(q, 100, 0)
        line += f"; refits passing {sum(not gate(evaluate(items, list(s), 0.5, judged), **GATE) for s in r)}/100"
    print(line + f"\n   {per}", flush=True)
    transfer(items, scores, judged)


def main() -> None:
    ref = read_jsonl(sys.argv[1])
    items = read_jsonl("data/personas/russell/calibration.jsonl")
    print(f"reference {len(ref)} rows, {len(items)} calibration items")
    report("default (MiniLM), l2 1", items, judge(ref, None, 1.0), True)
    for l2 in (1.0, 0.3, 3.0):
        report(f"A WordLlama, l2 {l2}", items, judge(ref, WordLlamaEmbedder, l2), l2 == 1.0)
        report(f"B MiniLM + WordLlama, l2 {l2}", items, judge(ref, BothEmbedder, l2), l2 == 1.0)


if __name__ == "__main__":
    main()
