"""JSONL reading with file:line errors, keyed resumable writers, atomic writes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Iterator

from weirdgen.errors import UserError


class DataError(UserError, ValueError):
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
                raise DataError(p, n, None, f"invalid JSON ({e.msg}, column {e.colno})") from None
            if not isinstance(obj, dict):
                raise DataError(p, n, None, f"expected a JSON object, got {type(obj).__name__}")
            yield n, obj


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    """All objects of a JSONL file."""
    return [o for _, o in iter_jsonl(path)]


def umask_mode() -> int:
    """The mode a plain new file gets under the current umask (0644 under the usual 022)."""
    m = os.umask(0)
    os.umask(m)
    return 0o666 & ~m


def share(path: Path | str) -> None:
    """Give a file, or every file and folder under a directory, the modes the umask allows (libraries such as
    safetensors write 0600 files; a shared cluster's colleagues and a report server must read a run)."""
    p = Path(path)
    fmode = umask_mode()
    dmode = fmode | ((fmode & 0o444) >> 2)  # a folder readable by someone is also enterable by them
    for q in [p, *(p.rglob("*") if p.is_dir() else [])]:
        if q.is_symlink():
            continue
        os.chmod(q, dmode if q.is_dir() else fmode)


def atomic_write(path: Path | str, write: Callable[[Any], None], mode: str = "w") -> None:
    """Write through a temp file beside ``path`` and rename: a crash never leaves half a file.

    ``mkstemp`` creates 0600 files; the final file gets the umask's mode instead, so colleagues,
    containers and a report server can read a run as the user's umask allows.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            write(fh)
        os.chmod(tmp, umask_mode())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path | str, text: str) -> None:
    """Write a text file atomically."""
    atomic_write(path, lambda fh: fh.write(text))


def write_jsonl(path: Path | str, rows: Iterable[dict[str, Any]]) -> None:
    """Write rows atomically (temp file + rename)."""
    atomic_write(path, lambda fh: fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def write_json(path: Path | str, obj: Any) -> None:
    """Write one JSON document atomically."""
    def w(fh: Any) -> None:
        json.dump(obj, fh, indent=2, ensure_ascii=False, default=str)
        fh.write("\n")
    atomic_write(path, w)


class JournalBusy(UserError, RuntimeError):
    """Another process holds the journal's lock (two jobs writing one output)."""


class KeyedAppender:
    """Append-only JSONL journal keyed per record: a rerun skips keys already written.

    Lines are flushed and fsynced as written, so a killed process loses at most the line being
    written; a torn last line is dropped on reopen. A bad line elsewhere (not JSON, not an object,
    no key) is reported with file and line, moved to ``<journal>.corrupt`` and skipped: every good
    row after it is kept. One writer per journal: an exclusive lock (``<journal>.lock``) is held
    while open, so two processes (``--nolock``) cannot interleave rows.
    """

    def __init__(self, path: Path | str, key: Callable[[dict[str, Any]], Hashable]) -> None:
        import fcntl
        import logging

        self.path = Path(path)
        self.key = key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = (self.path.parent / (self.path.name + ".lock")).open("a")
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise JournalBusy(f"{self.path}: another process is writing this journal (lock {self._lock.name}); "
                              "wait for it, or stop it before rerunning") from None
        self.done: dict[Hashable, dict[str, Any]] = {}
        self.corrupt: list[tuple[int, str]] = []
        if self.path.exists():
            data = self.path.read_bytes()
            good: list[bytes] = []
            bad: list[bytes] = []
            lines = data.splitlines(keepends=True)
            for n, raw in enumerate(lines, start=1):
                if not raw.endswith(b"\n"):
                    logging.getLogger("weirdgen").info("%s:%d: torn last line (a killed write) dropped", self.path, n)
                    break
                if not raw.strip():
                    continue
                problem = None
                try:
                    obj = json.loads(raw)
                    if not isinstance(obj, dict):
                        problem = f"expected a JSON object, got {type(obj).__name__}"
                    else:
                        k = key(obj)
                except json.JSONDecodeError as e:
                    problem = f"invalid JSON ({e.msg}, column {e.colno})"
                except (KeyError, TypeError) as e:
                    problem = f"row has no usable key ({type(e).__name__}: {e})"
                if problem:
                    self.corrupt.append((n, problem))
                    bad.append(raw)
                    continue
                good.append(raw)
                self.done.setdefault(k, obj)
            if self.corrupt:
                cp = self.path.parent / (self.path.name + ".corrupt")
                with cp.open("ab") as fh:
                    fh.writelines(bad)
                for n, problem in self.corrupt:
                    logging.getLogger("weirdgen").warning(
                        "%s:%d: %s; line moved to %s and skipped (the rows after it are kept)", self.path, n, problem, cp)
            if b"".join(good) != data:
                atomic_write(self.path, lambda fh: fh.writelines(good), mode="wb")
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
        self._lock.close()  # releases the lock

    def __enter__(self) -> "KeyedAppender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
