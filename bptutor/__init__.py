"""bptutor: backpropagation step by step, as the lecture notes do it.

    >>> import bptutor
    >>> bptutor.derive("(x+y)*z", {"x": -2, "y": 5, "z": -4}).gradients
    {'x': -4.0, 'y': -4.0, 'z': 3.0}
    >>> program = bptutor.compile("(x+y)*z")      # parsed once
    >>> program.step({"x": -2, "y": 5, "z": -4})
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})

Nothing is imported here, not even bptutor.errors or the version: the parser, numpy and the
renderers load on use, and `bptutor` on the command line starts its Ctrl-C
handling (__main__.py) before anything else is loaded.
A derivation made here displays itself in Jupyter (the picture and the steps;
.show(step=True) steps with buttons); IPython is imported only to show one.
"""
__all__ = ["derive", "compile", "BptutorError", "Derivation", "Program"]


def _parameters(source=None, values=None, *, eps=None, wrt=None, check=True, mode="reverse", outputs=None,
                jacobian=False, hand=None):
    """derive()'s parameters, as tutor.program.derive takes them: binding a call
    here turns a wrong call into a BptutorError, and help() shows them."""
    return source, values, {"eps": eps, "wrt": wrt, "check": check, "mode": mode, "outputs": outputs,
                            "jacobian": jacobian, "hand": hand}


def derive(*args, **options):
    """Parse `source`, run forward and backward, check every gradient numerically:
    a Derivation (see bptutor.tutor.program.derive for the parameters)."""
    from .errors import BptutorError
    try:
        source, values, options = _parameters(*args, **options)
    except TypeError as exc:            # derive(src, vals, digits=2): still a BptutorError
        detail = str(exc).split("() ", 1)[-1]
        raise BptutorError("input.bad_call", None, detail=detail,
                           options=", ".join(_parameters.__kwdefaults__)) from None
    from .tutor.program import derive as _derive
    _notebook()
    return _derive(source, values, **options)


derive.__wrapped__ = _parameters        # what help() and inspect.signature() show


def compile(source):      # noqa: A001 -- as re.compile
    """Parse `source` once: a Program whose .derive(values) and .step(values) run it many times."""
    from .tutor.program import compile as _compile
    _notebook()
    return _compile(source)


def _notebook():
    """Registers Jupyter's display of a Derivation (records import no renderer)."""
    from .app import notebook      # noqa: F401 -- importing it registers the printers


def __getattr__(name):
    if name == "__version__":       # its own module: --version reads it without this API
        from .version import __version__
        return __version__
    if name == "BptutorError":
        from .errors import BptutorError
        return BptutorError
    if name == "Derivation":
        from .core.records import Derivation
        _notebook()
        return Derivation
    if name == "Program":
        from .tutor.program import Program
        _notebook()
        return Program
    raise AttributeError(name)
