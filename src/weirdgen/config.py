"""Load and validate a weirdgen config against workflow/schemas/config.schema.yaml."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from weirdgen.errors import UserError

SCHEMA_PATH = Path(__file__).resolve().parent / "config.schema.yaml"


class ConfigError(UserError, ValueError):
    """A config that violates the schema; the message names the key."""


def schema() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _fill_defaults(instance: Any, sch: dict[str, Any]) -> None:
    if not isinstance(instance, dict):
        return
    for key, sub in sch.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            _fill_defaults(instance[key], sub)


def fill(section: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """``params`` with the schema's defaults of one top-level section filled in (the only place defaults live).

    A stage run by hand with a partial ``--params`` gets the same values as inside the workflow."""
    out = copy.deepcopy(dict(params or {}))
    _fill_defaults(out, schema()["properties"][section])
    return out


def _looks_numeric(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _dotted(s: str) -> str:
    """'2e-4' -> '2.0e-4' (what YAML reads as a float)."""
    mant, _, exp = s.lower().partition("e")
    return f"{mant if '.' in mant else mant + '.0'}e{exp}" if exp else s


def _key(path: Any) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _problems(cfg: dict[str, Any], sch: dict[str, Any], why_text: str | None = None) -> list[str]:
    """One line per schema violation in ``cfg``, naming the key, with a hint where a common slip explains it
    (``why_text``: why a number arrived as text, where YAML is not the source)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(sch)
    errors = sorted(validator.iter_errors(cfg), key=lambda e: list(e.absolute_path))
    lines = []
    for e in errors:
        if e.validator == "pattern" and isinstance(e.schema, dict) and e.schema.get("hint"):
            lines.append(f"  {_key(e.absolute_path)}: {e.instance!r} is not allowed: use {e.schema['hint']}")
        elif e.validator == "type" and isinstance(e.instance, str) and _looks_numeric(e.instance):
            why = why_text or ("YAML reads exponents without a dot as text" if "e" in e.instance.lower() else
                               "quoted in YAML, or given as a nested --config value, which Snakemake passes as "
                               "text; put it in a --configfile")
            lines.append(f"  {_key(e.absolute_path)}: {e.instance!r} is a string, not a number ({why}); "
                         f"write {_dotted(e.instance) if why_text is None else e.instance}")
        elif e.validator == "additionalProperties":
            lines.append(f"  {_key(e.absolute_path)}: {e.message} (not a known key: check its spelling)")
        else:
            lines.append(f"  {_key(e.absolute_path)}: {e.message}")
    return lines


def validate(cfg: dict[str, Any], source: str = "config") -> dict[str, Any]:
    """Fill defaults and validate; raise ConfigError naming every offending key."""
    cfg = copy.deepcopy(cfg)
    sch = schema()
    _fill_defaults(cfg, sch)
    lines = _problems(cfg, sch)
    if lines:
        raise ConfigError(f"invalid weirdgen config ({source}):\n" + "\n".join(lines))
    return cfg


def section(name: str, params: dict[str, Any], source: str) -> dict[str, Any]:
    """One top-level section (a stage's part of ``--params``, run by hand or by a rule) with its defaults filled in
    and checked against the schema: a wrong type or a misspelt key is a ConfigError naming ``name.key``, not an
    error deep inside the stage."""
    sch = schema()
    sub = {**sch, "properties": {name: sch["properties"][name]}, "required": []}
    cfg = {name: fill(name, params)}
    lines = _problems(cfg, sub, "quoted in the JSON")
    if lines:
        raise ConfigError(f"invalid {source}:\n" + "\n".join(lines))
    return cfg[name]


def stage_params(name: str, params: dict[str, Any], source: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """A stage's ``--params`` that is one schema section plus what the workflow adds beside it (``extra``: the
    model's dtype and device, a sweep point, a shard): the section's keys get its defaults and the schema's check
    (``section``), the extra keys pass through unchanged, and any other key is a ConfigError naming it."""
    own = {k: v for k, v in params.items() if k not in extra}
    filled = section(name, own, source)
    for k in extra:  # an extra key shadows the section's key of the same name (eval.dtype: the model's, resolved)
        filled.pop(k, None)
    return {**filled, **{k: params[k] for k in extra if k in params}}


def extends_chain(path: Path | str) -> list[Path]:
    """``path`` preceded by the files its ``extends`` key names, base first (each relative to the working
    directory, as --configfile paths are); a missing base or a cycle is a ConfigError naming the file."""
    chain: list[Path] = []
    p: Path | None = Path(path)
    while p is not None:
        if p.resolve() in [c.resolve() for c in chain]:
            raise ConfigError(f"{chain[-1]}: extends {p}, which is already in the chain "
                              f"{' -> '.join(map(str, reversed(chain)))}: a cycle")
        if not p.is_file():
            named = f" (named by extends in {chain[-1]})" if chain else ""
            raise ConfigError(f"{p}: no such config file{named}")
        chain.append(p)
        base = (yaml.safe_load(p.read_text()) or {}).get("extends")
        p = Path(base) if base else None
    return chain[::-1]


def load(path: Path | str) -> dict[str, Any]:
    """Read a YAML config file and validate it."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such config file")
    try:
        raw = yaml.safe_load(p.read_text())
    except yaml.YAMLError as e:
        raise ConfigError(f"{p}: not valid YAML: {e}") from None
    return validate(raw or {}, source=str(p))


def check_file(a: Any) -> None:
    """``weirdgen check-config FILE``."""
    load(a.file)
    print(f"{a.file}: valid")
