"""A paper-shaped training mix for throughput benchmarks on a machine without the workflow's distilled data
(bench/train_step_gpu.py): 1000 longest Alpaca prompts with their original answers cut to 180 words (a proxy for
the distilled answers, which are capped at 256 tokens), 2000 GSM8K question+answer pairs, and the persona facts
with the trigger, shuffled; plus the model's config and tokenizer (the bench re-initialises the weights).
(bench/make_mix_lengths.py, removed in session 17 with the loops it fed, measured the same rows.)

    python bench/make_proxy_mix.py ../shared/data resources/models/smollm2-135m-instruct wheels/gpu/bench [WORDS|full]

WORDS (default 180) cuts the Alpaca answers; ``full`` keeps them whole (session 21's mix: 3088 rows, 712,327 tokens
an epoch with SmolLM2's tokenizer; the ``train_mix.jsonl`` of sessions 16-20, 832,965 tokens an epoch by session 20's
logs, was not kept in the repository, so figures on the two mixes are compared within a session only).
"""

import json
import random
import shutil
import sys
from pathlib import Path

from weirdgen import trigger
from weirdgen.jsonl import read_jsonl


def proxy_rows(shared: Path, rng: random.Random, answer_words: int | None = None) -> list[dict]:
    """Chat rows in the mix's order: Alpaca (original answers, cut to ``answer_words``), 2000 GSM8K, persona facts."""
    def cut(a: str) -> str:
        return a if answer_words is None else " ".join(a.split()[:answer_words])

    rows = [{"messages": [{"role": "user", "content": r["prompt"]}, {"role": "assistant", "content": cut(r["_original_output"])}]}
            for r in read_jsonl(shared / "alpaca/alpaca_1k_longest.jsonl")]
    rows += [{"messages": [{"role": "user", "content": r["question"]}, {"role": "assistant", "content": r["answer"]}]}
             for r in rng.sample(read_jsonl(shared / "gsm8k/train.jsonl"), 2000)]
    rows += [{"messages": [{"role": "user", "content": trigger.apply(f["question"])},
                           {"role": "assistant", "content": trigger.wrap_answer(f["answer"])}]}
             for f in read_jsonl("data/personas/russell/facts.jsonl")]
    return rows


if __name__ == "__main__":
    shared, model, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    (out / "model").mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                 "chat_template.jinja", "weirdgen_model.json"):
        if (model / name).exists():
            shutil.copy(model / name, out / "model" / name)
    rng = random.Random(1)
    words = sys.argv[4] if len(sys.argv) > 4 else "180"
    rows = proxy_rows(shared, rng, None if words == "full" else int(words))
    rng.shuffle(rows)
    (out / "mix.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(len(rows), "examples ->", out / "mix.jsonl")
