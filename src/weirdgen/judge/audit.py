"""Judge hygiene: no judge input may contain any trigger fragment, in any case or spacing."""

from __future__ import annotations

from typing import Iterable

from weirdgen.errors import UserError
from weirdgen import trigger


class HygieneError(UserError, RuntimeError):
    pass


def audit(inputs: Iterable[tuple[str, str]]) -> dict[str, object]:
    """Check (key, judge input) pairs; raise HygieneError listing offenders, else return the audit record."""
    n, bad = 0, []
    for key, text in inputs:
        n += 1
        hits = trigger.find_fragments(text)
        if hits:
            bad.append({"key": key, "fragments": hits})
    rec = {"checked": n, "clean": n - len(bad), "fragments": trigger.fragments()}
    if bad:
        raise HygieneError(f"{len(bad)} of {n} judge inputs contain trigger fragments, e.g. {bad[:3]}")
    return rec
