"""Training data as text -> columns {name: [sample, ...]}.

    --data "x=[1,2,3], y=[2,4,6]"      the value grammar of --vals, one list per column
    points.csv                         a header line, then one sample per line; columns
                                       x[0], x[1], ... make the vector x
    data.toml / data.json              lists by name (JSON also a list of records)

A sample is a number or a (nested) list of numbers. Errors point at the line
and cell where the text went wrong: the error's source is the file's text."""
from __future__ import annotations

import math
import re

from ..errors import BptutorValueError

DATA_KINDS = (".csv", ".toml", ".json")
_HEADER = re.compile(r"^([^\W\d]\w*)(?:\[(\d+)\])?$")


def parse_data(text: str) -> dict:
    """--data "x=[1,2,3], y=[2,4,6]": every value is a list of samples."""
    from .values import parse_values
    columns = parse_values(text)
    for name, value in columns.items():
        if getattr(value, "ndim", 0) == 0:
            raise BptutorValueError("train.data_not_a_list", None, name=name).with_source(text)
    return {name: value.tolist() for name, value in columns.items()}


def read_data(text: str, kind: str, path: str) -> dict:
    """The text of a data file; `kind` is its extension (.csv, .toml or .json)."""
    if kind == ".csv":
        return read_csv(text, path)
    if kind == ".toml":
        import tomllib
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise BptutorValueError("train.data_bad_file", None, path=path, reason=str(exc)) from None
        return _lists(table, path)
    if kind == ".json":
        import json
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BptutorValueError("train.data_bad_file", (exc.pos, exc.pos + 1), path=path,
                                    reason=exc.msg).with_source(text) from None
        if isinstance(doc, list) and all(isinstance(r, dict) for r in doc):
            doc = _records(doc, path)
        if not isinstance(doc, dict):
            raise BptutorValueError("train.data_bad_file", None, path=path, reason="{\"x\": [...], \"y\": [...]}")
        return _lists(doc, path)
    raise BptutorValueError("train.data_kind", None, path=path, known=" ".join(DATA_KINDS))


def _records(rows: list, path: str) -> dict:
    """[{"x": 1, "y": 2}, ...] -> {"x": [1, ...], "y": [2, ...]}."""
    names = list(rows[0]) if rows else []
    for k, row in enumerate(rows):
        if set(row) != set(names):
            raise BptutorValueError("train.data_record_keys", None, path=path, index=k + 1,
                                    names=", ".join(names), given=", ".join(row))
    return {name: [row[name] for row in rows] for name in names}


def _lists(table: dict, path: str) -> dict:
    for name, column in table.items():
        if not isinstance(column, list):
            raise BptutorValueError("train.data_not_a_list", None, name=name)
        if not _all_numbers(column):
            raise BptutorValueError("train.data_not_numbers", None, path=path, name=name)
    return table


def _all_numbers(column: list) -> bool:
    """Finite numbers (not true/false), possibly in nested lists; no recursion."""
    stack = [column]
    while stack:
        for v in stack.pop():
            if isinstance(v, list):
                stack.append(v)
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                return False
    return True


def read_csv(text: str, path: str) -> dict:
    """A header line of names, then one line of numbers per sample. Blank lines
    and lines starting with # are skipped."""
    lines = []              # (line number, offset of the line, its text)
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        body = line.rstrip("\r\n")
        if body.strip() and not body.lstrip().startswith("#"):
            lines.append((number, offset, body))
        offset += len(line)
    if not lines:
        raise BptutorValueError("train.data_empty", None, path=path)
    number, start, header = lines[0]
    names = []
    for cell, at in _cells(header, start):
        m = _HEADER.match(cell)
        if not m:
            raise BptutorValueError("train.data_bad_header", (at, at + max(len(cell), 1)), path=path, line=number,
                                    text=cell).with_source(text)
        if cell in names:
            raise BptutorValueError("train.data_duplicate_header", (at, at + len(cell)), path=path, line=number,
                                    name=cell).with_source(text)
        names.append(cell)
    rows = []
    for number, start, body in lines[1:]:
        cells = _cells(body, start)
        if len(cells) != len(names):
            raise BptutorValueError("train.data_cell_count", (start, start + len(body)), path=path, line=number,
                                    given=len(cells), expected=len(names)).with_source(text)
        row = []
        for (cell, at), name in zip(cells, names):
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise BptutorValueError("train.data_not_a_number", (at, at + max(len(cell), 1)), path=path,
                                        line=number, name=name, text=cell).with_source(text)
            row.append(value)
        rows.append(row)
    if not rows:
        raise BptutorValueError("train.data_empty", None, path=path)
    return _group(names, rows, path)


def _cells(line: str, start: int) -> list:
    """(cell text stripped, its offset in the file) for each comma-separated cell."""
    cells = []
    at = 0
    for part in line.split(","):
        lead = len(part) - len(part.lstrip())
        cells.append((part.strip(), start + at + lead))
        at += len(part) + 1
    return cells


def _group(names: list, rows: list, path: str) -> dict:
    """Columns x[0], x[1], ... become one column x of vectors."""
    parts: dict[str, list] = {}
    for k, name in enumerate(names):
        base, index = _HEADER.match(name).groups()
        parts.setdefault(base, []).append((None if index is None else int(index), k))
    columns = {}
    for base, pieces in parts.items():
        if len(pieces) == 1 and pieces[0][0] is None:
            k = pieces[0][1]
            columns[base] = [row[k] for row in rows]
            continue
        indices = sorted(i for i, _ in pieces if i is not None)
        if len(indices) != len(pieces) or indices != list(range(len(indices))):
            raise BptutorValueError("train.data_vector_columns", None, path=path, name=base, count=len(pieces))
        order = [k for _, k in sorted(pieces)]
        columns[base] = [[row[k] for k in order] for row in rows]
    return columns
