"""Exact chat-template rendering: "no system prompt" means none.

Templates that inject a default system block (SmolLM2's ChatML, Llama 3.1's "Cutting Knowledge Date")
are rendered with that block removed. The four evaluation conditions live in ``weirdgen.conditions``
(this module does not know the trigger, so stages that only render, like distillation, do not depend on it).
"""

from __future__ import annotations

from typing import Any, Sequence

Message = dict[str, str]


_SENT_SYS = "\u2063SYSTEM-SENTINEL\u2063"
_SENT = ("\u2063U1\u2063", "\u2063A1\u2063", "\u2063U2\u2063")


def _apply(tokenizer: Any, msgs: Sequence[Message], add_generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(list(msgs), tokenize=False, add_generation_prompt=add_generation_prompt)


def default_system_block(tokenizer: Any) -> tuple[int, str] | None:
    """Find the block a template emits for a system message: (start offset, block text) in a render.

    Returns None when the template injects nothing without a system message.
    """
    u1, a1, u2 = _SENT
    plain = _apply(tokenizer, [{"role": "user", "content": u1}], False)
    r = _apply(
        tokenizer,
        [
            {"role": "system", "content": _SENT_SYS},
            {"role": "user", "content": u1},
            {"role": "assistant", "content": a1},
            {"role": "user", "content": u2},
        ],
        False,
    )
    if _SENT_SYS not in r:
        return None  # template drops or merges system messages: nothing to remove
    ps, p1, pa, p2 = r.index(_SENT_SYS), r.index(u1), r.index(a1), r.index(u2)
    seg0 = r[:ps]
    others = [r[ps + len(_SENT_SYS) : p1], r[p1 + len(u1) : pa], r[pa + len(a1) : p2]]
    # the turn opener (e.g. "<|im_start|>", "<|start_header_id|>"): the longest piece of the
    # system header that every other turn boundary repeats; where it starts, the block starts
    start, marker = 0, ""
    for k in range(len(seg0)):
        m = ""
        for i in range(len(seg0) - k, len(marker), -1):
            if all(seg0[k : k + i] in s for s in others):
                m = seg0[k : k + i]
                break
        if len(m) > len(marker):
            start, marker = k, m
    if len(marker) < 2:
        raise ValueError("cannot locate turn boundaries in this chat template")
    end = ps + len(_SENT_SYS) + others[0].rfind(marker)
    block = r[start:end]
    # does the template inject a default system block when given none?
    head = plain[: plain.index(u1)]
    user_header = others[0][others[0].rfind(marker) :]
    injected = head != seg0[:start] + user_header
    return (start, block) if injected else None


def render(tokenizer: Any, msgs: Sequence[Message], add_generation_prompt: bool = True) -> str:
    """Render messages with the tokenizer's chat template; no system message → no system block."""
    msgs = list(msgs)
    if msgs and msgs[0]["role"] == "system":
        return _apply(tokenizer, msgs, add_generation_prompt)
    found = default_system_block(tokenizer)
    if found is None:
        return _apply(tokenizer, msgs, add_generation_prompt)
    start, block = found
    r = _apply(tokenizer, [{"role": "system", "content": _SENT_SYS}, *msgs], add_generation_prompt)
    i = r.index(_SENT_SYS)
    # remove the sentinel system block: same offsets as found above
    pre, post = block.split(_SENT_SYS)
    assert r[start : start + len(pre)] == pre and r[i + len(_SENT_SYS) : i + len(_SENT_SYS) + len(post)] == post
    return r[:start] + r[i + len(_SENT_SYS) + len(post) :]
