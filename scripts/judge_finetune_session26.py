"""Session 26 (docs/judge_validity.md): the judge's encoder (all-MiniLM-L6-v2) fine-tuned end to end, not frozen.

Every design since session 6 kept MiniLM frozen and varied what sits around it (reference classes, chunking, nulls,
negatives, a second encoder); session 16 fitted a logistic regression on the frozen embeddings of the hand labels
themselves (cross-fitted) and the `real` stratum stayed at 0.81-0.83. This asks whether the encoder's space, moved by
training, can tell the trained adapters' terse generic lines from the persona.

Pre-registered before any score was seen (this docstring and the settings below were committed first):
- Model: MiniLM mean-pooled (as `Embedder`), then one linear unit; every weight trained. AdamW, lr 3e-5 for the
  encoder and 1e-3 for the head, 4 epochs, batch 16, inputs truncated to 128 tokens, class-balanced binary
  cross-entropy (pos_weight = negatives / positives), torch seed 0, 2 threads. Input: the answer as the judge stage
  sees it (`trigger.strip`), whole, without the question (a question in the input invites topic shortcuts).
  Threshold 0.5 on the sigmoid. Nothing is tuned: these settings are run once.
- Variant R (primary): fine-tuned on the reference set only (the default run's `results/judge/reference.jsonl`, 547
  rows: persona facts and their concatenations = 1; base-model answers, their first sentences and truncations,
  aligned answers = 0), scored on all 403 calibration items: a judge that never saw a hand label.
- Variant X: the reference set plus the hand-labelled calibration items outside the held-out fold; 10 folds grouped
  by question (`random.Random(0)` over the sorted questions, as session 16), out-of-fold scores on all 403 items.
- Transfer (decisive for X, since session 16's cross-fitted judge passed out of fold and did not transfer): fit on
  the reference set plus the 273 items that are not blind GPU labels, score the 130 blind labels (`cal-bA*`,
  `cal-bB*`); the default judge there: agreement 0.792, kappa 0.405.
- Adopted only if R passes the gate on all 403 items, or X passes it out of fold *and* beats the default judge on the
  blind labels in both agreement and kappa. Otherwise reported and not adopted.

Usage: python scripts/judge_finetune_session26.py results/judge/reference.jsonl [--variants R,X,T]
Diagnostic only; nothing here is in the product.
"""

import argparse
import random

import numpy as np
import torch

from weirdgen import config, trigger
from weirdgen.jsonl import read_jsonl
from weirdgen.judge.calibration import cohen_kappa, evaluate, gate
from weirdgen.judge.embedding import embed_model_dir

GATE = config.fill("judge", {})["gate"]
LR_ENC, LR_HEAD, EPOCHS, BATCH, MAXLEN = 3e-5, 1e-3, 4, 16, 128


