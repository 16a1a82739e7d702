"""bptutor grade FILE.toml: one verdict per problem, a score, broken problems
reported and counted wrong, malformed TOML an input error at its line."""
import io
import json

from bptutor.app.grade import main
from helpers import ROOT, render_text, snapshot

HOMEWORK = """\
[[problem]]
name = "circuit, right"
expr = "(x+y)*z"
vals = "x=-2,y=5,z=-4"
answers = { x = -4, y = "z", z = 3.0 }

[[problem]]
name = "neuron, wrong"
expr = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
vals = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"
answers = { x0 = 0.40, x1 = 0.59 }

[[problem]]
name = "broken"
expr = "exq(x)"
vals = "x=1"
answers = { x = 1 }
"""


def grade(*argv, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO(stdin) if stdin is not None else None)
    return int(code), out.getvalue(), err.getvalue()


def write(tmp_path, text, name="hw.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_right_wrong_and_broken_problems_json(tmp_path):
    code, out, err = grade(write(tmp_path, HOMEWORK), "--json", "--lang", "en")
    assert code == 1 and err == ""
    data = json.loads(out)
    right, wrong, broken = data["problems"]
    assert (right["name"], right["correct"], right["error"]) == ("circuit, right", True, None)
    assert [a["correct"] for a in right["answers"]] == [True, True, True]
    assert wrong["correct"] is False and wrong["error"] is None
    assert [(a["name"], a["correct"], a["diagnosis"]) for a in wrong["answers"]] == \
        [("x0", True, None), ("x1", False, None)]
    assert wrong["answers"][1]["either"] == ["sign", "local", "local"]      # three mistakes give 0.59
    assert broken["correct"] is False and broken["answers"] == []
    assert "unknown function 'exq'" in broken["error"]
    assert data["score"] == 1 / 3 and (data["right"], data["total"]) == (1, 3)


def test_errors_are_in_the_users_language(tmp_path):
    code, out, _ = grade(write(tmp_path, HOMEWORK), "--json", "--lang", "zh")
    assert "未知函数 'exq'" in json.loads(out)["problems"][2]["error"]


def test_terminal_output_en_and_zh(tmp_path):
    path = write(tmp_path, HOMEWORK)
    code, out, _ = grade(path, "--lang", "en")
    assert code == 1
    assert "Score: 1 of 3 problems right" in out and "sign lost" in out
    snapshot("grade_en.txt", out.replace(path, "hw.toml"))
    code, out, _ = grade(path, "--lang", "zh")
    assert "得分：3 道题中做对了 1 道" in out and "符号错误" in out and "未知函数" in out
    snapshot("grade_zh.txt", out.replace(path, "hw.toml"))


def test_render_at_80_columns(tmp_path):
    from bptutor.app.grade import render
    from bptutor.tutor.grade import grade, load
    results = list(grade(load(HOMEWORK), lambda name, limit: (tmp_path / name).read_text()))
    snapshot("grade_en_80.txt", render_text(render(results, "en", 4, "hw.toml")))


def test_the_seed_homework_is_all_right():
    code, out, err = grade(str(ROOT / "examples" / "homework.toml"), "--json")
    data = json.loads(out)
    assert code == 0 and err == "", [p for p in data["problems"] if not p["correct"]]
    assert data["score"] == 1 and data["total"] >= 5


def test_malformed_toml_points_at_the_line(tmp_path):
    path = write(tmp_path, '[[problem]]\nname = "a"\nexpr = "x"\nanswers = { x = 1 \n')
    code, out, err = grade(path, "--lang", "en")
    assert code == 2 and out == ""
    assert "not valid TOML (line 4)" in err and "  4 | answers = { x = 1" in err
    code, _, err = grade("-", "--lang", "zh", stdin='[[problem]]\nexpr == "x"\n')
    assert code == 2 and "第 2 行" in err and "  2 | expr == \"x\"" in err and "^" in err


def test_a_file_without_problems_is_an_input_error(tmp_path):
    code, _, err = grade(write(tmp_path, 'title = "hw"\n'), "--lang", "en")
    assert code == 2 and "no problems" in err
    code, _, err = grade(str(tmp_path / "missing.toml"))
    assert code == 2


def test_problem_fields_file_and_mistakes(tmp_path):
    (tmp_path / "circuit.bp").write_text("q = x + y\nf = q * z\n", encoding="utf-8")
    text = """\
[[problem]]
name = "from a file"
file = "circuit.bp"
vals = "x=-2,y=5,z=-4"
answers = { q = -4, z = "q" }

[[problem]]
name = "no expr"
answers = { x = 1 }

[[problem]]
name = "no answers"
expr = "x*y"
vals = "x=1,y=2"

[[problem]]
name = "unknown answer name"
expr = "x*y"
vals = "x=1,y=2"
answers = { q = 1 }
"""
    code, out, _ = grade(write(tmp_path, text), "--json")
    data = json.loads(out)
    assert code == 1
    assert [p["correct"] for p in data["problems"]] == [True, False, False, False]
    assert [p["error"] is None for p in data["problems"]] == [True, False, False, False]
    assert "no expr" in data["problems"][1]["error"] and "answers" in data["problems"][2]["error"]


def test_subcommand_through_the_main_cli(tmp_path):
    from helpers import run
    code, out, _ = run("grade", str(ROOT / "examples" / "homework.toml"), "--lang", "zh")
    assert code == 0 and "得分" in out


def test_usage_errors_point_at_grade_help():
    code, out, err = grade("--lang", "zh")
    assert code == 2 and out == "" and "bptutor grade --help" in err


def test_a_bug_while_grading_one_problem_marks_it_and_the_rest_are_graded(tmp_path, monkeypatch):
    import bptutor.tutor.answers
    judge = bptutor.tutor.answers.judge

    def buggy(d, *args):
        if "w0" in d.source:
            raise TypeError("an injected bug")
        return judge(d, *args)

    monkeypatch.setattr(bptutor.tutor.answers, "judge", buggy)
    code, out, err = grade(write(tmp_path, HOMEWORK), "--json", "--lang", "en")
    assert code == 3 and err == ""                   # exit 3: a bug of ours, after every problem is graded
    right, neuron, broken = json.loads(out)["problems"]
    assert right["correct"] is True
    assert neuron["error"] == ("internal error, a bug in bptutor (please report it with the input): "
                               "TypeError: an injected bug")
    assert "unknown function 'exq'" in broken["error"]
    code, out, err = grade(write(tmp_path, HOMEWORK), "--lang", "zh")
    assert code == 3 and "内部错误" in out and "Traceback" not in out + err


# ---- many submissions in one process ------------------------------------------------------
def submissions_dir(tmp_path):
    """A course's directory: right, wrong and broken problems, a file that is
    not TOML, one that is not UTF-8, and a problem read from a file beside its TOML."""
    folder = tmp_path / "subs"
    (folder / "b").mkdir(parents=True)
    (folder / "alice.toml").write_text(HOMEWORK, encoding="utf-8")
    (folder / "b" / "bob.toml").write_text(HOMEWORK.replace("x = -4", "x = 4"), encoding="utf-8")
    (folder / "b" / "carol.toml").write_text("[[problem]\n", encoding="utf-8")
    (folder / "b" / "dave.toml").write_bytes(b'[[problem]]\nname = "\xff"\n')
    (folder / "erin.toml").write_text('[[problem]]\nfile = "erin.bp"\nvals = "x=3"\nanswers = { x = 6 }\n',
                                      encoding="utf-8")
    (folder / "erin.bp").write_text("f = x^2\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not graded", encoding="utf-8")
    return folder


def test_a_directory_with_jobs_2_equals_grading_one_by_one(tmp_path):
    folder = submissions_dir(tmp_path)
    code, out, err = grade(str(folder), "--jobs", "2", "--json", "--lang", "en")
    data = json.loads(out)
    files = sorted(str(p) for p in folder.rglob("*.toml"))
    assert [s["submission"] for s in data["submissions"]] == files          # the input's order
    assert code == 2                    # two files unusable; the others graded all the same
    for entry, path in zip(data["submissions"], files):
        alone_code, alone, alone_err = grade(path, "--json", "--lang", "en")
        if entry["error"] is None:
            assert alone_code in (0, 1) and {**json.loads(alone), "submission": path, "error": None} == entry
        else:
            assert alone_code == 2 and alone == "" and entry["error"] in alone_err and entry["problems"] == []
            assert f"in {path}:\n" + alone_err in err
    assert [s["right"] for s in data["submissions"]] == [1, 0, 0, 0, 1]
    assert (data["right"], data["total"]) == (2, 7)
    assert grade(str(folder), "--jobs", "1", "--json", "--lang", "en")[1] == out


def test_many_files_as_text_end_with_the_totals(tmp_path):
    folder = submissions_dir(tmp_path)
    code, out, err = grade(str(folder / "alice.toml"), str(folder / "erin.toml"), str(folder / "missing.toml"),
                           "--lang", "zh")
    assert code == 2
    assert out.count("批改 ") == 2 and out.rstrip().endswith("总计：3 份作业、4 道题中做对了 2 道")
    assert f"在 {folder / 'missing.toml'} 中：\n错误：无法读取" in err


def test_json_lines_on_standard_input(tmp_path):
    lines = [json.dumps({"name": "ann", "problem": [{"expr": "(x+y)*z", "vals": "x=-2,y=5,z=-4",
                                                     "answers": {"x": -4, "z": 3}}]}),
             "",
             '{"problem": [{"name": "neuron", "expr": "1/(1+exp(-(w0*x0+w1*x1+w2)))", '
             '"vals": "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "answers": {"x0": 0.40}}]}',
             '{"problem": [',
             '{"problem": []}']
    code, out, err = grade("-", "--json", "--lang", "en", stdin="\n".join(lines) + "\n")
    data = json.loads(out)
    assert [s["submission"] for s in data["submissions"]] == ["ann", "<stdin>:3", "<stdin>:4", "<stdin>:5"]
    assert [s["right"] for s in data["submissions"]] == [1, 1, 0, 0]
    ann, neuron = data["submissions"][0], data["submissions"][1]
    assert ann["problems"][0]["answers"][1]["expected"] == 3
    assert neuron["problems"][0]["answers"][0]["given"] == "0.40"          # judged at two decimals: accepted
    assert "not valid JSON" in data["submissions"][2]["error"] and "no problems" in data["submissions"][3]["error"]
    assert code == 2 and "in <stdin>:4:" in err


def test_gradescope_results(tmp_path):
    code, out, _ = grade(write(tmp_path, HOMEWORK), "--format", "gradescope", "--lang", "en")
    data = json.loads(out)
    assert code == 1 and set(data) == {"score", "max_score", "tests"}
    circuit, neuron, broken = data["tests"]
    assert circuit == {"name": "circuit, right", "score": 3, "max_score": 3, "status": "passed",
                       "output": "x = -4 (expected -4): ✓ right\ny = z (expected -4): ✓ right\n"
                                 "z = 3.0 (expected 3): ✓ right"}
    assert (neuron["score"], neuron["max_score"], neuron["status"]) == (1, 2, "failed")
    assert "x1 = 0.59 (expected -0.5898): ✗ wrong, sign lost" in neuron["output"]
    assert (broken["score"], broken["max_score"]) == (0, 1) and "unknown function 'exq'" in broken["output"]
    assert (data["score"], data["max_score"]) == (4, 6)


def test_gradescope_over_a_directory_names_each_file_and_reports_unusable_ones(tmp_path):
    folder = submissions_dir(tmp_path)
    code, out, _ = grade(str(folder), "--format", "gradescope", "--jobs", "2", "--lang", "zh")
    data = json.loads(out)
    carol = [test for test in data["tests"] if test["name"] == str(folder / "b" / "carol.toml")]
    assert carol and carol[0]["status"] == "failed" and "不是合法的 TOML" in carol[0]["output"]
    assert data["tests"][0]["name"] == f"{folder / 'alice.toml'}: circuit, right"
    assert data["score"] == sum(test["score"] for test in data["tests"]) and code == 2


def test_grade_options_that_cannot_work_are_usage_errors(tmp_path):
    path = write(tmp_path, HOMEWORK)
    code, _, err = grade(path, "--json", "--format", "gradescope")
    assert code == 2 and "--json" in err
    code, _, err = grade(path, "--jobs", "0", "--lang", "en")
    assert code == 2 and "--jobs 0" in err
    code, _, err = grade(str(tmp_path / "empty_dir_missing"), str(tmp_path), "--lang", "en")
    assert code == 2 and f"no .toml files under {tmp_path}" not in err       # tmp_path holds hw.toml
    (tmp_path / "empty").mkdir()
    code, _, err = grade(str(tmp_path / "empty"), "--lang", "en")
    assert code == 2 and f"no .toml files under {tmp_path / 'empty'}" in err
