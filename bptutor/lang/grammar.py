"""The grammar file grammars/bptutor.lark, and the parse tables built from it.

The file is the one definition of the language. Lark analyses it (LALR(1),
its basic lexer) and this module writes what Lark computed into tables.py:
the lexer's terminals as the one regex Lark's own lexer matches, the parse
table, and per rule what Lark's tree builder does with the children (which
to keep, which to inline, where an absent [optional] puts None). parse.py
runs those tables, so a run imports neither Lark nor its grammar cache; Lark
itself is built from the file only to name a syntax error (the parse that
failed is run again by Lark, which raises its own exception) and for the
REPL's highlighting (its analysis cached in the user's own folder, see
parse.cache_file).

    python -m bptutor.lang.grammar          # after editing grammars/bptutor.lark

tables.py records the grammar file's SHA-256; tests/test_syntax.py checks it,
and that writing the tables again gives the same bytes."""
from __future__ import annotations

import hashlib
import os

START = ("program", "assignments")
_HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = os.path.join(_HERE, "tables.py")


def grammar_path() -> str:
    """Inside the installed package (the wheel force-includes grammars/), else
    at the top of the source checkout."""
    packaged = os.path.join(os.path.dirname(_HERE), "grammars", "bptutor.lark")
    if os.path.isfile(packaged):
        return packaged
    return os.path.join(os.path.dirname(os.path.dirname(_HERE)), "grammars", "bptutor.lark")


def grammar_text() -> str:
    with open(grammar_path(), encoding="utf-8") as file:
        return file.read()


def lark_parser(transformer=None, cache=False):
    """Lark's LALR parser of the grammar file (`cache`: Lark's cache file, see parse.cache_file)."""
    from lark import Lark
    return Lark(grammar_text(), parser="lalr", lexer="basic", start=list(START), transformer=transformer,
                maybe_placeholders=True, cache=cache)


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
    start = {name: number[table.start_states[name]] for name in START}
    end = {name: number[table.end_states[name]] for name in START}
    lines = [
        "# Generated from grammars/bptutor.lark by `python -m bptutor.lang.grammar`: do not edit.",
        "# Lark's analysis of the grammar (see lang/grammar.py); lang/parse.py runs it.",
        f"GRAMMAR_SHA256 = {hashlib.sha256(text.encode('utf-8')).hexdigest()!r}",
        f"TOKENS = {regex!r}",
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
    from .parse import builder_methods
    with open(TABLES, "w", encoding="utf-8") as file:
        file.write(tables_source(builder_methods()))
    print(f"wrote {TABLES}")


if __name__ == "__main__":
    main()
