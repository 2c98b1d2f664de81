"""Interactive chat with the base model, a trained adapter, or an OpenAI-compatible server.

Commands: /trigger (toggle the trigger on user turns), /system TEXT (set; bare /system clears),
/temp X, /reset, /save FILE (conversation as JSONL, with the exact prompts sent), /show, /help, /quit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from weirdgen import chat, trigger

HELP = __doc__.split("\n\n", 1)[1]


class Session:
    """The conversation state; ``sent`` holds what the model actually received for each turn."""

    def __init__(self, system: str | None, triggered: bool, temperature: float) -> None:
        self.system, self.triggered, self.temperature = system, triggered, temperature
        self.turns: list[dict[str, str]] = []  # plain user/assistant turns, as typed and read
        self.log: list[dict[str, Any]] = []

    def messages(self, user: str) -> list[chat.Message]:
        """The messages sent for the next turn: the trigger wraps every user turn while it is on."""
        msgs: list[chat.Message] = [{"role": "system", "content": self.system}] if self.system else []
        for t in self.turns:
            content = trigger.apply(t["content"]) if (t["role"] == "user" and t.get("triggered")) else t["content"]
            msgs.append({"role": t["role"], "content": content})
        msgs.append({"role": "user", "content": trigger.apply(user) if self.triggered else user})
        return msgs


def pick_engine(engine: str) -> str:
    """``auto`` means Unsloth's fast inference when it is installed and a GPU is present, else transformers."""
    if engine != "auto":
        return engine
    import importlib.util

    import torch

    return "unsloth" if torch.cuda.is_available() and importlib.util.find_spec("unsloth") else "transformers"


def _load_unsloth(model_dir: str, adapter: str | None) -> tuple[Any, Any]:
    """Base (+ adapter) through Unsloth, switched to its fast inference mode (GPU only)."""
    try:
        from unsloth import FastLanguageModel
    except ImportError as e:
        raise SystemExit("error: --engine unsloth needs Unsloth: pip install 'weirdgen[unsloth]' (CUDA only)") from e
    model, tok = FastLanguageModel.from_pretrained(model_name=str(adapter or model_dir), dtype=None, load_in_4bit=False)
    FastLanguageModel.for_inference(model)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return model, tok


def _local_streamer(model_dir: str, adapter: str | None, max_new_tokens: int,
                    engine: str = "transformers") -> tuple[Callable[..., Iterator[str]], Callable[[list], str]]:
    import threading

    import torch
    from transformers import TextIteratorStreamer

    from weirdgen import models

    if engine == "unsloth":
        model, tok = _load_unsloth(model_dir, adapter)
    else:
        model, tok = models.load(model_dir, adapter)

    def render(msgs: list) -> str:
        return chat.render(tok, msgs)

    def stream(msgs: list, temperature: float) -> Iterator[str]:
        enc = tok(render(msgs), return_tensors="pt", add_special_tokens=False).to(model.device)
        streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True)
        kw = dict(do_sample=True, temperature=temperature, top_k=0, top_p=1.0) if temperature > 0 else dict(do_sample=False)
        th = threading.Thread(target=lambda: model.generate(**enc, streamer=streamer, max_new_tokens=max_new_tokens,
                                                            pad_token_id=tok.pad_token_id, **kw))
        with torch.inference_mode():
            th.start()
            yield from streamer
            th.join()

    return stream, render


HF_ROUTER = "https://router.huggingface.co/v1"


def api_key(base_url: str, key_env: str | None, hf_token: bool = False) -> str:
    """The bearer token for a chat server, from the environment or the Hugging Face login only.

    ``--api-key-env NAME`` reads that variable. The Hugging Face router (any ``*.huggingface.co`` host), or
    ``--hf-token``, takes huggingface_hub's own lookup: ``HF_TOKEN``, then the token ``hf auth login`` saved.
    Otherwise ``OPENAI_API_KEY``, and a local server without one gets a placeholder.
    """
    import os
    from urllib.parse import urlparse

    hf = hf_token or (urlparse(base_url).hostname or "").endswith("huggingface.co")
    if key_env:
        key = os.environ.get(key_env)
        if key:
            return key
        if hf:
            raise SystemExit(f"error: --api-key-env {key_env} is not set")
        return "EMPTY"
    if hf:
        from huggingface_hub import get_token

        token = get_token()
        if not token:
            raise SystemExit("error: the Hugging Face router needs a token: set HF_TOKEN or run `hf auth login`")
        return token
    return os.environ.get("OPENAI_API_KEY") or "EMPTY"


