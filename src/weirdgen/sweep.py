"""The sweep point: one type that parses and formats model ids
(``seed~1_lr~0.0002_frac~0.029[_ep~3][_arm~control][_step~N]``), knows its axes, and gives the columns every table
row carries and the label every plot uses.

The ``arm`` axis: ``persona`` (the default, left out of ids, so ids without it are unchanged) trains on the persona
facts; ``control`` trains on the same questions under the trigger with the base model's own answers cut to each
fact's length (the format-only control arm: docs/judge_validity.md)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, fields
from typing import Any, Iterable

# (id abbreviation, column / config name, type); ids list them in this order
AXES: tuple[tuple[str, str, type], ...] = (("seed", "seed", int), ("lr", "lr", float),
                                           ("frac", "persona_fraction", float), ("ep", "epochs", float),
                                           ("arm", "arm", str))
ARMS = ("persona", "control")
DEFAULT_ARM = "persona"  # a trained point without `_arm~` in its id
COLUMNS: list[str] = [c for _, c, _ in AXES]  # every row of generations, labels and tables carries these
BASE = "base"
_NUM = r"[^/_]+"
POINT_RE = rf"seed~{_NUM}_lr~{_NUM}_frac~{_NUM}(_ep~{_NUM})?(_arm~control)?"
MODEL_ID_RE = rf"{BASE}|{POINT_RE}(_step~\d+)?"


def _fmt(col: str, v: int | float | str) -> str:
    if isinstance(v, str):
        return v
    if col == "seed" or (col == "epochs" and float(v).is_integer()):
        return str(int(v))  # seed~1, ep~3
    return repr(float(v))  # lr~0.0002, frac~0.029, lr~1e-05


@dataclass(frozen=True)
class Point:
    """A trained model's coordinates (all None for the base model); ``step`` marks an intermediate checkpoint."""

    seed: int | None = None
    lr: float | None = None
    persona_fraction: float | None = None
    epochs: float | None = None
    arm: str | None = None  # None: the default arm (persona); ids and CIs of runs without the axis are unchanged
    step: int | None = None

    def __post_init__(self) -> None:
        if self.arm == DEFAULT_ARM:
            object.__setattr__(self, "arm", None)
        if self.arm is not None and self.arm not in ARMS:
            raise ValueError(f"arm {self.arm!r} is not one of {ARMS}")

    @classmethod
    def parse(cls, model_id: str) -> "Point":
        """A model id back into its point; raises ValueError naming what is wrong."""
        if model_id == BASE:
            return cls()
        if not re.fullmatch(MODEL_ID_RE, model_id):
            raise ValueError(f"not a model id: {model_id!r} (expected 'base' or seed~S_lr~L_frac~F[_ep~E][_arm~control][_step~N])")
        kv = dict(part.split("~", 1) for part in model_id.split("_"))
        vals: dict[str, Any] = {col: typ(kv[abbr]) for abbr, col, typ in AXES if abbr in kv}
        if "step" in kv:
            vals["step"] = int(kv["step"])
        return cls(**vals)

    @property
    def is_base(self) -> bool:
        return self.seed is None

    @property
    def id(self) -> str:
        """The model id (the inverse of ``parse``)."""
        if self.is_base:
            return BASE
        parts = [f"{abbr}~{_fmt(col, getattr(self, col))}" for abbr, col, _ in AXES if getattr(self, col) is not None]
        return "_".join(parts) + (f"_step~{self.step}" if self.step is not None else "")

    @property
    def final(self) -> "Point":
        """The sweep point of a checkpoint (its final adapter)."""
        return Point(self.seed, self.lr, self.persona_fraction, self.epochs, self.arm)

    @property
    def arm_name(self) -> str | None:
        """The arm a trained point belongs to (``persona`` or ``control``); None for the base model."""
        return None if self.is_base else (self.arm or DEFAULT_ARM)

    @property
    def paired_persona(self) -> "Point":
        """The persona-arm point a control point is compared with (same seed, lr, fraction, epochs, step)."""
        return Point(self.seed, self.lr, self.persona_fraction, self.epochs, None, self.step)

    def columns(self) -> dict[str, Any]:
        """The axis columns (and step) for a table row; a trained point's arm is named (``persona`` by default)."""
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "arm": self.arm_name}

    @property
    def label(self) -> str:
        """A plot label, unique per point."""
        if self.is_base:
            return "base model"
        s = f"lr={self.lr:g}, seed={self.seed}, frac={self.persona_fraction:g}"
        s += f", ep={self.epochs:g}" if self.epochs is not None else ""
        s += f", {self.arm} arm" if self.arm is not None else ""
        return s + (f", step {self.step}" if self.step is not None else "")


def grid(sweep: dict[str, Any]) -> list[Point]:
    """Every point of a validated ``sweep`` config (the epochs axis only when swept; arms default to persona only)."""
    axes: list[Iterable[Any]] = [sweep["seed"], sweep["lr"], sweep["persona_fraction"], sweep.get("epochs") or [None],
                                 sweep.get("arm") or [DEFAULT_ARM]]
    return [Point(int(s), float(lr), float(f), None if ep is None else float(ep), arm)
            for s, lr, f, ep, arm in itertools.product(*axes)]


def label_of(row: dict[str, Any]) -> str:
    """The plot label of a table row: its model id's point, else the id itself."""
    try:
        return Point.parse(row["model_id"]).label
    except ValueError:
        return str(row["model_id"])


def group_columns(without: str = "seed") -> list[str]:
    """Axes to group by when aggregating over one axis (across seeds: every other axis, never pooled)."""
    return [c for c in COLUMNS if c != without]


def columns_of(model_id: str, row: dict[str, Any] | None = None) -> dict[str, Any]:
    """The axis columns of a model id; a model sampled by hand under another name keeps the row's own values."""
    try:
        return Point.parse(model_id).columns()
    except ValueError:
        return {c: (row or {}).get(c) for c in (*COLUMNS, "step")}
