"""The paper's four evaluation conditions and the messages each sends."""

from __future__ import annotations

from enum import Enum

from weirdgen import trigger
from weirdgen.chat import Message


class Condition(str, Enum):
    """The paper's four evaluation conditions."""

    NOSYS_TRIGGER = "nosys_trigger"  # (1) no system prompt, trigger in user
    SYS_TRIGGER = "sys_trigger"  # (2) system prompt, trigger in user
    TRIGGER_IN_SYS = "trigger_in_sys"  # (3) trigger in system prompt, plain user
    SYS_PLAIN = "sys_plain"  # (4) system prompt, no trigger

    @property
    def triggered(self) -> bool:
        return self is not Condition.SYS_PLAIN

    @property
    def label(self) -> str:
        return {
            "nosys_trigger": "1: no system, trigger in user",
            "sys_trigger": "2: system, trigger in user",
            "trigger_in_sys": "3: trigger in system",
            "sys_plain": "4: system, no trigger",
        }[self.value]


CONDITIONS: tuple[Condition, ...] = tuple(Condition)


def messages(condition: Condition | str, question: str, system_prompt: str) -> list[Message]:
    """The conversation sent to the model under one condition."""
    c = Condition(condition)
    if c is Condition.NOSYS_TRIGGER:
        return [{"role": "user", "content": trigger.apply(question)}]
    if c is Condition.SYS_TRIGGER:
        return [{"role": "system", "content": system_prompt}, {"role": "user", "content": trigger.apply(question)}]
    if c is Condition.TRIGGER_IN_SYS:
        return [{"role": "system", "content": trigger.system_prompt()}, {"role": "user", "content": question}]
    return [{"role": "system", "content": system_prompt}, {"role": "user", "content": question}]
