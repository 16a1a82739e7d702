"""bptutor grade FILE.toml: grade a file of homework problems.

    [[problem]]
    name = "sigmoid neuron"
    expr = "1/(1+exp(-(w0*x0+w1*x1+w2)))"      # or: file = "neuron.bp" (beside the TOML file)
    vals = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"       # as after --vals
    answers = { w0 = -0.20, x0 = 0.40, w2 = "1/(1+exp(1))*..." }   # numbers or formulas

One verdict per problem and a score. A problem that does not parse or evaluate
is reported with its error and counts as wrong; the others are still graded.
A file that is not TOML is an input error (exit 2) pointing at the line."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..app.cli import Exit, _Parser, _prescan_lang, print_error, read_file, show
from ..errors import BptutorError
from ..i18n import pick_lang, t


class Written(float):
    """A number from the grading file that remembers how it was written:
    0.40 claims two decimals, 0.4 one (answers.precision reads the text)."""

    def __new__(cls, text: str):
        number = super().__new__(cls, text)
        number.text = text.replace("_", "")
        return number


@dataclass
class Result:
    name: str
    verdicts: list = field(default_factory=list)
    error: BptutorError | None = None
    source: str | None = None          # the text the error's span points into

    @property
    def correct(self) -> bool:
        return self.error is None and bool(self.verdicts) and all(v.correct for v in self.verdicts)


class _GradeParser(_Parser):
    def error(self, message):
        raise BptutorError("grade.usage", None, detail=message)


def build_parser(lang: str):
    h = lambda key: t(f"grade.help_{key}", lang)      # noqa: E731
    p = _GradeParser(prog="bptutor grade", description=h("description"), add_help=False)
    p.add_argument("-h", "--help", action="help", help=h("help"))
    p.add_argument("file", help=h("file"))
    p.add_argument("--json", action="store_true", help=h("json"))
    p.add_argument("--lang", choices=["zh", "en"], help=h("lang"))
    p.add_argument("--digits", type=int, default=4, help=h("digits"))
    return p


def main(argv, stdout, stderr, stdin=None) -> int:
    lang = pick_lang(_prescan_lang(argv))
    text = None
    try:
        args = build_parser(lang).parse_args(argv)
        lang = pick_lang(args.lang)
        if args.file == "-":
            import sys
            text, base = (stdin or sys.stdin).read(), Path.cwd()
        else:
            text, base = read_file(args.file), Path(args.file).resolve().parent
        problems = load(text)
    except BptutorError as exc:
        print_error(exc, lang, stderr, exc.source if exc.source is not None else text)
        return Exit.USAGE
    except KeyboardInterrupt:
        return 130
    results = [grade_problem(p, k, base) for k, p in enumerate(problems, 1)]
    digits = max(0, min(args.digits, 15))
    if args.json:
        import json
        stdout.write(json.dumps(to_dict(results, lang), ensure_ascii=False, indent=1) + "\n")
    else:
        show(render(results, lang, digits, args.file), stdout)
    return Exit.OK if all(r.correct for r in results) else Exit.WRONG


def load(text: str) -> list[dict]:
    """The [[problem]] tables; TOML errors become input errors at their line."""
    import tomllib
    try:
        data = tomllib.loads(text, parse_float=Written)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(exc, text) from None
    problems = data.get("problem")
    if not isinstance(problems, list) or not problems or not all(isinstance(p, dict) for p in problems):
        raise BptutorError("grade.no_problems")
    return problems


def toml_error(exc, text: str) -> BptutorError:
    message = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if m is None:           # "(at end of document)"
        detail = re.sub(r"\s*\(at end of document\)$", "", message)
        end = len(text.rstrip())
        return BptutorError("grade.bad_toml", (end, end + 1), line=text.count("\n", 0, end) + 1,
                            detail=detail).with_source(text)
    line, column = int(m.group(1)), int(m.group(2))
    lines = text.split("\n")
    offset = sum(len(s) + 1 for s in lines[:line - 1]) + column - 1
    return BptutorError("grade.bad_toml", (offset, offset + 1), line=line,
                        detail=message[:m.start()]).with_source(text)


def grade_problem(problem: dict, number: int, base: Path) -> Result:
    """Derive one problem and check its answers; any error is kept with it."""
    from .answers import judge as check
    from .program import derive
    name = problem.get("name")
    result = Result(name if isinstance(name, str) and name else f"#{number}")
    try:
        result.source = source = problem_source(problem, base)
        vals = problem.get("vals", {})
        if not isinstance(vals, (str, dict)):
            raise BptutorError("grade.bad_field", None, field="vals", expected="string")
        d = derive(source, vals)
        answers = problem.get("answers")
        if not isinstance(answers, dict) or not answers:
            raise BptutorError("grade.no_answers")
        result.source = None
        result.verdicts = check(d, answers)
    except BptutorError as exc:
        result.error = exc
        result.source = exc.source if exc.source is not None else result.source
    except Exception as exc:        # a bug must not stop the other problems being graded
        result.error = BptutorError("grade.internal_error", None, detail=f"{type(exc).__name__}: {exc}")
    return result


def problem_source(problem: dict, base: Path) -> str:
    expr, file = problem.get("expr"), problem.get("file")
    if expr is not None and file is not None:
        raise BptutorError("grade.expr_and_file")
    if file is not None:
        if not isinstance(file, str):
            raise BptutorError("grade.bad_field", None, field="file", expected="string")
        return read_file(str(base / file))
    if not isinstance(expr, str) or not expr.strip():
        raise BptutorError("grade.no_expr")
    return expr


# ---- output ------------------------------------------------------------------------
def to_dict(results: list[Result], lang: str) -> dict:
    right = sum(r.correct for r in results)
    return {
        "problems": [{"name": r.name, "correct": r.correct,
                      "answers": [v.to_dict() for v in r.verdicts],
                      "error": r.error.message(lang) if r.error else None} for r in results],
        "score": right / len(results),
        "right": right,
        "total": len(results),
    }


def render(results: list[Result], lang: str, digits: int, path: str):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from ..render.numbers import num
    from ..render.answers import verdict_text

    tab = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
    for key, justify in (("number", "right"), ("problem", "left"), ("result", "left"),
                         ("answers", "right"), ("details", "left")):
        tab.add_column(t(f"grade.col_{key}", lang), justify=justify, header_style="bold", overflow="fold")
    for k, r in enumerate(results, 1):
        result = Text(t("grade.right" if r.correct else "grade.wrong", lang),
                      style="green" if r.correct else "bold red")
        if r.error is not None:
            details = Text(t("grade.error", lang, message=r.error.message(lang)), style="red")
            tab.add_row(str(k), Text(r.name), result, "", details)
            continue
        right = sum(v.correct for v in r.verdicts)
        lines = []
        for v in r.verdicts:
            if v.correct and not v.note_key:
                continue
            line = t("grade.answer_line", lang, name=v.name, given=v.given,
                     expected=num(v.expected, digits), verdict=verdict_text(v, lang))
            if v.diagnosis:
                line += t("grade.mistake", lang, mistake=t(f"answers.code_{v.diagnosis}", lang))
            lines.append(line)
        tab.add_row(str(k), Text(r.name), result, f"{right}/{len(r.verdicts)}", Text("\n".join(lines)))
    right = sum(r.correct for r in results)
    score = Text(t("grade.score", lang, right=right, total=len(results)),
                 style="bold green" if right == len(results) else "bold red")
    return Group(Text(t("grade.title", lang, path=path), style="bold"), tab, Text(""), score)
