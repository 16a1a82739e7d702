"""A wheel built from this checkout, installed away from it, finds its grammar
and its message catalogs (not only the editable checkout)."""
import subprocess
import sys

import pytest

from helpers import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                            "-w", str(tmp / "dist"), "-q"], capture_output=True, text=True)
    if build.returncode != 0:
        pytest.skip("cannot build a wheel here: " + build.stderr[-300:])
    [wheel] = (tmp / "dist").glob("bptutor-*.whl")
    target = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True)
    return tmp, target


def test_wheel_contains_grammar_and_catalogs(installed):
    _, target = installed
    assert (target / "bptutor" / "grammars" / "bptutor.lark").is_file()
    assert (target / "bptutor" / "i18n" / "render.toml").is_file()


def test_installed_wheel_derives_from_another_directory(installed):
    tmp, target = installed
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import bptutor; "
            "print(bptutor.__file__); print(bptutor.derive('(x+y)*z', {'x': -2, 'y': 5, 'z': -4}).gradients)")
    proc = subprocess.run([sys.executable, "-I", "-c", code, str(target)], capture_output=True, text=True, cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    where, grads = proc.stdout.splitlines()
    assert where.startswith(str(target))
    assert grads == "{'x': -4.0, 'y': -4.0, 'z': 3.0}"


def test_the_installed_command_runs(installed):
    """The `bptutor` script the wheel installs points at the real main, and --version
    prints the version the wheel was built with."""
    import os

    from bptutor import __version__
    tmp, target = installed
    script = target / "bin" / "bptutor"
    assert script.is_file()
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run([sys.executable, str(script), "--version"], capture_output=True, text=True, cwd=tmp, env=env)
    assert proc.returncode == 0 and proc.stdout.startswith(f"bptutor {__version__} "), proc.stderr
    assert list(target.glob(f"bptutor-{__version__}.dist-info"))
