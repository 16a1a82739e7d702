"""The language: precedence, one-input gates, names, folding, --vals."""
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptutor
from bptutor.errors import BptutorError
from bptutor.lang.parse import parse
from bptutor.lang.text import fold
from bptutor.lang.values import parse_values


def ops(src):
    return [(n.op.name, n.c) for n in parse(src).nodes if n.args]


def value(src, **vals):
    return bptutor.derive(src, vals).value


@pytest.mark.parametrize("src, expected", [
    ("-x^2", -9), ("2^x^2", 2 ** 9), ("x**2", 9), ("-x**2", -9), ("x-1-1", 1), ("x/3/3", 1 / 3),
    ("2*x+1", 7), ("2*(x+1)", 8), ("+x", 3), ("--x", 3), ("x^-1", 1 / 3), ("2.5E2*x", 750),
    ("1e-3*x", 0.003), ("e^0*x", 3), ("pi*x/pi", 3), ("max(x, 2)", 3), ("min(x, 2)", 2),
    ("ln(x)", pytest.approx(1.0986, abs=1e-4)), ("theta*x", 6), ("w_0+x", 4),
])
def test_precedence_and_values(src, expected):
    assert value(src, x=3, theta=2, w_0=1) == expected


def test_constant_operands_become_one_input_gates():
    assert ops("1/(1+exp(-x))") == [("neg", None), ("exp", None), ("add_const", 1), ("rdiv_const", 1)]
    assert ops("x^2 - 1") == [("pow_const", 2), ("add_const", -1)]
    assert ops("3*x") == [("mul_const", 3)]
    assert ops("1 - x") == [("rsub_const", 1)]


def test_a_value_used_twice_is_one_node_with_two_edges():
    g = parse("x*x")
    assert len(g.nodes) == 2 and g.nodes[1].args == (0, 0)
    assert bptutor.derive("x*x", {"x": 3}).gradients["x"] == 6


def test_program_names_label_nodes_and_the_last_statement_is_the_output():
    g = parse("q = x + y\nf = q * z  # the output")
    assert [n.label for n in g.nodes] == ["x", "y", "q", "z", "f"]
    assert g.nodes[g.output].label == "f"


def test_numbers_assigned_in_a_program_are_inputs_that_vals_override():
    src = "x = -2; y = 5; z = -4; f = (x + y) * z"
    assert bptutor.derive(src).value == -12
    assert bptutor.derive(src, {"z": 1}).value == 3


def test_e_and_pi_are_constants_unless_given():
    assert bptutor.derive("e*x", {"x": 1}).value == pytest.approx(2.718281828)
    assert bptutor.derive("e*x", {"x": 1, "e": 2}).gradients == {"e": 1, "x": 2}


def test_chinese_ime_input_folds_to_ascii_keeping_positions():
    src = "（x＋y）×z÷２−w·１"
    assert fold(src) == "(x+y)*z/2-w·1" and len(fold(src)) == len(src)     # · is the grammar's own
    assert bptutor.derive(src, "x=1，y=2；z=4 w=1").value == 5


def test_newlines_inside_brackets_and_after_backslash_continue_a_statement():
    assert value("f = (x +\n 1)\n", x=1) == 2
    assert value("f = x + \\\n 1", x=1) == 2


def _fold_char_by_char(text):
    """fold()'s joining of lines, one character at a time (as it was written first)."""
    chars = list(text)
    depth, comment = 0, None
    for i, ch in enumerate(text):
        if ch == "\n":
            if depth > 0 or (comment is None and i and chars[i - 1] == "\\"):
                chars[i] = " "
                if comment is not None:
                    chars[comment:i] = " " * (i - comment)
                elif chars[i - 1] == "\\":
                    chars[i - 1] = " "
            comment = None
        elif comment is None and ch == "#":
            comment = i
        elif comment is None and ch in "([":
            depth += 1
        elif comment is None and ch in ")]":
            depth = max(depth - 1, 0)
    return "".join(chars)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["(", ")", "[", "]", "#", "\\", "\n", "\r", "x", " ", "（", "］", "a#(b"]),
                max_size=30).map("".join))
