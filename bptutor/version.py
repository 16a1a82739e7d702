"""bptutor's version, in one place: the package exports it, --version prints it,
and the wheel's metadata reads it (pyproject.toml's [tool.hatch.version])."""
__version__ = "0.1.0"
