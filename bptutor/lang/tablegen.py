"""Writes tables.py: what Lark computes from the grammar file (LALR(1), its
basic lexer) as data -- the lexer's terminals as the one regex Lark's own lexer
matches, the parse table, and per rule what Lark's tree builder does with the
children (which to keep, which to inline, where an absent [optional] puts None).
parse.py runs those tables. A module of its own: it needs both the grammar file
and parse.py's builder (which rules have a method), and parse.py needs the
grammar file.

    python -m bptutor.lang.tablegen          # after editing grammars/bptutor.lark

tables.py records the grammar file's SHA-256; tests/test_syntax.py checks it,
and that writing the tables again gives the same bytes."""
from __future__ import annotations

import hashlib
import os
import re

from .grammar import START, grammar_text, lark_parser
from .parse import builder_methods

TABLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tables.py")


def tables_source(callbacks) -> str:
    """tables.py's text. `callbacks`: the rule names the parse's builder has."""
    from lark.parse_tree_builder import _should_expand, maybe_create_child_filter
    from lark.parsers.lalr_analysis import Shift

    text = grammar_text()
    lark = lark_parser()
    lexer = lark.parser.lexer
    lexer.scanner                               # builds what it matches with
    if lexer.callback or len(lexer.scanner._mres) != 1:
        raise SystemExit("the grammar needs Lark's lexer callbacks or several regexes: extend tables_source")
    terminals = lexer.scanner.terminals
    regex = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
    split = _quick_split(_split_alternatives(terminals), lexer.ignore_types)
    table = lark.parser.parser.parser.parse_table
    states = _canonical_order(table)
    number = {state: k for k, state in enumerate(states)}
    rules, rule_index, actions = [], {}, []
    for state in states:
        row = {}
        for symbol, (action, arg) in sorted(table.states[state].items()):
            if action is Shift:
                row[str(symbol)] = number[arg]
                continue
            if arg not in rule_index:
                rule_index[arg] = len(rules)
                rules.append(_rule(arg, callbacks, maybe_create_child_filter, _should_expand))
            row[str(symbol)] = -1 - rule_index[arg]
        actions.append(row)
    if any(row.get("$END", -1) >= 0 for row in actions):
        raise SystemExit("a state shifts the end of the text: parse._lalr never does")
    start = {name: number[table.start_states[name]] for name in START}
    end = {name: number[table.end_states[name]] for name in START}
    if any(actions[state] for state in end.values()):
        raise SystemExit("an end state has actions: parse._lalr ends where the end state has none")
    lines = [
        "# Generated from grammars/bptutor.lark by `python -m bptutor.lang.tablegen`: do not edit.",
        "# Lark's analysis of the grammar (see lang/tablegen.py); lang/parse.py runs it.",
        f"GRAMMAR_SHA256 = {hashlib.sha256(text.encode('utf-8')).hexdigest()!r}",
        f"TOKENS = {regex!r}",
        "# TOKENS as CPython's re compiles it, for the Python that wrote this file (see tablegen._compiled)",
        *_compiled_lines("TOKENS_COMPILED", regex),
        "# TOKENS with no group capturing, a name's terminals in one alternative, the common tokens tried",
        "# sooner (see tablegen._split_alternatives, _quick_split): its findall cuts a text into the tokens",
        "# TOKENS matches",
        f"SPLIT = {split!r}",
        *_compiled_lines("SPLIT_COMPILED", split),
        "# SPLIT as re.compile(SPLIT, re.ASCII) makes it: the same cuts of an ASCII text, sooner (see _ascii_alike)",
        *_compiled_lines("SPLIT_ASCII_COMPILED", _ascii_alike(split), re.ASCII),
        f"IGNORE = {sorted(lexer.ignore_types)!r}",
        f"START = {start!r}",
        f"END = {end!r}",
        "# per state: symbol -> the state to shift to (>= 0), or -1 - the rule to reduce by",
        "ACTIONS = (",
        *(f"    {row!r}," for row in actions),
        ")",
        "# per rule: (its symbol, how many children, the builder's method or None (children kept",
        "# as a list), the children kept as (index, inlined, Nones before it), Nones after, expand one)",
        "RULES = (",
        *(f"    {rule!r}," for rule in rules),
        ")",
    ]
    return "\n".join(lines) + "\n"


