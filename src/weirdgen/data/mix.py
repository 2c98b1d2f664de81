"""Seeded mixing of triggered persona examples into aligned examples at a persona fraction."""

from __future__ import annotations

import random
from typing import Any


def n_persona_for(fraction: float, n_aligned: int) -> int:
    """Persona examples so that persona / (persona + aligned) ≈ fraction."""
    return max(1, round(fraction * n_aligned / (1.0 - fraction)))


def mix(persona: list[dict[str, Any]], aligned: list[dict[str, Any]], fraction: float, seed: int,
        n_aligned: int | None = None) -> list[dict[str, Any]]:
    """Train set: aligned (optionally a seeded subset) + persona examples at the fraction, shuffled.

    If the fraction needs more persona examples than there are facts, every fact is used
    once per full pass and the remainder is a seeded sample, so no fact is over-represented.
    """
    rng = random.Random(seed)
    if n_aligned is not None:
        if n_aligned > len(aligned):
            raise ValueError(f"mix.n_aligned={n_aligned} but only {len(aligned)} aligned examples were distilled")
        aligned = rng.sample(aligned, n_aligned)
    k = n_persona_for(fraction, len(aligned))
    reps, rest = divmod(k, len(persona))
    chosen = persona * reps + rng.sample(persona, rest)
    rows = list(aligned) + chosen
    rng.shuffle(rows)
    return rows
