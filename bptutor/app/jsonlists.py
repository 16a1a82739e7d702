"""The two long lists of a big scalar derivation's JSON, "nodes" and
backward's "steps", as the bytes orjson writes for Derivation.node_dict's and
step_dict's dicts, without a dict per entry (10^5 nodes: building the dicts
cost more than everything here). Built column by column with C-level
iterators: each label encoded once, a column of numbers by one orjson call
(orjson writes a float alike in a list and in a dict) split into each one's
text, a chunk of entries joined from the columns' texts and the constant
fragments between them. The steps are in steps.tell()'s order, the one
Derivation.steps is built from; the seed and the sums are step_dict's own
dicts. tests/test_cli.py checks the bytes against the dicts on many graphs."""
from __future__ import annotations

import re
from bisect import bisect_left
from itertools import chain, islice, repeat
from operator import itemgetter

from ..core.records import plain
from ..core.steps import Step, seed_step

CHUNK = 4096        # list entries written at a time (a join's scratch holds 80 bytes per fragment)
NUMBERS = {float, bool, type(None)}     # a value orjson writes as a number, true, false or null: no comma


def long_lists(d, orjson, encode) -> dict | None:
    """{"nodes": chunks, "steps": chunks} of `d` (a derivation over scalars
    whose node values are floats), each list as chunks of entries joined by
    commas; None for any other derivation. `encode` is the writer's encoder
    of a value (for the few dicts written whole); orjson is the module."""
    values = d.node_values
    if d.tape is None or d.arrays or set(map(type, values)) != {float}:
        return None
    rows = d.graph.rows
    try:
        text = orjson.dumps(d.graph.node_labels)
    except TypeError:                   # a lone surrogate: json's encoder writes every entry of its chunk
        return None
    # a label's string without its opening quote, `x"`: a string holds `,"` only between two
    names = escape_unsafe(text)[2:-1].split(b',"')
    ops = {op: orjson.dumps(op.name)[1:] for op in set(map(itemgetter(0), rows))}
    op_names = list(map(ops.__getitem__, map(itemgetter(0), rows)))
    value_texts = _texts(values, orjson)
    lists = {}
    if not (d.forward and "forward" in d.narrated):          # no tangents in a node's dict
        gradients = _numbers([0.0 if g is None else g for g in d.tape.grads])
        if gradients is None:
            return None
        lists["nodes"] = _node_chunks(rows, names, op_names, value_texts, gradients, orjson)
    if "reverse" in d.narrated:
        told = d.told()
        # a running total adds contributions: numbers where they are
        numbers = [_numbers(column) for column in told[3:6]]
        if None in numbers:
            return None
        told = told._replace(locals=numbers[0], upstreams=numbers[1], contributions=numbers[2],
                             totals=told.totals if numbers[2] is told.contributions else _numbers(told.totals))
        lists["steps"] = chain(_backward_chunks(d, told, names, op_names, value_texts, orjson, encode),
                               dict_chunks(d.pass_step_dicts(), encode))
    return lists


def _numbers(column: list) -> list | None:
    """[plain(x) for x in column] (at C speed), None unless they are all
    numbers (NUMBERS)."""
    if set(map(type, column)) <= {float}:
        return column
    column = list(map(plain, column))
    return column if set(map(type, column)) <= NUMBERS else None


def _texts(column: list, orjson, after: bytes = b"") -> list:
    """Each number's JSON by one orjson call, followed by `after`."""
    if not column:
        return []
    texts = orjson.dumps(column)[1:-1]
    texts = (texts.replace(b",", after + b"\0") if after else texts).split(b"\0" if after else b",")
    texts[-1] += after
    return texts


def _pick(items: list, indices: list) -> tuple | list:
    """[items[i] for i in indices] at C speed."""
    return itemgetter(*indices)(items) if len(indices) > 1 else [items[i] for i in indices]


def _node_chunks(rows: list, names: list, op_names: list, value_texts: list, gradients: list, orjson):
    """node_dict(i) for every node: {"name","op","inputs","value","gradient"}."""
    inputs = list(map(itemgetter(1), rows))
    # "op" and the start of "inputs", per (op, whether it has inputs); then the inputs' names
    heads = {(name, bool(args)): b',"op":"' + name + b',"inputs":[' + (b'"' if args else b"")
             for name, args in set(zip(op_names, map(bool, inputs)))}
    op_heads = list(map(heads.__getitem__, zip(op_names, map(bool, inputs))))
    inputs = [b"" if not args else names[args[0]] if len(args) == 1 else b',"'.join(_pick(names, args))
              for args in inputs]

    def columns(a: int, b: int) -> list:
        return [names[a:b], op_heads[a:b], inputs[a:b], b'],"value":', value_texts[a:b], b',"gradient":',
                _texts(gradients[a:b], orjson, b'},{"name":"')]
    for _start, pieces in _chunks(columns, len(rows)):
        pieces[0] = b'{"name":"' + pieces[0]
        pieces[-1] = pieces[-1][:-len(b',{"name":"')]         # the chunk's last entry: none after it
        yield b"".join(pieces)


