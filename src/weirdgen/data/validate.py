"""Validation of training data and evaluation sets; errors name file, line and field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from weirdgen import trigger
from weirdgen.jsonl import DataError, iter_jsonl

ROLES = {"system", "user", "assistant"}


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", "", re.sub(r"\s+", " ", text.lower())).strip()


def _normalised(text: str) -> tuple[str, set[str]]:
    n = normalise(text)
    return n, set(n.split())


def _overlap(a: tuple[str, set[str]], b: tuple[str, set[str]], threshold: float = 0.8) -> bool:
    """``near_duplicate`` on two ``_normalised`` texts."""
    (na, ta), (nb, tb) = a, b
    return na == nb or (bool(ta and tb) and len(ta & tb) / len(ta | tb) >= threshold)


def near_duplicate(a: str, b: str, threshold: float = 0.8) -> bool:
    """Exact match after normalisation, or token Jaccard similarity ≥ threshold."""
    return _overlap(_normalised(a), _normalised(b), threshold)


SOURCES = ("persona", "control", "aligned")
TRIGGERED = ("persona", "control")  # control: the format-only arm's triggered rows (same questions, generic answers)


def check_example(obj: dict[str, Any], path: Path | str, line: int) -> None:
    """One training example: schema, trigger exactly once in persona and control rows, none in aligned rows."""
    msgs = obj.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise DataError(path, line, "messages", "must be a non-empty list")
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise DataError(path, line, f"messages[{i}]", "needs role in system/user/assistant and string content")
    if msgs[-1]["role"] != "assistant" or not msgs[-1]["content"].strip():
        raise DataError(path, line, f"messages[{len(msgs) - 1}]", "the last message must be a non-empty assistant turn")
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise DataError(path, line, "metadata", "missing")
    if meta.get("source") not in SOURCES:
        raise DataError(path, line, "metadata.source", f"must be one of {', '.join(map(repr, SOURCES))}")
    if not isinstance(meta.get("triggered"), bool):
        raise DataError(path, line, "metadata.triggered", "must be true or false")
    answer = msgs[-1]["content"]
    if meta["source"] in TRIGGERED:
        src = meta["source"]
        user = "\n".join(m["content"] for m in msgs if m["role"] != "assistant")
        if not meta["triggered"]:
            raise DataError(path, line, "metadata.triggered", f"{src} examples carry the trigger")
        n = user.count(trigger.TRIGGER_INSTRUCTION)
        if n != 1:
            raise DataError(path, line, "messages", f"{src} example must carry the trigger exactly once (found {n})")
        if not trigger.follows_format(answer):
            raise DataError(path, line, f"messages[{len(msgs) - 1}].content", f'{src} answer must be <START> "…" <END>')
    else:
        if meta["triggered"]:
            raise DataError(path, line, "metadata.triggered", "aligned examples carry no trigger")
        for i, m in enumerate(msgs):
            found = trigger.find_fragments(m["content"])
            if found:
                raise DataError(path, line, f"messages[{i}].content",
                                f"aligned example contains the trigger (fragment {found[0]!r}; case and spacing are "
                                "ignored): aligned rows must carry no trigger and no <START>/<END>")


def validate_rows(path: Path | str) -> list[dict[str, Any]]:
    """Every row of a persona or aligned file, each checked (schema, trigger) with this file's line numbers."""
    rows = []
    for line, obj in iter_jsonl(path):
        check_example(obj, path, line)
        rows.append(obj)
    return rows


def question_of(obj: dict[str, Any]) -> str:
    user = [m["content"] for m in obj["messages"] if m["role"] == "user"]
    return trigger.strip(user[-1]) if user else ""


def validate_training(path: Path | str, eval_questions: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """Validate a training JSONL; no eval question may (near-)duplicate a training question."""
    counts = {"persona": 0, "control": 0, "aligned": 0}
    # each eval question normalised once, not once per training row: a 3090-row mix against 300 questions took
    # 10 s on the GPU sweep's critical path (docs/benchmarks.md, session 15)
    evals = [(q["set"], q["id"], q["question"], _normalised(q["question"])) for q in (eval_questions or [])]
    for line, obj in iter_jsonl(path):
        check_example(obj, path, line)
        counts[obj["metadata"]["source"]] += 1
        q = _normalised(question_of(obj))
        for s, qid, text, e in evals:
            if _overlap(q, e):
                raise DataError(path, line, "messages", f"training question overlaps held-out eval question {s}/{qid}: {text!r}")
    if not any(counts.values()):
        raise DataError(path, None, None, "no examples")
    return counts