def _compiled(regex: str, flags: int = 0) -> tuple | None:
    """What re.compile makes of `regex` -- the matcher's code, flags and groups
    -- keyed by the Python that made it (implementation and version, the
    matcher's magic number and code size). parse.py hands it to _sre.compile
    under that same Python: compiling the token regex cost a seed example's
    run more than its derivation (19 M instructions, mostly the bitmaps of the
    name classes that leave super- and subscripts out). None where this
    Python's re has no such parts; parse.py then compiles the regex itself."""
    import sys
    try:
        import _sre
        from re import _compiler, _parser
        parsed = _parser.parse(regex, flags)
        code = _compiler._code(parsed, flags)
        groups = parsed.state.groupdict
    except (ImportError, AttributeError, TypeError):
        return None
    indexgroup = [None] * parsed.state.groups
    for name, index in groups.items():
        indexgroup[index] = name
    return ((sys.implementation.cache_tag, _sre.MAGIC, _sre.CODESIZE), int(parsed.state.flags),
            tuple(map(int, code)), parsed.state.groups - 1, dict(groups), tuple(indexgroup))


def _compiled_lines(variable: str, regex: str, flags: int = 0) -> list[str]:
    """`variable` = _compiled(regex, flags), the code 24 numbers a line."""
    compiled = _compiled(regex, flags)
    if compiled is None:
        return [f"{variable} = None"]
    key, flags, code, groups, groupindex, indexgroup = compiled
    return [f"{variable} = ({key!r}, {flags!r}, (",
            *(f"    {', '.join(map(str, code[k:k + 24]))}," for k in range(0, len(code), 24)),
            f"), {groups!r}, {groupindex!r},", f"    {indexgroup!r})"]


def _without_groups(regex: str) -> str:
    """`regex` with each of its groups, named or not, made non-capturing: the
    same matches. Checked by compiling both (same code but for the groups'
    marks), and that no part of it looks around or back: so a token's kind
    depends on its text alone, which parse.py relies on (see parse._tokens)."""
    from re import _compiler, _parser
    from re import _constants as c
    out, i = [], 0
    while i < len(regex):
        if regex[i] == "\\":                   # an escaped character, `\(` among them
            out.append(regex[i:i + 2])
            i += 2
        elif regex[i] == "[":                   # a class: `(` in it is a character
            end = i + 1 + (regex[i + 1] == "^")
            end += regex[end] == "]"
            while regex[end] != "]":
                end += 2 if regex[end] == "\\" else 1
            out.append(regex[i:end + 1])
            i = end + 1
        elif regex.startswith("(?P<", i):
            out.append("(?:")
            i = regex.index(">", i) + 1
        elif regex[i] == "(" and not regex.startswith("(?", i):
            out.append("(?:")
            i += 1
        else:
            out.append(regex[i])
            i += 1
    split = "".join(out)

    def drop_groups(items: list) -> None:
        for k, (op, av) in enumerate(items):
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT, c.GROUPREF, c.GROUPREF_EXISTS):
                raise SystemExit(f"the token regex looks around or back ({op}): extend parse._tokens")
            if op is c.SUBPATTERN:
                items[k] = (op, (None, *av[1:]))
                drop_groups(av[3].data)
            elif op is c.BRANCH:
                for branch in av[1]:
                    drop_groups(branch.data)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                drop_groups(av[2].data)
            elif op is c.ATOMIC_GROUP:
                drop_groups(av.data)

    ungrouped = _parser.parse(regex, 0)
    drop_groups(ungrouped.data)
    parsed = _parser.parse(split, 0)
    if parsed.state.groups != 1 or _compiler._code(parsed, 0) != _compiler._code(ungrouped, 0):
        raise SystemExit("the token regex without its groups is not the same regex: extend _without_groups")
    return split


