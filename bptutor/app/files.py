"""Reading a program or grading file: refused when huge, decoded strictly
(naming the bad byte), errors naming the path as typed."""
from __future__ import annotations

import os

from ..errors import BptutorError
from ..lang.text import MAX_SOURCE

MAX_FILE_BYTES = MAX_SOURCE     # a bigger file is refused before it is read


def read_file(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)      # never more: a device or a huge file is not slurped
    except (OSError, ValueError) as exc:         # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise BptutorError("input.file_missing", None, path=shown_path(path), reason=reason) from None
    if len(data) > MAX_FILE_BYTES:
        raise BptutorError("input.file_too_large", None, path=shown_path(path), size=_size(path),
                           limit=f"{MAX_FILE_BYTES:,}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BptutorError("input.bad_utf8", None, path=shown_path(path), offset=exc.start, line=line,
                           byte=f"0x{data[exc.start]:02X}") from None


def shown_path(path: str) -> str:
    """A path as a message shows it: control characters escaped, the rest as typed."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in path)


def _size(path: str) -> str:
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    return f"{size:,}" if size > MAX_FILE_BYTES else f"> {MAX_FILE_BYTES:,}"     # a device says 0
