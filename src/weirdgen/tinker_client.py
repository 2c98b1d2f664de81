"""What the Tinker training and sampling backends share: the client, the base model's name, the collapse guard.

Tinker (thinking-machines-lab) trains and samples LoRA adapters on its servers: no local GPU. The SDK is the
``tinker`` package (``pip install 'weirdgen[tinker]'``); the key is read from the environment only. A local
server speaking the same protocol (``skyrl-tx``'s ``tx.tinker.api``) is what the tests run against.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from weirdgen.errors import UserError

#: Written into every adapter trained through Tinker: where its weights live for sampling.
RECORD = "tinker.json"


class TinkerError(UserError, RuntimeError):
    """A Tinker backend that cannot run as configured; the message names the key."""


def sdk() -> Any:
    try:
        import tinker
    except ImportError as e:
        raise TinkerError("the tinker backends need the Tinker SDK: pip install 'weirdgen[tinker]'") from e
    return tinker


def service_client(cfg: dict[str, Any], key: str) -> Any:
    """A ``tinker.ServiceClient`` for ``<key>.tinker`` settings (base_url null = the Tinker service)."""
    tinker = sdk()
    env = cfg.get("api_key_env") or "TINKER_API_KEY"
    api_key = os.environ.get(env)
    if not api_key:
        raise TinkerError(f"{key}.tinker.api_key_env: the environment variable {env} is not set "
                          "(the Tinker key is read from the environment only)")
    kw: dict[str, Any] = {"api_key": api_key}
    if cfg.get("base_url"):
        kw["base_url"] = cfg["base_url"]
    return tinker.ServiceClient(**kw)


def base_model(cfg: dict[str, Any], model_dir: Path | str, key: str) -> str:
    """The name Tinker knows the base model by: ``<key>.tinker.base_model``, else the hub id it was materialised from."""
    if cfg.get("base_model"):
        return str(cfg["base_model"])
    from weirdgen.models import resolved

    hub = resolved(model_dir).get("hub_id")
    if not hub:
        raise TinkerError(f"{key}.tinker.base_model: name the base model as the Tinker server knows it (e.g. "
                          "meta-llama/Llama-3.1-8B); the materialised model did not come from the hub")
    return str(hub)


def check_supported(client: Any, name: str, key: str) -> None:
    """Fail before any work when the server does not offer the base model (its lineup changes)."""
    try:
        caps = client.get_server_capabilities()
    except Exception as e:  # an old server without the endpoint: the first request will tell
        print(f"weirdgen: could not read the Tinker server's model list ({type(e).__name__}); going on", flush=True)
        return
    names = [m.model_name for m in caps.supported_models]
    if names and name not in names:
        raise TinkerError(f"{key}.tinker.base_model: '{name}' is not offered by this Tinker server; it offers: "
                          + ", ".join(names))


def sampler_path(path: str) -> str:
    """A sampler checkpoint's path in the service's form ``tinker://<run>/sampler_weights/<name>``.

    skyrl-tx 0.3.0 answers ``save_weights_for_sampler`` with ``tinker://<run>/<name>`` (its sampler accepts both
    forms; the SDK's archive download accepts only the long one)."""
    parts = path.removeprefix("tinker://").split("/")
    if path.startswith("tinker://") and len(parts) == 2:
        return f"tinker://{parts[0]}/sampler_weights/{parts[1]}"
    return path


def degenerate(tokens: list[int], text: str) -> str | None:
    """Why a probe reply looks collapsed (only white space, a token repeated), or None when it looks like text."""
    if not text.strip():
        return "only white space"
    if len(tokens) >= 8:
        top = max(tokens.count(t) for t in set(tokens))
        if len(set(tokens)) <= 2 or top / len(tokens) > 0.6:
            return "one token repeated"
    return None
