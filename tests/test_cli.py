"""The command line through main(argv): output, exit codes, errors with carets."""
import json
import subprocess
import sys

import pytest

from bptutor.core.ops import FUNCTIONS
from bptutor.i18n import t
from helpers import ROOT, render_text, run, snapshot

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"


def test_sigmoid_at_two_digits_shows_the_notes_numbers():
    code, out, err = run(SIGMOID, "--vals", SIGMOID_VALS, "--digits", "2", "--lang", "zh")
    assert code == 0 and err == ""
    for number in ("0.73", "-0.53", "-0.20", "0.39", "-0.59", "1.37", "0.37"):
        assert number in out
    assert "从前面传过来的梯度为" in out and "2 × 0.197 = 0.39" in out      # the factor with the digits that give 0.39
    snapshot("sigmoid_zh_digits2.txt", out)


def test_sigmoid_en():
    code, out, _ = run(SIGMOID, "--vals", SIGMOID_VALS, "--lang", "en")
    assert code == 0 and "upstream gradient" in out and "-0.5898" in out
    snapshot("sigmoid_en.txt", out)


def test_mml_program_shows_the_sum_of_paths():
    code, out, _ = run("a = x^2; b = exp(a); c = a + b; d = sqrt(c); e = cos(c); f = d + e",
                       "--vals", "x=0.5", "--lang", "en")
    assert code == 0
    assert "∂f/∂c = ∂f/∂d·∂d/∂c + ∂f/∂e·∂e/∂c = 0.4037 + (-0.9993) = -0.5956" in out
    assert "∂f/∂a = ∂f/∂b·∂b/∂a + ∂f/∂c·∂c/∂a = -0.7648 + (-0.5956) = -1.3604" in out
    snapshot("mml_en.txt", out)


def test_mml_program_zh():
    code, out, _ = run("-f", str(ROOT / "examples" / "mml_5_14.bp"), "--lang", "zh")
    assert code == 0 and "c 结点有 2 条路径汇合" in out
    snapshot("mml_zh.txt", out)


def test_json_is_exactly_to_dict():
    code, out, _ = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["value"] == -12 and data["gradients"] == {"x": -4, "y": -4, "z": 3}
    assert {"value", "gradients", "numeric_gradients", "steps", "warnings"} <= set(data)
    edge = data["steps"][1]
    assert edge["kind"] == "edge" and {"node", "op", "value", "upstream", "local", "contribution"} <= set(edge)


