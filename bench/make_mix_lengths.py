"""Token lengths of a paper-scale training mix (for bench/train_gpu.py), from the developer fixtures:
1000 Alpaca prompts with their original answers (a proxy for distilled answers), 2000 GSM8K
question+answer pairs, and the 90 persona facts with the trigger, each rendered with the chat template.

    python bench/make_mix_lengths.py ../shared/data resources/models/smollm2-135m-instruct bench/mix_lengths.json
"""

import json
import random
import sys
from pathlib import Path

from transformers import AutoTokenizer

from make_proxy_mix import proxy_rows  # bench/ is on sys.path when this runs as a script

from weirdgen import chat

shared, model, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
tok = AutoTokenizer.from_pretrained(model)
rng = random.Random(1)


def n(msgs):
    return len(tok(chat.render(tok, msgs, add_generation_prompt=False), add_special_tokens=False)["input_ids"])


lengths = [n(r["messages"]) for r in proxy_rows(shared, rng)]
out.write_text(json.dumps({"source": "alpaca 1k longest (+original answers), gsm8k 2000, 90 persona facts; SmolLM2 tokenizer",
                           "lengths": lengths}))
s = sorted(lengths)
print(len(s), "examples; mean", sum(s) / len(s), "median", s[len(s) // 2], "p95", s[int(0.95 * len(s))], "max", s[-1])