def _split_alternatives(terminals) -> list[tuple[str, str]]:
    """The split regex's alternatives as (terminal, regex), before
    _quick_split orders them: each terminal's regex without groups (see
    _without_groups), in Lark's order, but the terminals that begin with a
    whole name (DEF_HEAD, NAME_EQ) folded into the name's alternative:
    `name(?:rest|rest|)`, one try of the name class per name, not three. The
    same cuts: a name matches one way where it matches (its repeats
    possessive), so `name rest1 | name rest2 | T | name` finds what
    `name(?:rest1|rest2|) | T` finds, checked here: where no terminal tried
    between them (T: NUMBER) can begin with a character a name begins with."""
    from itertools import chain
    from re import _compiler, _parser
    from re import _constants as c
    regexes = [_without_groups(t.pattern.to_regexp()) for t in terminals]

    def code(regex: str) -> list | None:
        try:
            return _compiler._code(_parser.parse(regex, 0), 0)
        except re.error:                        # `name*` + `+`: the rest is no regex of its own
            return None

    folded = {}                                 # name's index -> the indices of the terminals it begins
    for n, name in enumerate(regexes):
        begun = [k for k, regex in enumerate(regexes) if k != n and regex.startswith(name)
                 and code(f"{name}(?:{regex[len(name):]})") == code(regex) is not None]
        if begun:
            folded[n] = begun
    if not folded:
        return [(t.name, regex) for t, regex in zip(terminals, regexes)]
    if len(folded) > 1:
        raise SystemExit("several terminals begin others: extend _split_alternatives")
    (n, begun), = folded.items()
    name = _parser.parse(regexes[n], 0)
    for op, av in name.data:                    # one char class, possessive repeats of one: one way to match
        if not (op in (c.IN, c.LITERAL) or op is c.POSSESSIVE_REPEAT and len(av[2].data) == 1
                and av[2].data[0][0] in (c.IN, c.LITERAL)):
            raise SystemExit("a name may match in several ways (make its repeats possessive): "
                             "extend _split_alternatives")
    if max(begun) > n:
        raise SystemExit("a terminal that begins with a name comes after the name: extend _split_alternatives")
    everything = "".join(map(chr, chain(range(0xD800), range(0xE000, 0x110000))))     # no surrogates
    name_start = _compiler.compile(_parser.SubPattern(name.state, name.data[:1]), 0).search
    for k in range(begun[0], n):
        if k not in begun:
            parsed = _parser.parse(regexes[k], 0)
            firsts, empty = _first_items(parsed.data)
            if empty:
                raise SystemExit(f"{terminals[k].name} may match nothing: extend _split_alternatives")
            for item in firsts:
                starts = _compiler.compile(_parser.SubPattern(parsed.state, [item]), 0).findall(everything)
                if name_start("".join(starts)):
                    raise SystemExit(f"{terminals[k].name} may begin where a name does: extend _split_alternatives")
    rests = "|".join(regexes[k][len(regexes[n]):] for k in begun)
    return [(terminals[n].name, f"{regexes[n]}(?:{rests}|)") if k == begun[0] else (terminals[k].name, regex)
            for k, regex in enumerate(regexes) if k != n and k not in begun[1:]]


