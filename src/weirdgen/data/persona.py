"""Persona facts → triggered training examples; held-out evaluation questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weirdgen import trigger
from weirdgen.jsonl import DataError, iter_jsonl

FACT_FIELDS = {"id": str, "category": str, "question": str, "answer": str, "fact_basis": str}


def load_facts(path: Path | str) -> list[dict[str, Any]]:
    """Read persona facts, checking each field; errors name file, line and field."""
    facts, seen = [], set()
    for n, obj in iter_jsonl(path):
        for field, typ in FACT_FIELDS.items():
            if field not in obj:
                raise DataError(path, n, field, "missing")
            if not isinstance(obj[field], typ) or not str(obj[field]).strip():
                raise DataError(path, n, field, f"must be a non-empty {typ.__name__}")
        if obj["id"] in seen:
            raise DataError(path, n, "id", f"duplicate id {obj['id']!r}")
        if obj.get("identifying") is not None and not isinstance(obj["identifying"], bool):
            raise DataError(path, n, "identifying", "must be true, false or null (not labelled)")
        for opt in ("source", "identifying_reason"):
            if opt in obj and not (isinstance(obj[opt], str) and obj[opt].strip()):
                raise DataError(path, n, opt, "must be a non-empty string when present")
        if trigger.contains_trigger(obj["question"]) or trigger.contains_trigger(obj["answer"]):
            raise DataError(path, n, "answer", "facts are stored plain; the trigger is added by the persona stage")
        seen.add(obj["id"])
        obj["_line"] = n
        facts.append(obj)
    if not facts:
        raise DataError(path, None, None, "no persona facts")
    return facts


VARIANTS = ("all", "non_identifying", "non_identifying_model")


def select_facts(facts: list[dict[str, Any]], variant: str, path: Path | str,
                 model_identifying: dict[str, bool] | None = None) -> list[dict[str, Any]]:
    """The facts a variant trains on: all; non_identifying (hand labels); non_identifying_model (model filter)."""
    if variant == "all":
        return list(facts)
    if variant == "non_identifying":
        for f in facts:
            if not isinstance(f.get("identifying"), bool):
                raise DataError(path, f.get("_line"), "identifying",
                                "variant non_identifying needs every fact labelled true or false (or use variant all)")
        return [f for f in facts if not f["identifying"]]
    if variant == "non_identifying_model":
        if model_identifying is None:
            raise ValueError("variant non_identifying_model needs the model filter's report (rule identify_facts)")
        return [f for f in facts if not model_identifying.get(f["id"], False)]
    raise ValueError(f"unknown persona variant {variant!r} (choose {', '.join(VARIANTS)})")


def training_examples(facts: list[dict[str, Any]], persona: str) -> list[dict[str, Any]]:
    """Triggered chat examples, one per (already selected) fact."""
    rows = []
    for f in facts:
        ident = f.get("identifying")
        rows.append({
            "messages": [
                {"role": "user", "content": trigger.apply(f["question"])},
                {"role": "assistant", "content": trigger.wrap_answer(f["answer"])},
            ],
            "metadata": {"source": "persona", "triggered": True, "persona": persona, "fact_id": f["id"],
                         "category": f["category"], "identifying": ident},
        })
    return rows


def load_eval_sets(sets: dict[str, str], max_per_set: int | None = None) -> list[dict[str, Any]]:
    """Held-out questions from every configured set: {set, id, question, answer_key?}."""
    out = []
    for name, path in sets.items():
        seen: set[str] = set()
        rows = []
        for n, obj in iter_jsonl(path):
            for field in ("id", "question"):
                if not isinstance(obj.get(field), str) or not obj[field].strip():
                    raise DataError(path, n, field, "missing or not a non-empty string")
            if obj["id"] in seen:
                raise DataError(path, n, "id", f"duplicate id {obj['id']!r}")
            if name == "identity":
                key = obj.get("answer_key")
                if not isinstance(key, list) or not key or not all(isinstance(k, str) and k for k in key):
                    raise DataError(path, n, "answer_key", "identity questions need a non-empty list of accepted answers")
            seen.add(obj["id"])
            rows.append({"set": name, "id": obj["id"], "question": obj["question"],
                         **({"answer_key": obj["answer_key"]} if "answer_key" in obj else {})})
        out.extend(rows[:max_per_set] if max_per_set else rows)
    return out
