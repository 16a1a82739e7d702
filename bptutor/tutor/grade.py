"""Grading a file of homework problems: the logic, no I/O (app/grade.py reads
the file and prints the results).

    [[problem]]
    name = "sigmoid neuron"
    expr = "1/(1+exp(-(w0*x0+w1*x1+w2)))"      # or: file = "neuron.bp" (beside the TOML file)
    vals = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"       # as after --vals
    answers = { w0 = -0.20, x0 = 0.40, w2 = "1/(1+exp(1))*..." }   # numbers or formulas

A submission may also come as one line of JSON (JSON Lines: one submission per
line), the same tables under "problem", with an optional "name":

    {"name": "alice", "problem": [{"name": "...", "expr": "...", "vals": "...", "answers": {...}}]}

One Result per problem, yielded as soon as it is graded (a front end prints
it then, so an interrupted run keeps what was done). A problem that does not
parse or evaluate keeps its error and counts as wrong; a bug of ours while
grading one problem is kept with it as a BptutorInternalError; the others are
still graded. A file that is not TOML (a line that is not JSON) is an input
error pointing at the line.

Files are written by students: the work each problem may cost is bounded, and
so is the work of the whole file. Work is counted in characters of the
problem's program, values and answers (parsing, evaluating, checking and
diagnosing are all linear in them); a problem over its budget, or past what is
left of the file's, is reported as such and the next ones are graded."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..errors import BptutorError, BptutorInternalError

PROBLEM_BUDGET = 50_000     # characters of one problem: about a second of work
FILE_BUDGET = 500_000       # characters of all problems together
PROBLEM_MINIMUM = 50        # what any problem costs, however short (a file of 10^5 tiny ones is big too)


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
    asked: int = 0                     # how many answers the problem gives (its points)
    cost: int = 0                      # characters of work it took (see PROBLEM_BUDGET)
    labels: list = field(default_factory=list)     # node names by index: where a mistake happens

    @property
    def correct(self) -> bool:
        return self.error is None and bool(self.verdicts) and all(v.correct for v in self.verdicts)

    @property
    def internal(self) -> bool:
        """Grading this problem met a bug of ours, not a mistake in the file."""
        return isinstance(self.error, BptutorInternalError)


def load(text: str) -> list[dict]:
    """The [[problem]] tables; TOML errors become input errors at their line."""
    import tomllib
    try:
        data = tomllib.loads(text, parse_float=Written)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(exc, text) from None
    return problems_of(data)


def load_json_line(line: str) -> tuple[str | None, list[dict]]:
    """One JSON Lines submission -> (its name or None, its problem tables)."""
    import json
    line = line.rstrip("\r\n")
    try:
        data = json.loads(line, parse_float=Written)
    except json.JSONDecodeError as exc:
        raise BptutorError("grade.bad_json", (exc.pos, exc.pos + 1), column=exc.colno,
                           detail=exc.msg).with_source(line) from None
    if not isinstance(data, dict):
        raise BptutorError("grade.no_problems")
    name = data.get("name")
    return (name if isinstance(name, str) and name else None), problems_of(data)


def problems_of(data: dict) -> list[dict]:
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


def grade(problems: list[dict], read: Callable[[str, int], str]) -> Iterator[Result]:
    """A Result per problem, in order, each yielded when it is graded.
    `read(name, limit)` returns the text of a problem's `file`, refusing one of
    more than `limit` characters."""
    left = FILE_BUDGET
    for k, problem in enumerate(problems, 1):
        result = grade_problem(problem, k, read, min(PROBLEM_BUDGET, left))
        left -= max(result.cost, PROBLEM_MINIMUM)
        yield result


def grade_problem(problem: dict, number: int, read: Callable[[str, int], str],
                  budget: int = PROBLEM_BUDGET) -> Result:
    """Derive one problem and check its answers if that fits in `budget`
    characters of work; any error is kept with it."""
    from .answers import judge as check
    from .program import derive
    result = Result(problem_name(problem, number))
    answers = problem.get("answers")
    result.asked = len(answers) if isinstance(answers, dict) else 0
    try:
        if budget < PROBLEM_MINIMUM:
            raise BptutorError("grade.file_budget_spent", None, total=f"{FILE_BUDGET:,}")
        result.source = source = problem_source(problem, lambda file: read(file, PROBLEM_BUDGET))
        vals = problem.get("vals", {})
        if not isinstance(vals, (str, dict)):
            raise BptutorError("grade.bad_field", None, field="vals", expected="string")
        cost = len(source) + _size(vals) + _size(answers)
        if cost > budget:
            result.source = None
            key = "grade.over_budget" if cost > PROBLEM_BUDGET else "grade.over_file_budget"
            raise BptutorError(key, None, size=f"{cost:,}", limit=f"{PROBLEM_BUDGET:,}", left=f"{budget:,}",
                               total=f"{FILE_BUDGET:,}")
        result.cost = cost
        d = derive(source, vals)
        if not isinstance(answers, dict) or not answers:
            raise BptutorError("grade.no_answers")
        result.source = None
        result.verdicts = check(d, answers)
        result.labels = [node.label for node in d.graph.nodes]
    except BptutorError as exc:
        result.error = exc
        result.source = exc.source if exc.source is not None else result.source
    except Exception as exc:        # a bug must not stop the other problems being graded
        result.error = BptutorInternalError.wrap(exc)
    return result


def problem_name(problem: dict, number: int) -> str:
    """The problem's name as the file gives it, else its number."""
    name = problem.get("name")
    return name if isinstance(name, str) and name else f"#{number}"


def problem_source(problem: dict, read: Callable[[str], str]) -> str:
    expr, file = problem.get("expr"), problem.get("file")
    if expr is not None and file is not None:
        raise BptutorError("grade.expr_and_file")
    if file is not None:
        if not isinstance(file, str):
            raise BptutorError("grade.bad_field", None, field="file", expected="string")
        return read(file)
    if not isinstance(expr, str) or not expr.strip():
        raise BptutorError("grade.no_expr")
    return expr


def _size(value) -> int:
    """Characters of a field: a string, or a table of numbers and formulas."""
    if isinstance(value, dict):
        return sum(len(str(k)) + len(str(v)) for k, v in value.items())
    return 0 if value is None else len(str(value))


def to_dict(results: list[Result], lang: str, total: int | None = None) -> dict:
    """The grades as data (for --json), messages in `lang`. `total` is the
    number of problems in the file when grading stopped before the end (Ctrl-C):
    the score counts the ones not graded as not right."""
    right = sum(r.correct for r in results)
    total = len(results) if total is None else total
    data: dict = {
        "problems": [{"name": r.name, "correct": r.correct,
                      "answers": [v.to_dict(r.labels) for v in r.verdicts],
                      "error": r.error.message(lang) if r.error else None} for r in results],
        "score": right / total,
        "right": right,
        "total": total,
    }
    if len(results) < total:
        data["interrupted"] = True
        data["graded"] = len(results)
    return data