def test_fold_joins_lines_as_a_character_by_character_scan_does(src):
    assert fold(src) == _fold_char_by_char(src.replace("\r", "\n").replace("（", "(").replace("］", "]"))


def test_vals_grammar_separators_and_constant_expressions():
    assert parse_values("a=1, b=-2; c=3 d=pi/2\ne=1e-3") == pytest.approx(
        {"a": 1, "b": -2, "c": 3, "d": 1.5707963, "e": 0.001})


@pytest.mark.parametrize("text, key", [
    ("x=abc", "value.not_a_number"), ("x=1, x=2", "value.duplicate"), ("x=1e999", "value.too_large"),
])
def test_bad_vals(text, key):
    with pytest.raises(BptutorError) as exc:
        parse_values(text)
    assert exc.value.key == key


@pytest.mark.parametrize("src, key, span", [
    ("(x+y", "syntax.unclosed", (0, 1)),
    ("x+", "syntax.missing_operand", (1, 2)),
    ("x+*y", "syntax.two_operators", (2, 3)),
    ("x+y)", "syntax.unmatched_close", (3, 4)),
    ("sigmiod(x)", "syntax.unknown_function_suggest", (0, 7)),
    ("max()", "syntax.arity", (0, 5)),
    ("x $ y", "syntax.unexpected_char", (2, 3)),
    ("x⁻ + 1", "syntax.lookalike", (1, 2)),
    ("", "syntax.empty", (0, 0)),
    ("__import__('os').system('ls')", "syntax.quote", (11, 12)),
])
def test_syntax_errors_have_keys_and_spans(src, key, span):
    with pytest.raises(BptutorError) as exc:
        parse(src)
    assert (exc.value.key, exc.value.span) == (key, span)


@pytest.mark.parametrize("src, vals, key", [
    ("log(x)", {"x": 0}, "math.log_domain"), ("sqrt(x)", {"x": -1}, "math.sqrt_domain"),
    ("1/x", {"x": 0}, "math.division_by_zero"), ("x/y", {"x": 1, "y": 0}, "math.division_by_zero"),
    ("x^-1", {"x": 0}, "math.pow_zero_negative"), ("exp(x)", {"x": 1000}, "math.overflow"),
    ("x*y", {"x": 1e200, "y": 1e200}, "math.overflow"), ("x+y", {"x": 1}, "value.missing"),
])
def test_evaluation_errors_name_the_node(src, vals, key):
    with pytest.raises(BptutorError) as exc:
        bptutor.derive(src, vals)
    assert exc.value.key == key


def test_deep_nesting_does_not_recurse():
    depth = 100_000
    src = "(" * depth + "x" + ")" * depth + "+" + "-" * 1000 + "x"
    assert bptutor.derive(src, {"x": 2}, check=False).gradients["x"] == 2
    nested = "exp(" * 2000 + "x" + ")" * 2000       # deep chain of gates
    assert parse(nested).nodes[-1].op.name == "exp"


def test_every_node_built_for_an_operator_records_its_operators_span():
    src = "q = -x + 2*y^z\nf = exp(q) * W.T[1] + sum(W @ v, 0)"
    g = parse(src)
    spans = [(n.op.name, src[n.op_start:n.op_end]) for n in g.nodes if n.args]
    assert spans == [("neg", "-"), ("pow", "^"), ("mul_const", "*"), ("add", "+"), ("exp", "exp(q)"),
                     ("transpose", ".T"), ("index", "[1]"), ("mul", "*"), ("matmul", "@"),
                     ("sum", "sum(W @ v, 0)"), ("add", "+")]
    leaves = [(n.start, n.end) == (n.op_start, n.op_end) for n in g.nodes if not n.args]
    assert leaves and all(leaves)           # a leaf's "operator" is the leaf itself