def _backward_chunks(d, told, names: list, op_names: list, value_texts: list, orjson, encode):
    """step_dict(s) for s in d.steps: the seed, then every edge and sum as
    steps.tell() orders them: {"kind","direction","node","op","value",
    "target","input","upstream","local","contribution","total","kink"}."""
    yield encode(d.step_dict(seed_step(d.graph)))
    edges = len(told.nodes)
    if not edges:
        return
    # per node, what an edge from it starts with (after the previous entry's end)
    heads = list(map(b"".join, zip(repeat(b',{"kind":"edge","direction":"reverse","node":"'), names,
                                   repeat(b',"op":"'), op_names, repeat(b',"value":'), value_texts,
                                   repeat(b',"target":"'))))
    inputs = [b',"input":%d,"upstream":' % k for k in range(max(told.inputs) + 1)]
    kinks = set(d.tape.kinks)
    # an edge's total is its contribution unless other paths led into its target before
    contributions = _texts(told.contributions, orjson)
    totals = list(contributions)
    for _place, _j, _total, into in told.sums:
        for p, text in zip(into, _texts(list(_pick(told.totals, into)), orjson)):
            totals[p] = text

    def columns(a: int, b: int) -> list:
        nodes = told.nodes[a:b]
        texts = [_pick(heads, nodes), _pick(names, told.targets[a:b]), _pick(inputs, told.inputs[a:b]),
                 _texts(told.upstreams[a:b], orjson, b',"local":'),
                 _texts(told.locals[a:b], orjson, b',"contribution":'), contributions[a:b], b',"total":',
                 totals[a:b], b',"kink":' if kinks else b',"kink":false}']
        if kinks:
            texts.append(_pick((b"false}", b"true}"), list(map(kinks.__contains__, nodes))))
        return texts
    # the sums where paths meet, told before an edge: step_dict's dict for each, its two lists
    # (a term per edge into the node: 66,668 at 10^5 nodes) filled at C speed
    labels = d.graph.node_labels
    sums: dict[int, list] = {}
    for place, j, total, into in told.sums:
        entry = d.step_dict(Step("sum", j, j, total=total), ())
        entry["terms"] = list(_pick(labels, _pick(told.nodes, into)))
        entry["contributions"] = list(_pick(told.contributions, into))      # plain already
        sums.setdefault(place, []).append(entry)
    before = {place: b"," + encode(entries)[1:-1] for place, entries in sums.items()}
    places = sorted(before)
    for first, pieces in _chunks(columns, edges):
        last = min(first + CHUNK, edges)
        for place in places[bisect_left(places, first):bisect_left(places, last)]:
            at = (place - first) * (len(pieces) // (last - first))
            pieces[at] = before[place] + pieces[at]
        yield memoryview(b"".join(pieces))[1:]          # the chunk's first entry: no comma before it
    if edges in before:                     # after the last edge: leaves backward passed
        yield memoryview(before[edges])[1:]


def _chunks(columns, count: int):
    """(start, fragments) per CHUNK entries: columns(a, b) gives the texts of
    entries a..b-1, column by column (a column is one text per entry or the
    same bytes for every entry); the fragments: per entry, each column's in
    turn."""
    for start in range(0, count, CHUNK):
        texts = columns(start, min(start + CHUNK, count))
        n = min(CHUNK, count - start)
        width = len(texts)
        pieces = [b""] * (n * width)
        for c, column in enumerate(texts):
            pieces[c::width] = [column] * n if type(column) is bytes else column
        yield start, pieces


def dict_chunks(entries, encode):
    """Entries as their dicts, CHUNK at a time: each chunk's entries joined
    by commas (a view: 50 MB not copied again)."""
    while chunk := list(islice(entries, CHUNK)):
        yield memoryview(encode(chunk))[1:-1]


# What json_text escapes beyond what a JSON encoder does, as UTF-8: DEL, the C1
# controls, the line and paragraph separators, the direction overrides and isolates.
_UNSAFE_UTF8 = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]")


def escape_unsafe(data: bytes) -> bytes:
    """orjson's UTF-8 with what json_text escapes beyond it escaped as json_text does."""
    if _may_be_unsafe(data) and _UNSAFE_UTF8.search(data):
        return _UNSAFE_UTF8.sub(_escaped, data)
    return data


def _escaped(m) -> bytes:
    return f"\\u{ord(m.group().decode('utf-8')):04x}".encode("ascii")


def _may_be_unsafe(data: bytes) -> bool:
    """Whether _UNSAFE_UTF8 may match in `data`: ASCII and memchr tests first,
    then the three-byte characters (50 MB without any: 0.1 s, against 0.85 s
    for _UNSAFE_UTF8, whose alternatives have no first byte in common)."""
    if data.isascii():
        return b"\x7f" in data
    return b"\x7f" in data or b"\xc2" in data or b"\xe2\x80" in data or b"\xe2\x81" in data