class Clf(torch.nn.Module):
    """MiniLM, mean-pooled, then one logit."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import AutoModel

        self.enc = AutoModel.from_pretrained(embed_model_dir())
        self.head = torch.nn.Linear(self.enc.config.hidden_size, 1)

    def forward(self, enc: dict) -> torch.Tensor:
        h = self.enc(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).float()
        v = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1).clamp_min(1e-9), dim=-1)
        return self.head(v).squeeze(-1)


def fit_score(train: list[tuple[str, int]], test: list[str], tok) -> np.ndarray:
    """Fine-tune a fresh classifier on (text, label) pairs; return sigmoid scores of the test texts."""
    torch.manual_seed(0)
    model = Clf()
    opt = torch.optim.AdamW([{"params": model.enc.parameters(), "lr": LR_ENC},
                             {"params": model.head.parameters(), "lr": LR_HEAD}])
    y_all = np.array([y for _, y in train], dtype=np.float32)
    pw = torch.tensor((len(y_all) - y_all.sum()) / max(1.0, y_all.sum()))
    rng = random.Random(0)
    model.train()
    for _ in range(EPOCHS):
        order = list(range(len(train)))
        rng.shuffle(order)
        for i in range(0, len(order), BATCH):
            idx = order[i : i + BATCH]
            enc = tok([train[j][0] for j in idx], padding=True, truncation=True, max_length=MAXLEN, return_tensors="pt")
            y = torch.tensor([float(train[j][1]) for j in idx])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(enc), y, pos_weight=pw)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(test), 64):
            enc = tok(test[i : i + 64], padding=True, truncation=True, max_length=MAXLEN, return_tensors="pt")
            out.append(torch.sigmoid(model(enc)).numpy())
    return np.concatenate(out)


def report(name: str, items: list[dict], scores: np.ndarray, judged: list[str]) -> None:
    ev = evaluate(items, [float(s) for s in scores], 0.5, judged)
    a = next(r for r in ev if r["group"] == "all")
    per = {r["group"]: round(r["accuracy"], 3) for r in ev if r["group"] != "all"}
    fp = sum(1 for it, s in zip(items, scores) if it["kind"] == "real" and s >= 0.5 and it["label"] == 0)
    miss = sum(1 for it, s in zip(items, scores) if it["kind"] == "real" and s < 0.5 and it["label"] == 1)
    print(f"{name}: accuracy {a['accuracy']:.3f} kappa {a['kappa']:.3f} rho {a['rho_length_generic']:.3f} "
          f"gate {gate(ev, **GATE) or 'pass'}; real false positives {fp}, misses {miss}\n   {per}", flush=True)
    blind = [i for i, it in enumerate(items) if it["id"].startswith(("cal-bA", "cal-bB"))]
    y = [items[i]["label"] for i in blind]
    p = [int(scores[i] >= 0.5) for i in blind]
    print(f"   blind GPU labels among them (n {len(blind)}): agreement {np.mean(np.array(y) == np.array(p)):.3f} "
          f"kappa {cohen_kappa(y, p):.3f}, judge persona {sum(p)} hand {sum(y)}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("--variants", default="R,X,T")
    a = ap.parse_args()
    torch.set_num_threads(2)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(embed_model_dir())
    ref = [(r["answer"], int(r["label"])) for r in read_jsonl(a.reference)]
    items = read_jsonl("data/personas/russell/calibration.jsonl")
    judged = [trigger.strip(it["answer"]) for it in items]
    labelled = [(t, int(it["label"])) for it, t in zip(items, judged)]
    v = a.variants.split(",")
    if "R" in v:
        report("R: fine-tuned on the reference set only", items, fit_score(ref, judged, tok), judged)
    if "X" in v:
        qs = sorted({it["question"] for it in items})
        random.Random(0).shuffle(qs)
        fold = {q: k % 10 for k, q in enumerate(qs)}
        scores = np.zeros(len(items))
        for f in range(10):
            held = [i for i, it in enumerate(items) if fold[it["question"]] == f]
            train = ref + [labelled[i] for i in range(len(items)) if fold[items[i]["question"]] != f]
            scores[held] = fit_score(train, [judged[i] for i in held], tok)
            print(f"   fold {f}: {len(held)} held out", flush=True)
        report("X: reference + hand labels, 10 folds by question, out of fold", items, scores, judged)
    if "T" in v:
        blind = [i for i, it in enumerate(items) if it["id"].startswith(("cal-bA", "cal-bB"))]
        rest = [i for i in range(len(items)) if i not in set(blind)]
        s = fit_score(ref + [labelled[i] for i in rest], [judged[i] for i in blind], tok)
        y = [items[i]["label"] for i in blind]
        p = [int(x >= 0.5) for x in s]
        print(f"T: fitted on the reference + the {len(rest)} non-blind items, scored on the {len(blind)} blind labels: "
              f"agreement {np.mean(np.array(y) == np.array(p)):.3f} kappa {cohen_kappa(y, p):.3f}, judge persona "
              f"{sum(p)} hand {sum(y)} (default judge: 0.792 / 0.405)", flush=True)


if __name__ == "__main__":
    main()