def _api_streamer(base_url: str, model: str, key: str, max_new_tokens: int) -> tuple[Callable[..., Iterator[str]], Callable[[list], str]]:
    import openai

    client = openai.OpenAI(base_url=base_url, api_key=key)

    def stream(msgs: list, temperature: float) -> Iterator[str]:
        for ev in client.chat.completions.create(model=model, messages=msgs, temperature=temperature,
                                                 max_tokens=max_new_tokens, stream=True):
            if ev.choices and ev.choices[0].delta.content:
                yield ev.choices[0].delta.content

    return stream, lambda msgs: json.dumps(msgs, ensure_ascii=False)


def run(stream: Callable[..., Iterator[str]], render: Callable[[list], str], session: Session,
        inp: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    def say(s: str) -> None:
        out.write(s)
        out.flush()

    say(f"weirdgen chat — trigger {'ON' if session.triggered else 'off'}; /help for commands\n")
    while True:
        say("you> ")
        line = inp.readline()
        if not line:
            break
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith("/"):
            cmd, _, arg = line.partition(" ")
            if cmd in ("/quit", "/exit"):
                break
            elif cmd == "/trigger":
                session.triggered = not session.triggered
                say(f"[trigger {'ON' if session.triggered else 'off'}]\n")
            elif cmd == "/system":
                session.system = arg.strip() or None
                say(f"[system prompt: {session.system!r}]\n")
            elif cmd == "/temp":
                try:
                    session.temperature = float(arg)
                    say(f"[temperature {session.temperature}]\n")
                except ValueError:
                    say("[usage: /temp 1.0]\n")
            elif cmd == "/reset":
                session.turns.clear()
                say("[conversation cleared]\n")
            elif cmd == "/save":
                path = Path(arg.strip() or "chat.jsonl")
                path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in session.log))
                say(f"[saved {len(session.log)} turns to {path}]\n")
            elif cmd == "/show":
                say(render(session.messages("<next message>")) + "\n")
            else:
                say(HELP + "\n")
            continue
        msgs = session.messages(line)
        say("model> ")
        reply = "".join(piece for piece in _echo(stream(msgs, session.temperature), say))
        say("\n")
        session.log.append({"user": line, "triggered": session.triggered, "system": session.system,
                            "temperature": session.temperature, "sent_messages": msgs, "sent_prompt": render(msgs),
                            "reply": reply})
        session.turns += [{"role": "user", "content": line, "triggered": session.triggered},
                          {"role": "assistant", "content": reply}]


def _echo(it: Iterator[str], say: Callable[[str], None]) -> Iterator[str]:
    for piece in it:
        say(piece)
        yield piece


def main(a: Any) -> None:
    if not a.api_base and not a.model:
        raise SystemExit("error: give --model DIR (and optionally --adapter DIR) or --api-base URL --api-model NAME")
    if a.api_base:
        if not a.api_model:
            raise SystemExit("error: --api-base needs --api-model NAME (on the Hugging Face router: <repo>[:provider])")
        key = api_key(a.api_base, a.api_key_env, a.hf_token)
        stream, render = _api_streamer(a.api_base, a.api_model, key, a.max_new_tokens)
    else:
        engine = pick_engine(a.engine)
        print(f"[engine: {engine}]", file=sys.stderr)
        stream, render = _local_streamer(a.model, a.adapter, a.max_new_tokens, engine)
    run(stream, render, Session(a.system, a.trigger, a.temperature))
