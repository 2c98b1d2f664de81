"""Rule judges: identity answer keys with accepted variants; persona keywords; format regex."""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from weirdgen import trigger


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s.,]", " ", s.lower())).strip()


def identity_match(answer: str, accepted: Sequence[str]) -> bool:
    """Whether the answer contains any accepted variant as whole words (case-insensitive)."""
    a = f" {_norm(answer)} "
    return any(re.search(r"(?<!\w)" + re.escape(_norm(k)) + r"(?!\w)", a) for k in accepted)


def format_ok(raw_text: str) -> bool:
    return trigger.follows_format(raw_text)


class KeywordJudge:
    """Persona present if any configured phrase occurs (a transparent, weak baseline)."""

    name = "rules"

    def __init__(self, keywords: Sequence[str]) -> None:
        if not keywords:
            raise ValueError("judge.persona: rules needs judge.persona_keywords")
        self.keywords = [k.lower() for k in keywords]

    def score(self, items: Sequence[Mapping[str, str]]) -> list[float]:
        return [1.0 if any(k in it["answer"].lower() for k in self.keywords) else 0.0 for it in items]


class MetaRulesJudge:
    """"Answers as an AI model": any configured regular expression matches (case-insensitive)."""

    name = "rules"

    def __init__(self, patterns: Sequence[str]) -> None:
        if not patterns:
            raise ValueError("judge.meta: rules needs judge.meta_patterns")
        self.patterns = [re.compile(p, re.IGNORECASE) for p in patterns]

    def score(self, items: Sequence[Mapping[str, str]]) -> list[float]:
        return [1.0 if any(p.search(it["answer"]) for p in self.patterns) else 0.0 for it in items]


class IdentityRulesJudge:
    """Identity by answer keys; ``key`` holds the accepted variants joined by " | "."""

    name = "rules"

    def score(self, items: Sequence[Mapping[str, str]]) -> list[float]:
        return [1.0 if identity_match(it["answer"], it["key"].split(" | ")) else 0.0 for it in items]