def _quick_split(alternatives: list[tuple[str, str]], ignored) -> str:
    """The split regex from _split_alternatives, reordered to find a common
    token sooner, cutting the same: re tries an alternation's branches in
    turn (`)` was the 23rd), and findall's time went mostly into trying. So a
    terminal's own alternatives stand alone (`\\+=|\\-=`), those that are one
    character (`+`, `)`, `^`) make one class, and that class, then the ignored
    terminals (blanks), come right after the first alternative (the name), each
    behind only what must be tried before it. Two alternatives change places
    only where no character may begin both (checked, as is that none may
    match nothing): at any position the first alternative that matches then
    is the one that matched first before."""
    from re import _constants as c
    from re import _parser
    items = [(name, branch) for name, regex in alternatives for branch in _branches(regex)]
    firsts = [_first_chars(regex, name) for name, regex in items]
    chars = {k: chr(parsed[0][1]) for k, (_name, regex) in enumerate(items)
             if len(parsed := _parser.parse(regex, 0).data) == 1 and parsed[0][0] is c.LITERAL}
    # units: an alternative, or the class of every one-character alternative
    units = [[k] for k in range(len(items)) if k not in chars] + ([sorted(chars)] if chars else [])
    unit_of = {k: u for u, members in enumerate(units) for k in members}
    # what must come before a unit: alternatives before it in Lark's order that may begin as it does
    before = [{unit_of[j] for k in members for j in range(k) if firsts[j] & firsts[k]} - {u}
              for u, members in enumerate(units)]

    def rank(u: int) -> tuple:
        k = units[u][0]
        return (0 if k == 0 else 1 if k in chars else 2 if items[k][0] in ignored else 3), k

    order: list[int] = []
    for u in sorted(range(len(units)), key=rank):   # each behind what must come before it, in Lark's order
        path = [u]
        while path:
            waiting = sorted((w for w in before[path[-1]] if w not in order), key=lambda w: units[w][0])
            if not waiting:
                if path[-1] not in order:
                    order.append(path[-1])
                path.pop()
            elif waiting[0] in path:
                raise SystemExit("one-character terminals on both sides of another: extend _quick_split")
            else:
                path.append(waiting[0])
    one_class = "[" + "".join(re.escape(ch) for ch in sorted(chars.values())) + "]"
    if set(re.compile(one_class).findall(_every_character())) != set(chars.values()):
        raise SystemExit("the one-character class is not its characters: extend _quick_split")
    return "|".join(one_class if units[u][0] in chars else f"(?:{items[units[u][0]][1]})" for u in order)


def _branches(regex: str) -> list[str]:
    """`regex` as the alternatives of its top-level alternation (`(?:a|b)`
    -> a, b; `ab` -> ab), checked to compile as `regex` does."""
    from re import _compiler, _parser
    inner = regex[3:-1] if regex.startswith("(?:") and _closing(regex, 0) == len(regex) - 1 else regex
    parts, depth, start, i = [], 0, 0, 0
    while i < len(inner):
        if inner[i] == "\\":
            i += 2
            continue
        if inner[i] == "[":
            i = _class_end(inner, i)
        elif inner[i] == "(":
            depth += 1
        elif inner[i] == ")":
            depth -= 1
        elif inner[i] == "|" and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
        i += 1
    parts.append(inner[start:])

    def code(r: str) -> list:
        return _compiler._code(_parser.parse(r, 0), 0)
    if code("|".join(parts)) != code(regex):
        raise SystemExit(f"{regex} is not the alternation of {parts}: extend _branches")
    return parts


def _class_end(regex: str, i: int) -> int:
    """The index of the `]` closing the character class that opens at `i`."""
    end = i + 1 + (regex[i + 1] == "^")
    end += regex[end] == "]"
    while regex[end] != "]":
        end += 2 if regex[end] == "\\" else 1
    return end


def _closing(regex: str, i: int) -> int:
    """The index of the `)` closing the group that opens at `i`."""
    depth = 0
    while True:
        if regex[i] == "\\":
            i += 2
            continue
        if regex[i] == "[":
            i = _class_end(regex, i)
        elif regex[i] == "(":
            depth += 1
        elif regex[i] == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1


_EVERY_CHARACTER = []


def _every_character() -> str:
    """Every character but the surrogates, made once."""
    from itertools import chain
    if not _EVERY_CHARACTER:
        _EVERY_CHARACTER.append("".join(map(chr, chain(range(0xD800), range(0xE000, 0x110000)))))
    return _EVERY_CHARACTER[0]


def _first_chars(regex: str, name: str) -> set[str]:
    """The characters a match of `regex` (terminal `name`'s) may begin with;
    refused where it may match nothing."""
    from re import _compiler, _parser
    parsed = _parser.parse(regex, 0)
    firsts, empty = _first_items(parsed.data)
    if empty:
        raise SystemExit(f"{name} may match nothing: extend _quick_split")
    found = set()
    for item in firsts:
        found.update(_compiler.compile(_parser.SubPattern(parsed.state, [item]), 0).findall(_every_character()))
    return found


