"""The one exception users can cause. It carries a message *key*, never text:
the front end picks the language when it prints (see i18n)."""
from __future__ import annotations


class BptutorError(Exception):
    """An input or usage error. `span` is (start, end) in the folded source."""

    def __init__(self, key: str, span: tuple[int, int] | None = None, **params):
        super().__init__(key)
        self.key = key
        self.span = span
        self.params = params
        self.source: str | None = None      # set by whoever knows the text

    def with_source(self, source: str) -> "BptutorError":
        if self.source is None:
            self.source = source
        return self

    def message(self, lang: str = "en", number=None) -> str:
        """The message in `lang`. Numbers in the parameters (the values a node
        met, as `Numbers`) are written by `number` — the front end passes the
        renderer's formatter so they look as everywhere else; 6 significant
        digits otherwise."""
        from .i18n import t
        number = number or _number
        params = {k: ", ".join(number(x) for x in v) if isinstance(v, Numbers) else _clip(v)
                  for k, v in self.params.items()}
        return t(self.key, lang, **params)

    def __str__(self) -> str:
        return self.message("en")


class Numbers(tuple):
    """Values quoted by a message (a node's inputs when it failed), kept as
    numbers so the front end writes them at its own precision."""


def _number(x) -> str:
    if isinstance(x, float):
        return format(x, ".6g")
    return str(x.tolist() if hasattr(x, "tolist") else x)


MAX_PARAM = 300        # characters of one quoted piece of input in a message


def _clip(value):
    """A message quotes the input, not all of it: 100,000 missing names make one line."""
    if isinstance(value, str) and len(value) > MAX_PARAM:
        return value[:MAX_PARAM - 21] + " … " + value[-17:]
    return value


class BptutorSyntaxError(BptutorError):
    """The text does not parse."""


class BptutorValueError(BptutorError):
    """A value is missing, duplicated, or not a finite number."""


class BptutorMathError(BptutorError):
    """A domain error or overflow while evaluating a node."""


class BptutorInternalError(BptutorError):
    """A bug in bptutor, not in the input: callers still get a BptutorError
    (with the original exception as __cause__), users a message, not a traceback."""

    @classmethod
    def wrap(cls, exc: BaseException) -> "BptutorInternalError":
        detail = f"{type(exc).__name__}: {exc}"
        return cls("input.internal", None, detail=detail[:300])
