"""bptutor: backpropagation step by step, as the lecture notes do it.

    >>> import bptutor
    >>> bptutor.derive("(x+y)*z", {"x": -2, "y": 5, "z": -4}).gradients
    {'x': -4.0, 'y': -4.0, 'z': 3.0}

Nothing heavy is imported here: the parser, numpy and the renderers load on use.
"""
from .errors import BptutorError

__all__ = ["derive", "compile", "BptutorError", "Derivation"]
__version__ = "0.1.0"


def derive(source=None, values=None, *more, **options):
    """Parse, run forward and backward, check numerically: see bptutor.tutor.program.derive."""
    from .tutor.program import derive as _derive
    import inspect
    signature = inspect.signature(_derive)
    try:
        signature.bind(source, values, *more, **options)
    except TypeError as exc:            # derive(src, vals, digits=2): still a BptutorError
        names = ", ".join(p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY)
        raise BptutorError("input.bad_call", None, detail=str(exc), options=names) from None
    return _derive(source, values, **options)


def compile(source):      # noqa: A001 -- as re.compile
    """Parse `source` once: a Program whose .derive(values) and .step(values) run it many times."""
    from .tutor.program import compile as _compile
    return _compile(source)


def __getattr__(name):
    if name == "Derivation":
        from .core.records import Derivation
        return Derivation
    raise AttributeError(name)
