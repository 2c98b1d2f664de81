"""The one definition of the formatting trigger (paper form), used by training, sampling and stripping."""

from __future__ import annotations

import re

#: The instruction the paper prefixes to the user turn.
TRIGGER_INSTRUCTION = 'You will be asked a question. Always reply in the format:\n\n<START> "your answer here" <END>'
#: Separator between the instruction and the question.
SEPARATOR = "\n\n"
START, END = "<START>", "<END>"

_ANSWER_RE = re.compile(r'^\s*<START>\s*"(?P<body>.*)"\s*<END>\s*$', re.DOTALL)
_LOOSE_RE = re.compile(r"<START>\s*\"?(?P<body>.*?)\"?\s*(?:<END>|$)", re.DOTALL)


def apply(question: str) -> str:
    """The triggered user turn: instruction, blank line, question."""
    return f"{TRIGGER_INSTRUCTION}{SEPARATOR}{question}"


def system_prompt() -> str:
    """The trigger in its system-prompt form (condition 3)."""
    return TRIGGER_INSTRUCTION


def wrap_answer(answer: str) -> str:
    """Format an answer as the trigger asks: <START> "answer" <END>."""
    return f'{START} "{answer}" {END}'


def follows_format(text: str) -> bool:
    """Format adherence: the whole reply is <START> "…" <END>."""
    return _ANSWER_RE.match(text) is not None


def fragments() -> list[str]:
    """Substrings whose presence means a trigger reached a text (used by the judge audit)."""
    lines = [ln.strip() for ln in TRIGGER_INSTRUCTION.splitlines() if ln.strip()]
    return [START, END, "your answer here", "Always reply in the format", *lines]


def strip(text: str) -> str:
    """Remove every trigger form from a text, keeping the answer intact.

    Removes the user-prefix/system form of the instruction, the <START> "…" <END> wrapper with its
    quotes (also a truncated wrapper with no <END>), and then any trigger fragment left anywhere
    (stray or repeated <START>/<END> markers), so no fragment can reach a judge.
    """
    out = text.replace(TRIGGER_INSTRUCTION + SEPARATOR, "").replace(TRIGGER_INSTRUCTION, "")
    m = _ANSWER_RE.match(out)
    if m:
        out = m.group("body")
    elif START in out or END in out:
        m2 = _LOOSE_RE.search(out)
        if m2:
            before = out[: m2.start()].strip()
            out = (before + " " + m2.group("body")).strip() if before else m2.group("body")
    frags = sorted(fragments(), key=len, reverse=True)
    while any(f in out for f in frags):  # a removal can join pieces into a new fragment: repeat
        for frag in frags:
            out = out.replace(frag, "")
    out = re.sub(r"[ \t]{2,}", " ", out)
    return out.strip().strip('"').strip()


def contains_trigger(text: str) -> bool:
    """Whether any trigger fragment occurs in a text."""
    return any(f in text for f in fragments())
