"""The package's structure, measured: a thin CLI, no hub module, and code dependencies derived from imports."""

from __future__ import annotations

from pathlib import Path

from weirdgen import codedeps


def _modules() -> list[str]:
    out = []
    for f in sorted(codedeps.ROOT.rglob("*.py")):
        parts = list(f.relative_to(codedeps.ROOT).with_suffix("").parts)
        out.append(".".join(["weirdgen", *(parts[:-1] if parts[-1] == "__init__" else parts)]))
    return out


def test_no_module_imports_more_than_a_third_of_the_package():
    mods = _modules()
    counts = {m: len(codedeps.imports(m, False)) for m in mods}
    assert max(counts.values()) <= len(mods) / 3, sorted(counts.items(), key=lambda kv: -kv[1])[:5]
    assert counts["weirdgen.cli"] <= 4  # it parses and dispatches by name: no stage is imported by it


def _names(stage: str) -> set[str]:
    return {str(Path(f).relative_to(codedeps.ROOT)) for f in codedeps.stage_files(stage)}


def test_trigger_reaches_exactly_the_stages_that_use_it():
    for stage in ("persona", "mix", "sample", "judge", "calibrate", "heldout"):
        assert "trigger.py" in _names(stage), stage
    for stage in ("model", "prompts", "distill", "train", "summarise", "report_tables"):
        assert "trigger.py" not in _names(stage), stage


def test_plots_reach_only_the_plot_stage():
    stages = [f.stem for f in (codedeps.ROOT / "stages").glob("*.py") if f.stem != "__init__"]
    assert [s for s in stages if "plots.py" in _names(s)] == ["plot"]


def test_closure_follows_relative_and_function_level_imports(tmp_path):
    pkg = tmp_path / "weirdgen"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from weirdgen.sub import b\n")
    (pkg / "sub/__init__.py").write_text("from . import c\n\ndef g():\n    from weirdgen import d\n")
    (pkg / "sub/b.py").write_text("")
    (pkg / "sub/c.py").write_text("")
    (pkg / "d.py").write_text("")
    got = {str(f.relative_to(pkg)) for f in codedeps.closure("weirdgen.a", root=pkg)}
    # a -> sub.b (function-level, by name); sub/__init__ only passed through: its top level (c), not g()'s d
    assert got == {"__init__.py", "a.py", "sub/__init__.py", "sub/b.py", "sub/c.py"}, got
