"""bptutor: backpropagation step by step, as the lecture notes do it.

    >>> import bptutor
    >>> bptutor.derive("(x+y)*z", {"x": -2, "y": 5, "z": -4}).gradients
    {'x': -4.0, 'y': -4.0, 'z': 3.0}

Nothing heavy is imported here: the parser, numpy and the renderers load on use.
"""
from .errors import BptutorError

__all__ = ["derive", "BptutorError", "Derivation"]
__version__ = "0.1.0"


def derive(source, values=None, **options):
    """Parse, run forward and backward, check numerically: see bptutor.api.derive."""
    from .api import derive as _derive
    return _derive(source, values, **options)


def __getattr__(name):
    if name == "Derivation":
        from .records import Derivation
        return Derivation
    raise AttributeError(name)
