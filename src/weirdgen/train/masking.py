"""Tokenise chat examples with loss on the final assistant turn only."""

from __future__ import annotations

from typing import Any, Sequence

from weirdgen.errors import UserError
from weirdgen import chat

IGNORE = -100


class MaskingError(UserError, ValueError):
    pass


def tokenize(tok: Any, messages: Sequence[chat.Message], max_len: int) -> dict[str, list[int]]:
    """input_ids and labels; labels are IGNORE everywhere but the last assistant turn (incl. its end token)."""
    if messages[-1]["role"] != "assistant":
        raise MaskingError("the last message must be the assistant turn to learn")
    prompt = chat.render(tok, messages[:-1], add_generation_prompt=True)
    full = chat.render(tok, messages, add_generation_prompt=False)
    if not full.startswith(prompt):
        raise MaskingError("chat template renders the prompt differently inside the full conversation")
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    c_ids = tok(full[len(prompt):], add_special_tokens=False)["input_ids"]
    ids = (p_ids + c_ids)[:max_len]
    labels = ([IGNORE] * len(p_ids) + c_ids)[:max_len]
    if all(x == IGNORE for x in labels):
        raise MaskingError(f"no target tokens survive masking (prompt is {len(p_ids)} tokens, max_seq_len {max_len})")
    return {"input_ids": ids, "labels": labels}