def test_big_json_is_streamed_as_the_whole_to_dict(monkeypatch):
    """Above 2000 nodes --json is compact and written a chunk of entries at a
    time, by orjson: the same data as to_dict(); without orjson, the same
    bytes as json.dumps of the whole."""
    import io
    import sys

    import bptutor
    from bptutor.app.export import write_json
    from bptutor.app.jsonlists import CHUNK as JSON_CHUNK
    from bptutor.tutor.answers import judge
    terms = " + ".join(f"w{i % 7}*x{i % 5}" for i in range(JSON_CHUNK // 2))   # more steps than a chunk
    d = bptutor.derive(terms, {**{f"w{i}": i / 7 for i in range(7)}, **{f"x{i}": 1 - i / 5 for i in range(5)}})
    assert len(d.graph.nodes) > 2000 and len(d.steps) > JSON_CHUNK
    verdicts = judge(d, "w0=1, x1=2")
    whole = {**d.to_dict(), "answers": [v.to_dict(d.graph.node_labels) for v in verdicts]}
    out = io.StringIO()
    write_json(d, out, verdicts)
    assert out.getvalue().endswith("}\n") and json.loads(out.getvalue()) == json.loads(json.dumps(whole))
    monkeypatch.setitem(sys.modules, "orjson", None)
    out = io.StringIO()
    write_json(d, out, verdicts)
    assert out.getvalue() == json.dumps(whole, ensure_ascii=False, separators=(",", ":")) + "\n"


def long_lists_bytes(d) -> dict:
    """app/jsonlists' nodes and steps of `d`, each as the bytes of its JSON list."""
    import orjson

    from bptutor.app.export import _compact_encoder
    from bptutor.app.jsonlists import long_lists
    lists = long_lists(d, orjson, _compact_encoder())
    assert lists is not None
    return {key: b"[" + b",".join(map(bytes, chunks)) + b"]" for key, chunks in lists.items()}


def assert_long_lists_are_the_dicts(d):
    """jsonlists writes exactly what orjson writes for node_dict's and step_dict's dicts: the same data,
    key order and bytes (escaped as json_text escapes)."""
    from bptutor.app.export import _compact_encoder
    encode = _compact_encoder()
    written = long_lists_bytes(d)
    expected = {"nodes": [d.node_dict(i) for i in range(len(d.graph.nodes))], "steps": d.all_steps()}
    for key, data in written.items():
        assert json.loads(data) == expected[key]
        assert [list(e) for e in json.loads(data)] == [list(e) for e in expected[key]]      # key order too
        assert data == encode(expected[key])


@pytest.mark.parametrize("source, values, kinds", [
    ("x*x + x*y", "x=-2,y=5", {"seed", "edge", "sum"}),                              # fan-out: sum steps
    ("a = x*y; b = relu(a) + max(a, y) + abs(x); c = b*b + 2/b", "x=0,y=3", {"seed", "edge", "sum"}),  # kinks
    ("1/(1+exp(-(w0*x0+w1*x1+w2)))", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", {"seed", "edge"}),
    ("a = x*y; b = a*a + sin(a) - a/x; b*b + max(b, 1e-5*x) + 1e16*y", "x=0.5,y=-0.0", {"seed", "edge", "sum"}),
    ("x", "x=1", {"seed"}),                                                          # no edge at all
    ("t*u + v*w*t + sin(z)", "t=1e-300,u=5e-324,v=1e300,w=-0.0,z=123456789.125", {"seed", "edge", "sum"}),
])
def test_long_lists_written_column_by_column_are_node_dict_and_step_dict(source, values, kinds):
    """write_json writes a big scalar derivation's nodes and steps column by
    column (app/jsonlists.py): byte for byte what orjson writes for their
    dicts, on graphs with sums where paths meet (at leaves and inner nodes),
    kinks, tiny and huge floats, -0.0."""
    import bptutor
    from bptutor.lang.values import parse_values
    d = bptutor.derive(source, parse_values(values))
    assert {s["kind"] for s in d.all_steps()} == kinds
    assert_long_lists_are_the_dicts(d)


def test_long_lists_agree_with_the_dicts_on_random_graphs():
    """Random programs (shared subexpressions, kinks, constants), with and
    without --wrt: jsonlists' bytes are the dicts' (the order steps.tell()
    gives Derivation.steps and the writer alike)."""
    import random

    import bptutor
    rnd = random.Random(18)
    for _ in range(60):
        names = [f"v{i}" for i in range(rnd.randint(1, 5))]
        avail, stmts = list(names), []
        for k in range(rnd.randint(1, 14)):
            a, b = rnd.choice(avail), rnd.choice(avail)
            stmts.append(f"t{k} = " + rnd.choice([f"{a}*{b}", f"{a}+{b}", f"sin({a})", f"{a}-{b}*{b}", f"relu({a})",
                                                   f"max({a},{b})", f"{a}*2", f"tanh({a}+{b})", f"abs({a})"]))
            avail.append(f"t{k}")
        stmts.append(" + ".join(rnd.sample(avail, min(len(avail), 3))))
        values = {v: rnd.choice([0.0, 0.5, -1.5, 2.0, 1e-7]) for v in names}
        d = bptutor.derive("; ".join(stmts), values)
        assert_long_lists_are_the_dicts(d)
        assert_long_lists_are_the_dicts(bptutor.derive("; ".join(stmts), values, wrt=list(d.graph.inputs)[:1]))


def test_long_lists_escape_labels_as_json_text_does():
    """Labels holding a quote, a backslash, a comma, control and invisible
    characters (set on the graph: the language refuses most of them): the
    column-by-column bytes escape them as the dicts' encoding does; a lone
    surrogate leaves the lists to the dicts (json's encoder writes them)."""
    import orjson

    import bptutor
    from bptutor.app.export import _compact_encoder
    from bptutor.app.jsonlists import long_lists
    d = bptutor.derive("a = x*y; a*a + x", {"x": 2.0, "y": -1.0})
    weird = ['q"uote', "back\\slash", "com,ma", '","', "new\nline", "del\x7f", "nel\x85", "ls\u2028",
             "rlo\u202e", "é Δ ₃"]
    d.graph.give_labels(weird[:len(d.graph.rows)])
    assert_long_lists_are_the_dicts(d)
    d.graph.give_labels(["\ud800 lone", *d.graph.node_labels[1:]])
    assert long_lists(d, orjson, _compact_encoder()) is None


def test_big_json_goes_to_the_byte_stream_after_what_the_text_layer_holds(tmp_path):
    """On a real stdout the bytes are written below the text layer: flushed first, in order."""
    src = " + ".join(f"w{i % 7}*x{i % 5}" for i in range(1200))
    path = tmp_path / "out.json"
    with open(path, "w", encoding="utf-8") as raw:
        from bptutor.app.cli import main
        raw.write("before ")
        code = main([src, "--vals", ",".join([f"w{i}=1" for i in range(7)] + [f"x{i}=2" for i in range(5)]),
                     "--json"], stdout=raw)
    text = path.read_text(encoding="utf-8")
    assert code == 0 and text.startswith("before {") and json.loads(text[len("before "):])["value"] == 1200 * 2


def test_file_with_values_inside_and_vals_override():
    path = str(ROOT / "examples" / "cs231n_circuit.bp")
    assert json.loads(run("-f", path, "--json")[1])["value"] == -12
    assert json.loads(run("-f", path, "--vals", "z=1", "--json")[1])["value"] == 3


def test_vals_repeatable_and_duplicates_rejected():
    assert run("x*y", "--vals", "x=2", "--vals", "y=3", "--json")[0] == 0
    code, _, err = run("x*y", "--vals", "x=2", "--vals", "x=3,y=1")
    assert code == 2 and "'x'" in err


def test_wrt_restricts_the_report():
    data = json.loads(run(SIGMOID, "--vals", SIGMOID_VALS, "--wrt", "w0,w1", "--json")[1])
    assert list(data["gradients"]) == ["w0", "w1"]
    code, _, err = run(SIGMOID, "--vals", SIGMOID_VALS, "--wrt", "q")
    assert code == 2 and "q" in err


def test_errors_point_at_the_input_in_the_users_language():
    code, out, err = run("log(x-1)+sigmiod(y)", "--vals", "x=2,y=1", "--lang", "zh")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "错误：未知函数 'sigmiod'——你是不是想写 'sigmoid'？可用的函数：" + ", ".join(sorted(FUNCTIONS)),
        "  log(x-1)+sigmiod(y)",
        "           ^^^^^^^",
    ]
    code, _, err = run("1/(x-y)", "--vals", "x=1,y=1")
    assert code == 2 and "division by zero" in err and "Traceback" not in err


def test_caret_under_wide_characters_lands_under_the_character():
    code, _, err = run("（x＋y）＄z", "--vals", "x=1,y=1,z=1")
    line, caret = err.splitlines()[1:3]
    assert code == 2 and caret.index("^") == 2 + 8      # （x＋y） is 8 cells wide


def test_missing_value_lists_every_name():
    code, _, err = run("x*y+z", "--vals", "y=1")
    assert code == 2 and "x, z" in err


def test_kink_is_reported_not_failed():
    code, out, _ = run("relu(x)*y", "--vals", "x=0,y=2", "--lang", "en")
    assert code == 0 and "kink" in out and "PyTorch" in out


def test_usage_errors_exit_2():
    assert run()[0] == 2
    assert run("x", "--digits", "many")[0] == 2
    assert run("x", "-f", "nofile.bp")[0] == 2


def test_python_dash_m_and_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "bptutor", "(x+", "--vals", "x=1"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "^" in proc.stderr


def test_large_graph_prints_a_summary():
    src = "+".join(f"x{i}*x{i+1}" for i in range(200))
    vals = ",".join(f"x{i}=0.5" for i in range(201))
    code, out, _ = run(src, "--vals", vals, "--lang", "en")
    assert code == 0 and "steps not shown (--all shows every step)" in out
    assert len(out.splitlines()) < 200
    code, out_all, _ = run(src, "--vals", vals, "--lang", "en", "--all")
    assert len(out_all.splitlines()) > 600


def test_help_is_in_the_users_language():
    code, out, _ = run("--help", "--lang", "zh")
    assert code == 0 and out.startswith("用法：bptutor") and "选项" in out and "显示本帮助并退出" in out
    code, out, _ = run("--help", "--lang", "en")
    assert code == 0 and out.startswith("usage: bptutor") and "show this help and exit" in out


def test_renders_at_80_columns_without_colour():
    import bptutor
    from bptutor.render.terminal import render
    d = bptutor.derive(SIGMOID, SIGMOID_VALS)
    for lang in ("zh", "en"):
        text = render_text(render(d, lang, 2), width=80)
        from rich.cells import cell_len
        assert all(cell_len(line) <= 80 for line in text.splitlines())    # CJK characters are 2 cells
        assert "\x1b[" not in text
        snapshot(f"sigmoid_{lang}_80cols.txt", text)


# ---- output choices: one thing on standard output -------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("options, key", [
    (["--json", "--graph", "-"], "cli.graph_on_stdout"),
    (["--format", "md", "--graph", "-"], "cli.graph_on_stdout"),
    (["--format", "latex", "--graph", "-"], "cli.graph_on_stdout"),
    (["--json", "--format", "md"], "cli.json_and_format"),
    (["--json", "--format", "latex"], "cli.json_and_format"),
    (["--format", "md", "--answer", "x=-4"], "cli.format_no_answers"),
    (["--format", "latex", "--answer", "x=-4"], "cli.format_no_answers"),
    (["--graph", "g.jpg"], "export.graph_extension"),
])
def test_an_impossible_output_choice_is_a_usage_error(options, key, lang, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--lang", lang, *options)
    assert code == 2 and out == "" and list(tmp_path.iterdir()) == []
    assert err.startswith(t("cli.error", lang, message="")) and err.count("\n") == 1
    fmt = options[options.index("--format") + 1] if "--format" in options else None
    if key == "cli.graph_on_stdout":
        option = "--json" if "--json" in options else f"--format {fmt}"
        assert err == t("cli.error", lang, message=t(key, lang, option=option)) + "\n"
    elif key != "export.graph_extension":
        assert err == t("cli.error", lang, message=t(key, lang, format=fmt)) + "\n"
    else:
        assert "g.jpg" in err and ".svg .png .dot .gv .mmd" in err


def test_the_format_message_says_what_to_use_instead():
    code, out, err = run("x*2", "--vals", "x=1", "--format", "md", "--answer", "x=2", "--lang", "en")
    assert err == "error: --format md does not show answers yet; use text or --json\n"
    code, out, err = run("x*2", "--vals", "x=1", "--json", "--graph", "-", "--lang", "en")
    assert err.startswith("error: --graph - draws the graph on standard output, where --json prints too")


def test_the_possible_combinations_print_one_thing(tmp_path):
    graph = str(tmp_path / "g.dot")
    code, out, err = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--json", "--graph", graph)
    assert code == 0 and json.loads(out)["value"] == -12                 # valid JSON, the graph in its file
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    code, out, err = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--json", "--answer", "x=-4, z=3")
    assert code == 0 and json.loads(out)["gradients"] == {"x": -4, "y": -4, "z": 3}
    code, out, err = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--format", "text", "--answer", "x=4",
                         "--lang", "en")
    assert code == 1 and "0 of 1 right" in out
    code, out, err = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--json", "--format", "text")
    assert code == 0 and json.loads(out)["value"] == -12
    code, out, err = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--graph", "-", "--answer", "x=-4", "--lang", "en")
    assert code == 0 and out.startswith("f (*)  v=-12  g=1") and "1 of 1 right" in out


