"""Every way text comes in -- arguments, files, standard input, REPL lines --
under one size limit, MAX_INPUT, checked while reading: nothing bigger is
ever held in memory. Files are decoded strictly (naming the bad byte), a UTF-8
byte order mark is accepted, errors name the path as typed. A grading file's
problems read only regular files inside its own folder."""
from __future__ import annotations

import os
import stat

from ..errors import BptutorError
from ..lang.text import MAX_SOURCE

MAX_INPUT = MAX_SOURCE      # characters of one input (bytes of one file): a bigger one is refused
BOM = "\ufeff"              # what Notepad puts before UTF-8 text


def too_large(size: int) -> BptutorError:
    return BptutorError("input.too_large", None, size=f"{size:,}", limit=f"{MAX_INPUT:,}")


def check_arguments(argv: list[str]) -> None:
    """Command-line arguments obey the limit every other input does."""
    for arg in argv:
        if len(arg) > MAX_INPUT:
            raise too_large(len(arg))


def read_file(path: str) -> str:
    """The text of the file the user named (-f, the grading file itself)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_INPUT + 1)      # never more: a device or a huge file is not slurped
    except (OSError, ValueError) as exc:         # ValueError: a NUL byte in the path
        raise _unreadable(path, exc) from None
    if len(data) > MAX_INPUT:
        raise BptutorError("input.file_too_large", None, path=shown_path(path), size=_size(path, MAX_INPUT),
                           limit=f"{MAX_INPUT:,}")
    return decode(data, path)


def read_in_folder(folder: "str | os.PathLike", name: str, limit: int = MAX_INPUT) -> str:
    """A file a grading file names (`file = "neuron.bp"`): only a regular file
    inside `folder`. An absolute path, `..`, or a symlink leading out is
    refused before anything is read (a student's file must not make the
    grader quote /etc or a TA's secrets); a FIFO or a device is refused
    without blocking."""
    parts = name.replace("\\", "/").split("/")
    if not name or os.path.isabs(name) or os.path.splitdrive(name)[0] or ".." in parts:
        raise BptutorError("grade.file_outside", None, path=shown_path(name))
    try:
        inside = os.path.realpath(folder)
        real = os.path.realpath(os.path.join(inside, name))
        if os.path.commonpath([inside, real]) != inside:          # a symlink leading out
            raise BptutorError("grade.file_outside", None, path=shown_path(name))
        # Non-blocking: opening a FIFO with no writer returns at once. No following a
        # symlink put in place of the file since realpath looked.
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW if os.name == "posix" else os.O_RDONLY
        fd = os.open(real, flags | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError) as exc:        # ValueError: a NUL byte in the name
        raise _unreadable(name, exc) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BptutorError("grade.file_not_regular", None, path=shown_path(name))
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise _unreadable(name, exc) from None
    if len(data) > limit:
        raise BptutorError("input.file_too_large", None, path=shown_path(name), size=_size(real, limit),
                           limit=f"{limit:,}")
    return decode(data, name)


def decode(data: bytes, path: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BptutorError("input.bad_utf8", None, path=shown_path(path), offset=exc.start, line=line,
                           byte=f"0x{data[exc.start]:02X}") from None
    return text[1:] if text.startswith(BOM) else text


class LineReader:
    """Lines of a stream (the piped REPL, the quiz's answers), each refused once
    it passes the limit -- `< /dev/zero` is one endless line, and is not kept.
    Bytes that are not UTF-8 arrive as lone surrogates, which the parser
    points at."""

    def __init__(self, stream):
        self.binary = getattr(stream, "buffer", None)
        self.stream = stream
        self.first = True

    def __call__(self) -> str | None:
        """The next line without its line end (nor a byte order mark before
        the first); None at the end of the input."""
        read = self.stream.readline if self.binary is None else self.binary.readline
        line = read(MAX_INPUT + 1)
        if len(line) > MAX_INPUT and line[-1:] not in ("\n", b"\n"):
            raise too_large(len(line))
        if isinstance(line, bytes):
            line = line.decode("utf-8", "surrogateescape")
        if self.first:
            self.first, line = False, line.removeprefix(BOM)
        return line.rstrip("\r\n") if line else None


def limit_input(prompt) -> None:
    """Stop a prompt (a PromptSession) as soon as its text passes the input
    limit: prompt() then raises the input.too_large BptutorError."""
    def check(buffer):
        if len(buffer.text) > MAX_INPUT:
            size = len(buffer.text)
            buffer.reset()
            prompt.app.exit(exception=too_large(size))

    prompt.default_buffer.on_text_changed += check


def shown_path(path: str) -> str:
    """A path as a message shows it: control characters escaped, the rest as typed."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in path)


def _unreadable(path: str, exc: Exception) -> BptutorError:
    reason = getattr(exc, "strerror", None) or str(exc)
    return BptutorError("input.file_missing", None, path=shown_path(path), reason=reason)


def _size(path: str, limit: int) -> str:
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    return f"{size:,}" if size > limit else f"> {limit:,}"     # a device says 0
