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
    allowed = {"core.records", "core.graph", "core.ops", "core.xp", "i18n", "errors", "render"}
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


# ---- the whole import matrix of design.md ----------------------------------------------
PACKAGE = ROOT / "bptutor"

# What each layer may import (besides itself). Module prefixes under bptutor.
ALLOWED = {
    "version": set(),
    "i18n": set(),
    "errors": {"i18n"},
    "core": {"errors", "i18n"},
    "lang": {"core", "errors", "i18n"},
    "tutor": {"lang", "core", "errors", "i18n"},
    "render": {"core.records", "core.graph", "core.ops", "core.xp", "errors", "i18n"},
    "app": {"tutor", "lang", "core", "render", "errors", "i18n", "version"},
    "__init__": {"app", "tutor", "core.records", "errors", "version"},     # the lazy public API (and the notebook display)
    "__main__": {"app"},
}


def modules() -> dict[str, Path]:
    """Dotted name (without 'bptutor.') -> file."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: dict) -> set[str]:
    """Every bptutor module `name` imports, anywhere in the file."""
    package = name.split(".")[:-1] if not path.name == "__init__.py" or name == "__init__" else name.split(".")
    if name == "__init__":
        package = []
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "bptutor":
                target = node.module.split(".")[1:]
            else:
                continue
            dotted = ".".join(target)
            for alias in node.names:
                sub = f"{dotted}.{alias.name}" if dotted else alias.name
                found.add(sub if sub in known else dotted)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "bptutor":
                    found.add(".".join(alias.name.split(".")[1:]))
    return {f for f in found if f and f != name}


def layer(name: str) -> str:
    return name.split(".")[0]


def allowed(src: str, dst: str) -> bool:
    if layer(src) == layer(dst) and layer(src) not in ("__init__", "__main__"):
        return True
    rules = ALLOWED[layer(src)]
    return any(dst == r or dst.startswith(r + ".") for r in rules)


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_every_import_points_down_a_layer():
    bad = [f"{src} -> {dst}" for src, dsts in import_graph().items() for dst in sorted(dsts)
           if not allowed(src, dst)]
    assert bad == []


def test_no_import_cycles_even_lazy_ones():
    graph = import_graph()
    # Tarjan's strongly connected components, iteratively.
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    assert cycles == []