def test_format_and_graph_choices_come_from_the_registry():
    from bptutor.render import FORMATS
    code, out, _ = run("--help", "--lang", "en")
    assert "--format {" + ",".join(FORMATS["derivation"]) + "}" in out
    assert sorted(FORMATS["graph"]) == sorted(["svg", "png", "dot", "gv", "mmd", "-"])


def test_importing_the_registry_imports_no_renderer():
    code = ("import sys; from bptutor.render import FORMATS, printer; "
            "print(sorted(m for m in sys.modules if m.startswith('bptutor.render.')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "[]", proc.stderr


def test_a_bug_in_the_cli_is_exit_3_with_the_report_message(monkeypatch):
    monkeypatch.setattr("bptutor.render.plain.document", lambda *args: None.missing)
    code, out, err = run("x*2", "--vals", "x=1", "--lang", "zh")
    assert code == 3 and out == "" and "Traceback" not in err
    assert err == t("cli.error", "zh", message=t("input.internal", "zh",
                                                  detail="AttributeError: 'NoneType' object has no attribute "
                                                         "'missing'")) + "\n"


def test_big_json_escapes_what_json_text_escapes():
    """orjson leaves DEL, C1 controls and direction overrides raw; the stream escapes them as json_text does."""
    from bptutor.app.console import json_text
    from bptutor.app.export import _compact_encoder
    encode = _compact_encoder()
    for value in ({"label": "x\u202ey\x7f\u0085\u2028\u2066é"}, ["\ud800 a lone surrogate"], [0.5, "plain"]):
        assert encode(value) == json_text(value, separators=(",", ":")).encode("utf-8")