def test_concurrent_parses_in_threads_never_mix():
    # Each program has its own names, size and numbers: a builder shared between
    # two parses would give a wrong graph, value or gradient (switching threads
    # every microsecond makes the interleaving happen).
    import sys
    import threading

    def program(t, k):
        terms = " + ".join(f"a{t}_{j}*x{t}" for j in range(k % 7 + 1))
        return f"s{t} = {terms}\nf = s{t} * y{t} - {k}", k % 7 + 1

    failures = []

    def work(t):
        for k in range(200):
            src, n = program(t, k)
            values = {f"x{t}": 2.0, f"y{t}": 3.0, **{f"a{t}_{j}": float(j + t) for j in range(n)}}
            try:
                d = bptutor.derive(src, values, check=False)
            except Exception as exc:         # a thread's exception would not fail the test by itself
                failures.append((t, k, repr(exc)))
                continue
            a_sum = sum(float(j + t) for j in range(n))
            expected = {f"x{t}": a_sum * 3.0, f"y{t}": a_sum * 2.0, **{f"a{t}_{j}": 6.0 for j in range(n)}}
            if d.value != a_sum * 6.0 - k or d.gradients != expected:
                failures.append((t, k, d.value, d.gradients))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []


# ---- the parse tables: Lark's analysis of grammars/bptutor.lark, run by parse.py ----------
def test_the_tables_are_written_from_the_grammar_file_as_it_is():
    """Edit grammars/bptutor.lark, then run `python -m bptutor.lang.tablegen`."""
    import hashlib

    from bptutor.lang import grammar, parse as parse_module, tablegen, tables
    text = grammar.grammar_text()
    assert tables.GRAMMAR_SHA256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    with open(tablegen.TABLES, encoding="utf-8") as file:
        written = file.read()
    fresh = tablegen.tables_source(parse_module.builder_methods())
    if _compiled_key(written) != _compiled_key(fresh):      # written by another Python: its compiled regex aside
        written, fresh = _without_compiled(written), _without_compiled(fresh)
    assert written == fresh


def _compiled_key(source: str) -> str:
    return re.search(r"^TOKENS_COMPILED = (\(\(.*?\)|None)", source, re.M).group(1)


def _without_compiled(source: str) -> str:
    return re.sub(r"^TOKENS_COMPILED = .*?(?=^IGNORE = )", "", source, flags=re.M | re.S)


def test_the_token_regex_is_what_re_compiles(monkeypatch):
    """parse.py compiles the token regex from the code tables.py holds (its
    compiling cost a run more than deriving a seed example): the same pattern
    re.compile makes, code and all (patterns compare their code); under
    another Python, or without the code, re compiles it."""
    from bptutor.lang import parse as parse_module, tables
    expected = re.compile(tables.TOKENS)
    if tables.TOKENS_COMPILED is not None and tables.TOKENS_COMPILED[0][0] == sys.implementation.cache_tag:
        built = parse_module.token_regex(tables)
        assert built == expected and built is not expected       # made from the code, not re's cache
        assert built.groupindex == expected.groupindex and built.match("w0 = 1").lastgroup == "NAME_EQ"
    monkeypatch.setattr(tables, "TOKENS_COMPILED", (("another-python", 0, 0),) + tables.TOKENS_COMPILED[1:]
                        if tables.TOKENS_COMPILED else None)
    assert parse_module.token_regex(tables) is expected
    monkeypatch.setattr(tables, "TOKENS_COMPILED", None)
    assert parse_module.token_regex(tables) is expected


def test_the_split_regexes_cut_as_the_token_regex_matches():
    """tables.SPLIT is TOKENS with no group capturing (a name's terminals in
    one alternative); it is run from its code as re compiles it, and compiled
    with re.ASCII for an ASCII text: the same tokens, one findall, as matching
    TOKENS at each token's end."""
    from bptutor.lang import parse as parse_module, tables
    for stored, flags in ((tables.SPLIT_COMPILED, 0), (tables.SPLIT_ASCII_COMPILED, re.ASCII)):
        split = parse_module._stored_regex(tables.SPLIT, stored, flags)
        assert split == re.compile(tables.SPLIT, flags) and split.groups == 0
        for text in ["f( a ,\tb ) \f= a*b\nf(1, 2)  # c", "θ = 2.5e-3 ** x²ᵀ + √y · z",
                     "w.T @ x[0, :] -= 1 \\cdot y", "a=1 b =2 c\t= 3 d 4e2 .5x f(a)=a f (a ,b)b g( )= 1",
                     "αβ_0 = 2 ; α(β) ; α (β,γ) = β", "kᵀ √l⋅m·n",
                     "a+=b-=c*=d/=e**f^-g|h|;i:j@k \\cdot m\\times o\n#c\n.5.x*1.e3"]:
            scan, pieces, pos = re.compile(tables.TOKENS).match, [], 0
            while pos < len(text):
                pieces.append(scan(text, pos).group())
                pos += len(pieces[-1])
            assert split.findall(text) == pieces or flags and not text.isascii()


