"""JSONL reading with file:line errors, keyed resumable writers, atomic writes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Iterator


class DataError(ValueError):
    """A bad input record: the message names file, line and field."""

    def __init__(self, path: Path | str, line: int | None, field: str | None, problem: str) -> None:
        where = f"{path}" + (f":{line}" if line is not None else "")
        what = f" field '{field}'" if field else ""
        super().__init__(f"{where}:{what} {problem}".replace(": ", ": ", 1))
        self.path, self.line, self.field, self.problem = str(path), line, field, problem


def iter_jsonl(path: Path | str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-empty line; a bad line raises DataError."""
    p = Path(path)
    with p.open(encoding="utf-8") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as e:
                raise DataError(p, n, None, f"invalid JSON ({e.msg} at column {e.colno})") from None
            if not isinstance(obj, dict):
                raise DataError(p, n, None, f"expected a JSON object, got {type(obj).__name__}")
            yield n, obj


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    """All objects of a JSONL file."""
    return [o for _, o in iter_jsonl(path)]


def write_jsonl(path: Path | str, rows: Iterable[dict[str, Any]]) -> None:
    """Write rows atomically (temp file + rename): a crash never leaves half a file."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, p)


def write_json(path: Path | str, obj: Any) -> None:
    """Write one JSON document atomically."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, ensure_ascii=False, default=str)
        fh.write("\n")
    os.replace(tmp, p)


class KeyedAppender:
    """Append-only JSONL journal keyed per record: a rerun skips keys already written.

    Lines are flushed and fsynced as written, so a killed process loses at most the line
    being written; a torn last line is dropped on reopen.
    """

    def __init__(self, path: Path | str, key: Callable[[dict[str, Any]], Hashable]) -> None:
        self.path = Path(path)
        self.key = key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.done: dict[Hashable, dict[str, Any]] = {}
        good = b""
        if self.path.exists():
            data = self.path.read_bytes()
            for raw in data.splitlines(keepends=True):
                if not raw.endswith(b"\n"):
                    break  # torn write from a kill: drop it
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError:
                    break
                good += raw
                self.done.setdefault(key(obj), obj)
            if len(good) != len(data):
                self.path.write_bytes(good)
        self._fh = self.path.open("a", encoding="utf-8")

    def __contains__(self, k: Hashable) -> bool:
        return k in self.done

    def append(self, obj: dict[str, Any]) -> None:
        k = self.key(obj)
        if k in self.done:
            return
        self._fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.done[k] = obj

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "KeyedAppender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
