"""A stage's code dependencies, derived from imports (not listed by hand): the files of ``weirdgen`` that a
stage module imports, directly or through other package modules, found by reading their source with ``ast``.

Rules feed this list to their ``code`` input, so editing a file reruns exactly the stages whose code runs it.
A module imported by name is read whole (imports inside functions included: the stage may call them). A parent
package that is only passed through (``weirdgen.judge`` when importing ``weirdgen.judge.calibration``) runs just
its top level, so only its top-level imports count. Imports by string (``importlib``) are not followed: the CLI
dispatches to stages that way, so one stage does not depend on every other.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

PKG = "weirdgen"
ROOT = Path(__file__).resolve().parent


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The source file of a package module name under ``root`` (the package folder), or None when it is not
    a module of the package."""
    if name != PKG and not name.startswith(PKG + "."):
        return None
    rel = Path(*name.split(".")[1:])
    for f in (root / rel / "__init__.py", (root / rel).with_suffix(".py")):
        if f.is_file():
            return f
    return None


def _resolve(node: ast.ImportFrom, current: str, is_pkg: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = current.split(".")
    base = parts if is_pkg else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@lru_cache(maxsize=None)
def imports(name: str, top_level_only: bool, root: Path = ROOT) -> frozenset[str]:
    """Package modules imported by one module (all of them, or only its top-level statements')."""
    f = module_file(name, root)
    if f is None:
        return frozenset()
    tree = ast.parse(f.read_text(), str(f))
    if top_level_only:  # module body, including if/try blocks, but no function or class bodies
        nodes: list[ast.AST] = []
        todo: list[ast.AST] = list(tree.body)
        while todo:
            n = todo.pop()
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            nodes.append(n)
            todo.extend(ast.iter_child_nodes(n))
    else:
        nodes = list(ast.walk(tree))
    out: set[str] = set()
    for n in nodes:
        if isinstance(n, ast.Import):
            out.update(a.name for a in n.names)
        elif isinstance(n, ast.ImportFrom):
            mod = _resolve(n, name, f.name == "__init__.py")
            for a in n.names:  # `from weirdgen import sweep` imports a module; `from weirdgen.x import f`, a name
                out.add(f"{mod}.{a.name}" if module_file(f"{mod}.{a.name}", root) else mod)
    return frozenset(m for m in out if module_file(m, root))


def closure(*modules: str, root: Path = ROOT) -> list[Path]:
    """Every package source file that importing (and running) the given modules may execute, sorted."""
    full: set[str] = set()
    partial: set[str] = set()
    todo: list[tuple[str, bool]] = [(m, True) for m in modules]
    while todo:
        name, whole = todo.pop()
        if name in full or (not whole and name in partial):
            continue
        (full if whole else partial).add(name)
        parts = name.split(".")
        todo += [(".".join(parts[:i]), False) for i in range(1, len(parts))]  # parent packages run their top level
        todo += [(m, True) for m in imports(name, not whole, root)]
    return sorted({f for m in full | partial if (f := module_file(m, root))})


def stage_files(stage: str, root: Path | str | None = None) -> list[str]:
    """Code dependencies of one stage (``weirdgen.stages.<stage>``), with the CLI that dispatches to it.

    ``root``: the package folder to read (a checkout's ``src/weirdgen``); default, the imported package."""
    r = Path(root).resolve() if root else ROOT
    return [str(f) for f in closure(f"{PKG}.stages.{stage}", f"{PKG}.cli", root=r)]