def test_the_split_regex_folds_a_name_only_where_that_cuts_the_same():
    """A name's terminals share its alternative only where the name matches one
    way and no terminal tried between them can begin where a name begins."""
    from types import SimpleNamespace

    from bptutor.lang import tablegen

    def split(*terminals):
        return "|".join(f"(?:{regex})" for _name, regex in tablegen._split_alternatives(
            [SimpleNamespace(name=name, pattern=SimpleNamespace(to_regexp=lambda r=r: r)) for name, r in terminals]))
    name = ("NAME", "[a-z][a-z0-9]*+")
    assert split(("EQ", "[a-z][a-z0-9]*+="), ("NUM", r"\d+"), name) == r"(?:[a-z][a-z0-9]*+(?:=|))|(?:\d+)"
    # `[a-z][a-z0-9]*` + `+=`: EQ's text begins with NAME's, its regex does not (the `+` makes NAME's repeat possessive)
    assert split(("EQ", "[a-z][a-z0-9]*+="), ("NAME", "[a-z][a-z0-9]*")) == "(?:[a-z][a-z0-9]*+=)|(?:[a-z][a-z0-9]*)"
    for terminals, refusal in [(["[a-z][a-z0-9]*+=", "x?y"], "KW may begin where a name does"),
                               (["[a-z][a-z0-9]*+=", "[0-9]?"], "KW may match nothing"),
                               (["[a-z][a-z0-9]*=", "[0-9]"], None)]:
        refused = refusal or "a name may match in several ways"
        with pytest.raises(SystemExit, match=refused):
            split(("EQ", terminals[0]), ("KW", terminals[1]),
                  name if refusal else ("NAME", "[a-z][a-z0-9]*"))


def test_the_split_regex_tries_common_tokens_sooner_where_that_cuts_the_same():
    """tables.SPLIT tries the one-character terminals as one class, and the
    ignored ones, right after the name: behind only the alternatives that
    may begin as they do (`+=` before `+`); refused where that cannot be."""
    from bptutor.lang import tables, tablegen
    quick = tablegen._quick_split
    assert quick([("NAME", "[a-z]+"), ("AUG", r"(?:\+=|\-=)"), ("NUM", r"\d+"), ("ADD", r"\+"), ("WS", "[ ]+"),
                  ("SUB", r"\-"), ("INC", r"\+\+"), ("TIMES", r"\*")], {"WS"}) == \
        r"(?:[a-z]+)|(?:\+=)|(?:\-=)|[\*\+\-]|(?:[ ]+)|(?:\d+)|(?:\+\+)"
    # `x` after NAME, which may begin with it: it stays behind NAME (here: NAME is first anyway)
    assert quick([("NUM", r"\d+"), ("NAME", "[a-z]+"), ("X", "x")], set()) == r"(?:\d+)|(?:[a-z]+)|[x]"
    with pytest.raises(SystemExit, match="on both sides"):      # `+` before `[+-]x`, `-` after it
        quick([("NAME", "[a-z]+"), ("ADD", r"\+"), ("SIGNED", "[+-]x"), ("SUB", r"\-")], set())
    with pytest.raises(SystemExit, match="E may match nothing"):
        quick([("NAME", "[a-z]+"), ("E", "y?")], set())
    assert tables.SPLIT.index(r"(?:\+=)") < tables.SPLIT.index(r"\+,") < tables.SPLIT.index(r"(?:\d+")