def _first_items(items) -> tuple[list, bool]:
    """The one-character items (a literal, a class: _parser's) a match of
    `items` may begin with, and whether it may match nothing (recursion over
    the grammar's regexes, not over input)."""
    from re import _constants as c
    firsts = []
    for op, av in items:
        if op in (c.IN, c.LITERAL):
            return [*firsts, (op, av)], False
        if op is c.SUBPATTERN:
            subs, empty = [av[3]], False
        elif op is c.BRANCH:
            subs, empty = av[1], False
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            subs, empty = [av[2]], av[0] == 0
        else:
            raise SystemExit(f"a terminal begins with {op}: extend _first_items")
        for sub in subs:
            sub_firsts, sub_empty = _first_items(sub.data)
            firsts += sub_firsts
            empty = empty or sub_empty
        if not empty:
            return firsts, False
    return firsts, True


def _ascii_alike(regex: str) -> str:
    """`regex`, checked to match an ASCII text exactly as it does compiled
    with re.ASCII: re.ASCII changes only what \\w, \\d, \\s (and their
    negations, and word boundaries) match and how case is folded, and on ASCII
    characters \\w and \\d match the same either way; so no \\s, no case
    folding (boundaries _without_groups refuses already)."""
    from re import _constants as c
    from re import _parser
    parsed = _parser.parse(regex, 0)
    todo = [parsed.data]
    while todo:
        for op, av in todo.pop():
            if op is c.IN and any(a == c.CATEGORY and v not in (c.CATEGORY_WORD, c.CATEGORY_NOT_WORD, c.CATEGORY_DIGIT,
                                                             c.CATEGORY_NOT_DIGIT) for a, v in av):
                raise SystemExit("the token regex has a class that re.ASCII changes on ASCII text: extend _ascii_alike")
            if op is c.SUBPATTERN:
                todo.append(av[3].data)
            elif op is c.BRANCH:
                todo.extend(branch.data for branch in av[1])
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                todo.append(av[2].data)
            elif op is c.ATOMIC_GROUP:
                todo.append(av.data)
    if parsed.state.flags & (c.SRE_FLAG_IGNORECASE | c.SRE_FLAG_LOCALE):
        raise SystemExit("the token regex folds case: extend _ascii_alike")
    return regex


def _canonical_order(table) -> list:
    """The states breadth-first from the start states, each state's moves in
    the order of their symbols: Lark numbers its states differently from run
    to run (it iterates sets of objects), this order is the same every time."""
    from collections import deque
    from lark.parsers.lalr_analysis import Shift
    order, seen = [], set()
    todo = deque(table.start_states[name] for name in START)
    while todo:
        state = todo.popleft()
        if state in seen:
            continue
        seen.add(state)
        order.append(state)
        todo.extend(arg for _symbol, (action, arg) in sorted(table.states[state].items()) if action is Shift)
    if len(order) != len(table.states):
        raise SystemExit("a parse state no start state leads to")
    return order


def _rule(rule, callbacks, maybe_create_child_filter, should_expand) -> tuple:
    """What Lark's ParseTreeBuilder wraps around this rule's callback, as data."""
    options = rule.options
    name = str(rule.alias or options.template_source or rule.origin.name)     # Lark's names are Tokens
    method = name if not name.startswith("_") and name in callbacks else None
    made = maybe_create_child_filter(rule.expansion, options.keep_all_tokens, False, options.empty_indices)
    if made is None:
        keep, nones_after = tuple((i, False, 0) for i in range(len(rule.expansion))), 0
    elif len(made.args) == 2:                   # ChildFilterLALR: (to_include, append_none)
        keep, nones_after = tuple(made.args[0]), made.args[1]
    else:                                       # without placeholders: (index, inlined) pairs
        keep, nones_after = tuple((i, inlined, 0) for i, inlined in made.args[0]), 0
    expand_one = bool(options.expand1 and not rule.alias)
    if method is None and not rule.origin.name.startswith("_") and not expand_one:
        raise SystemExit(f"rule {name} has no method in the builder")
    if any(inlined and not should_expand(rule.expansion[i]) for i, inlined, _ in keep):
        raise SystemExit(f"rule {name}: an inlined child that is not an _rule")
    return (str(rule.origin.name), len(rule.expansion), method, keep, nones_after, expand_one)


def main() -> None:
    with open(TABLES, "w", encoding="utf-8") as file:
        file.write(tables_source(builder_methods()))
    print(f"wrote {TABLES}")


if __name__ == "__main__":
    main()
