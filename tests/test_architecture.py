"""The shape the design asks for: renderers only format; a plain run imports
nothing heavy it does not use."""
import ast
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

RENDER = ROOT / "bptutor" / "render"
FORBIDDEN_IN_RENDERERS = {"engine", "numcheck", "api", "syntax", "answers"}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[-1])
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name.split(".")[-1] for alias in node.names)
    return names


def test_renderers_never_import_the_engine_or_the_checks():
    for path in RENDER.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1 and not n.module
               for a in n.names}                       # `from . import answers`: render's own verdict printer
        own |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module}
        assert not (imported_modules(path) - own) & FORBIDDEN_IN_RENDERERS, path.name


def bptutor_imports(path: Path) -> set[str]:
    """The bptutor modules `path` imports, as dotted names under bptutor (core.ops, i18n)."""
    package = path.parent.relative_to(ROOT / "bptutor").parts
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - (node.level - 1)]
            names.add(".".join([*base, *(node.module or "").split(".")]).strip("."))
    return names


def test_renderers_import_only_the_records_the_graph_the_ops_and_the_catalogs():
    allowed = {"core.records", "core.graph", "core.ops", "i18n", "errors", "render"}
    for path in RENDER.glob("*.py"):
        outside = {m for m in bptutor_imports(path) if not m.startswith("render.")} - allowed
        assert not outside, (path.name, outside)


def test_tutor_modules_do_no_io():
    for path in (ROOT / "bptutor" / "tutor").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = imported_modules(path)
        assert not modules & {"sys", "os", "io", "pathlib", "rich", "prompt_toolkit", "app"}, path.name
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not calls & {"print", "open", "input"}, path.name


def test_a_plain_scalar_run_imports_no_heavy_module():
    code = ("import io, sys; from bptutor.app.cli import main; "
            "main(['1/(1+exp(-(w0*x0+w1*x1+w2)))', '--vals', 'w0=2,x0=-1,w1=-3,x1=-2,w2=-3'], stdout=io.StringIO()); "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'prompt_toolkit', 'tomlkit', 'graphviz_pure', 'matplotlib') or m in "
            "('bptutor.core.arrays', 'bptutor.app.repl', 'bptutor.app.replcommands', 'bptutor.app.quiz', "
            "'bptutor.app.grade', 'bptutor.app.graphviz', 'bptutor.render.dot', 'bptutor.render.markdown', "
            "'bptutor.render.latex', 'bptutor.render.mermaid', 'bptutor.render.graphtext', 'bptutor.render.answers', "
            "'bptutor.tutor.answers', 'bptutor.tutor.quiz', 'bptutor.tutor.grade', 'bptutor.tutor.train', "
            "'bptutor.app.train', 'bptutor.lang.data', 'bptutor.render.trainlog', 'bptutor.render.lossplot'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_importing_the_package_is_light():
    proc = subprocess.run([sys.executable, "-c", "import sys, bptutor; print(sorted(m for m in sys.modules "
                           "if m.startswith(('lark', 'rich', 'numpy', 'bptutor.'))))"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "[]"        # not even bptutor.errors: `bptutor` handles Ctrl-C first
    proc = subprocess.run([sys.executable, "-c", "import bptutor; print(bptutor.BptutorError.__module__)"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "bptutor.errors"


def test_a_missing_snapshot_fails(monkeypatch, tmp_path):
    import helpers
    import pytest
    monkeypatch.setattr(helpers, "SNAPSHOTS", tmp_path)
    monkeypatch.delenv("UPDATE_SNAPSHOTS", raising=False)
    with pytest.raises(AssertionError, match="no snapshot"):
        helpers.snapshot("missing.txt", "text")
    assert not (tmp_path / "missing.txt").exists()


def test_the_console_script_points_at_main():
    import importlib
    import tomllib
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, func = scripts["bptutor"].split(":")
    assert callable(getattr(importlib.import_module(module), func))
