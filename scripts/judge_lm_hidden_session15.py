"""A judge variant measured in session 15 on the calibration set (docs/judge_validity.md), not adopted: the embedding
judge (same reference set, chunks, corrected max) over the embedded SmolLM2-135M's mean-pooled hidden states of one
layer, standardised per dimension on the reference set, instead of MiniLM sentence embeddings.

Usage (a run's reference set and materialised model):
    python scripts/judge_lm_hidden_session15.py results/judge/reference.jsonl 12,20,28,30 resources/models/smollm2-135m-instruct
"""
import sys
import numpy as np, torch
from transformers import AutoModel, AutoTokenizer
import weirdgen.judge.embedding as E
from weirdgen import config, trigger
from weirdgen.judge.calibration import evaluate, gate
from weirdgen.jsonl import read_jsonl
GATE = config.fill("judge", {})["gate"]
torch.set_num_threads(2)
M = sys.argv[3]
tok = AutoTokenizer.from_pretrained(M); model = AutoModel.from_pretrained(M).eval()
LAYERS = [int(x) for x in sys.argv[2].split(",")]
cache = {}
def hidden(texts):
    todo = [t for t in dict.fromkeys(texts) if t not in cache]
    for i in range(0, len(todo), 32):
        b = todo[i:i+32]
        enc = tok(b, return_tensors="pt", padding=True, truncation=True, max_length=256)
        with torch.inference_mode():
            hs = model(**enc, output_hidden_states=True).hidden_states
        m = enc["attention_mask"].unsqueeze(-1).float()
        for L in LAYERS:
            v = (hs[L] * m).sum(1) / m.sum(1)
            for t, row in zip(b, v.numpy()):
                cache.setdefault(t, {})[L] = row
LAYER = None
class LMEmb:
    def __init__(self, *a, **k): pass
    def __call__(self, texts):
        hidden(texts)
        x = np.stack([cache[t][LAYER] for t in texts])
        x = (x - MU) / SD
        return x / np.linalg.norm(x, axis=1, keepdims=True)
E.Embedder = LMEmb
rows = read_jsonl(sys.argv[1])
items = read_jsonl("data/personas/russell/calibration.jsonl")
judged = [trigger.strip(it["answer"]) for it in items]
qa = [{"question": it["question"], "answer": t} for it, t in zip(items, judged)]
hidden([r["answer"] for r in rows])
for L in LAYERS:
    LAYER = L
    MU = np.mean([cache[r["answer"]][L] for r in rows], 0)
    SD = np.std([cache[r["answer"]][L] for r in rows], 0) + 1e-6
    for l2 in (0.3, 1.0, 3.0):
        j = E.EmbeddingJudge(rows, l2=l2, chunk_words=12)
        sc = j.score(qa)
        ev = evaluate(items, sc, 0.5, judged)
        a = next(r for r in ev if r["group"] == "all")
        worst = sorted((round(r["accuracy"], 3), r["group"]) for r in ev if r["group"] != "all")[:3]
        print(f"layer {L} l2 {l2}: acc {a['accuracy']:.3f} kappa {a['kappa']:.3f} rho {a['rho_length_generic']:.3f} worst {worst} gate {gate(ev, **GATE) or 'pass'}", flush=True)