def _outcome(src, start="program"):
    """What parsing gives, compared node by node: the graph's nodes (op, inputs,
    constant, name, label, spans) and output, or the error's key and span."""
    from bptutor.lang import parse as parse_module
    try:
        if start == "program":
            g = parse_module.parse(src)
        else:
            g, pairs = parse_module.parse_assignments(src)
            g.output = [(name, repr(getattr(v, "value", getattr(v, "index", None))), s, e) for name, v, s, e in pairs]
    except BptutorError as exc:
        return ("error", exc.key, exc.span, repr(exc.params))
    nodes = [(n.op.name, n.args, repr(n.c), n.name, n.label, n.start, n.end, n.op_start, n.op_end) for n in g.nodes]
    return nodes, g.output, sorted(g.inputs.items())


def _by_lark(monkeypatch, src, start="program"):
    from bptutor.lang import parse as parse_module

    def rejected(*args):
        raise parse_module._Rejected
    with monkeypatch.context() as m:
        m.setattr(parse_module, "_lalr", rejected)      # every parse goes to Lark's own parser
        return _outcome(src, start)


PIECES = ["x", "y", "w0", "e", "pi", "2", "2.5", "1e3", ".5", "+", "-", "*", "/", "^", "**", "@", "(", ")",
          "[", "]", ",", ";", "\n", "=", ".T", "exp(", "max(", "sum(", " ", "# c\n", "[0]", "a = ", "θ",
          "\t", " \f", "$"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join), st.sampled_from(["program", "assignments"]))
def test_the_tables_parse_exactly_as_lark_does(src, start):
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _outcome(src, start) == _by_lark(monkeypatch, src, start)


@pytest.mark.parametrize("src, start", [
    ("1/(1+exp(-(w0*x0+w1*x1+w2)))", "program"), ("a = x^2; b = exp(a)\nc = a + b # sum\nd = c.T[0]", "program"),
    ("sum(W @ x) + max(x, 2) + f()", "program"), ("x=1, y=-2; z=[1, 2]\nw = 2*x", "assignments"),
    ("", "program"), ("x + * y", "program"), ("(x", "program"), ("x y", "assignments"), ("x = = 1", "program"),
    # blanks are skipped inside a token's match: at the end, before what no terminal matches, inside a head
    ("x + \t y  \t", "program"), ("x  $", "program"), ("f( a ,\tb ) \f= a*b\nf(1, 2)  # c", "program"),
    ("x = 1 ,\ty=2  ", "assignments"),
    # no terminal matches the very first character (no token before the failure)
    ("$$", "program"), ("$", "assignments"), ("  $x", "program"),
])
def test_the_tables_and_lark_agree_on_the_notes_and_on_mistakes(monkeypatch, src, start):
    assert _outcome(src, start) == _by_lark(monkeypatch, src, start)


def test_a_call_of_one_node_built_lean_is_built_as_the_general_path_builds_it(monkeypatch):
    """call()'s lean path for `sin(x)` (every function and alias of one argument)
    gives the nodes, spans and errors _function gives."""
    from bptutor.core.ops import FUNCTIONS
    from bptutor.lang import parse as parse_module
    from bptutor.lang.notation import ALIASES, BUILT_FORMS
    names = sorted({*FUNCTIONS, *ALIASES, *BUILT_FORMS, "SIN", "Exp", "ReLU", "nope"})
    sources = [f"y = {name}(x) + {name}(y*2) + {name}(3)" for name in names]
    sources += ["sin(x) + max(x) + sum(W) + f(x)", "g(a) = sin(a) * exp(b)\ng(x) + sin(g(y))", "sin(np.exp(x))",
                "T = 2\nsin(T) + sum(W^T)"]
    lean = [_outcome(src) for src in sources]
    monkeypatch.setattr(parse_module, "_plain_call", lambda fname: None)
    assert lean == [_outcome(src) for src in sources]
    assert sum(not isinstance(o[0], str) for o in lean) > len(FUNCTIONS) // 2       # most parse
