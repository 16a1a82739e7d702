"""`bptutor grade PATH... [--jobs N] [--json | --format gradescope]`: read the
submissions (TOML files, the *.toml under a directory, or standard input: one
TOML file or JSON Lines), grade them in this process or a pool of N
(tutor/grade.py), print each as it comes, in input order.

Nothing is kept but the running totals, so memory stays bounded however many
submissions there are. A file that cannot be read or parsed is reported and
the others are graded. Exit 0 when everything is right, 1 when anything is
wrong, 2 when a submission itself is unusable, 3 when a bug of ours met one."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BptutorError, BptutorInternalError
from ..i18n import pick_lang, t
from .args import Parser, prescan_lang, wants_help
from .config import choose_lang
from .console import Exit, print_error, report, show
from .files import read_file, shown_path

FORMATS = ("text", "json", "gradescope")
AHEAD = 4           # submissions in flight per worker: keeps the workers busy and memory bounded


def build_parser(lang: str, out, with_help: bool = True) -> Parser:
    p = Parser("bptutor grade", lang, out, with_help=with_help, description="grade.help_description")
    p.add_argument("paths", nargs="+", metavar="PATH", help=p.h("grade.help_paths"))
    p.add_argument("--json", action="store_true", help=p.h("grade.help_json"))
    p.add_argument("--format", choices=FORMATS, default="text", help=p.h("grade.help_format"))
    p.add_argument("--jobs", type=int, default=1, metavar="N", help=p.h("grade.help_jobs"))
    p.add_common()
    return p


@dataclass
class Submission:
    """One thing to grade: a file to read, a TOML text, or a JSON line."""
    label: str                      # as the output names it
    path: str | None = None
    text: str | None = None
    line: str | None = None


@dataclass
class Graded:
    label: str
    results: list = field(default_factory=list)
    error: BptutorError | None = None       # the submission itself was unusable


def main(argv, stdout, stderr, stdin=None) -> int:
    lang = pick_lang(prescan_lang(argv))
    status = Status()
    try:
        lang = choose_lang(prescan_lang(argv))
        args = build_parser(lang, stdout, wants_help(argv)).parse_args(argv)
        lang = choose_lang(args.lang)
        fmt = "json" if args.json else args.format
        if args.json and args.format not in ("text", "json"):
            raise BptutorError("cli.json_and_format", None, format=args.format)
        if args.jobs < 1:
            raise BptutorError("grade.bad_jobs", None, jobs=args.jobs)
        single, subs = submissions(args.paths, stdin)
        printer = {"text": TextPrinter, "json": JsonPrinter, "gradescope": GradescopePrinter}[fmt]
        printer(stdout, stderr, lang, args.digits, single).run(graded(subs, args.jobs), status)
    except BaseException as exc:        # noqa: B036 -- a bad argument, a broken pipe, Ctrl-C: a message and an exit code
        return report(exc, lang, stdout, stderr)
    return status.exit_code()


# ---- what to grade --------------------------------------------------------------------
def submissions(paths: list[str], stdin) -> tuple[bool, Iterator[Submission]]:
    """(single, the submissions in order): `single` when the one path is one
    TOML file (its output keeps the one-file shape)."""
    import sys
    stdin = stdin or sys.stdin
    if len(paths) == 1 and paths[0] != "-" and not Path(paths[0]).is_dir():
        return True, iter([Submission(paths[0], path=paths[0])])
    if paths == ["-"]:
        first = stdin.readline()
        if not is_json_line(first):
            return True, iter([Submission("-", text=first + stdin.read())])
        return False, json_lines(first, stdin)
    return False, _many(paths, stdin)


def is_json_line(line: str) -> bool:
    """A TOML file never starts with '{'; a JSON Lines submission always does."""
    return line.lstrip().startswith("{")


def json_lines(first: str, rest: Iterable[str]) -> Iterator[Submission]:
    """One submission per non-blank line, read as they are graded."""
    for k, line in enumerate(_chain(first, rest), 1):
        if line.strip():
            yield Submission(f"<stdin>:{k}", line=line)


def _many(paths: list[str], stdin) -> Iterator[Submission]:
    for path in paths:
        if path == "-":
            first = stdin.readline()
            if is_json_line(first):
                yield from json_lines(first, stdin)
            else:
                yield Submission("-", text=first + stdin.read())
        elif Path(path).is_dir():
            found = sorted(Path(path).rglob("*.toml"))
            if not found:
                yield Submission(path)          # nothing to read: graded as "no .toml files under it"
            for file in found:
                yield Submission(str(file), path=str(file))
        else:
            yield Submission(path, path=path)


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


# ---- grading, here or in a pool --------------------------------------------------------
def grade_one(sub: Submission) -> Graded:
    """Grade one submission; never raises (runs in a worker process)."""
    from ..tutor.grade import grade, load, load_json_line

    graded = Graded(sub.label)
    try:
        base = Path.cwd()
        if sub.path is not None:
            problems, base = load(read_file(sub.path)), Path(sub.path).resolve().parent
        elif sub.line is not None:
            name, problems = load_json_line(sub.line)
            graded.label = name or sub.label
        elif sub.text is not None:
            problems = load(sub.text)
        else:
            raise BptutorError("grade.empty_directory", None, path=shown_path(sub.label))
        graded.results = grade(problems, lambda name: read_file(str(base / name)))
    except BptutorError as exc:
        graded.error = exc
    except Exception as exc:        # a bug must not stop the other submissions
        graded.error = BptutorInternalError.wrap(exc)
    return graded


def graded(subs: Iterable[Submission], jobs: int) -> Iterator[Graded]:
    """The graded submissions in input order; with jobs > 1 from a process pool
    that never runs more than AHEAD × jobs submissions ahead of the printer."""
    if jobs == 1:
        yield from map(grade_one, subs)
        return
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    pool = ProcessPoolExecutor(jobs)
    try:
        pending = deque()
        for sub in subs:
            pending.append(pool.submit(grade_one, sub))
            if len(pending) >= AHEAD * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)


# ---- printing ------------------------------------------------------------------------------
class Status:
    """What the exit code says, summed over every submission."""

    def __init__(self):
        self.unusable = self.internal = self.wrong = 0

    def add(self, g: Graded) -> None:
        if g.error is not None:
            self.internal += isinstance(g.error, BptutorInternalError)
            self.unusable += not isinstance(g.error, BptutorInternalError)
        self.internal += sum(r.internal for r in g.results)
        self.wrong += sum(not r.correct for r in g.results)

    def exit_code(self) -> int:
        if self.internal:
            return Exit.INTERNAL
        if self.unusable:
            return Exit.USAGE
        return Exit.WRONG if self.wrong else Exit.OK


class Printer:
    """Prints each graded submission as it comes, then the totals."""

    def __init__(self, out, err, lang: str, digits: int, single: bool):
        self.out, self.err, self.lang, self.digits, self.single = out, err, lang, digits, single
        self.right = self.total = self.count = 0

    def run(self, graded: Iterable[Graded], status: Status) -> None:
        self.begin()
        for g in graded:
            status.add(g)
            self.count += 1
            self.right += sum(r.correct for r in g.results)
            self.total += len(g.results)
            if g.error is not None:
                self.unusable(g)
            else:
                self.submission(g)
            self.out.flush()
        self.end()

    def unusable(self, g: Graded) -> None:
        """The submission's error on stderr (naming it when there are several)."""
        if not self.single:
            self.err.write(t("grade.in_submission", self.lang, path=shown_path(g.label)) + "\n")
        print_error(g.error, self.lang, self.err)

    def begin(self) -> None:
        pass

    def submission(self, g: Graded) -> None:
        raise NotImplementedError

    def end(self) -> None:
        pass


class TextPrinter(Printer):
    def submission(self, g: Graded) -> None:
        if self.count > 1:
            self.out.write("\n")
        show(render(g.results, self.lang, self.digits, g.label), self.out)

    def end(self) -> None:
        if not self.single:
            self.out.write("\n" + t("grade.total", self.lang, right=self.right, total=self.total,
                                    count=self.count) + "\n")


class JsonPrinter(Printer):
    """One file: {problems, score, right, total}. Several: one document,
    {"submissions": [...], "right", "total"}, written as it goes."""

    def begin(self) -> None:
        if not self.single:
            self.out.write('{"submissions": [\n')

    def entry(self, data: dict) -> None:
        if self.count > 1:
            self.out.write(",\n")
        self.out.write(json.dumps(data, ensure_ascii=False))

    def unusable(self, g: Graded) -> None:
        super().unusable(g)
        if not self.single:
            self.entry({"submission": g.label, "problems": [], "score": 0, "right": 0, "total": 0,
                        "error": message(g.error, self.lang)})

    def submission(self, g: Graded) -> None:
        from ..tutor.grade import to_dict
        data = to_dict(g.results, self.lang)
        if self.single:
            self.out.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        else:
            self.entry({"submission": g.label, **data, "error": None})

    def end(self) -> None:
        if not self.single:
            self.out.write(f'\n], "right": {self.right}, "total": {self.total}}}\n')


class GradescopePrinter(Printer):
    """Gradescope's results.json: {score, max_score, tests: [{name, score,
    max_score, output, status}]}; a test per problem, a point per answer. An
    unusable submission is a failed test with its message, so a student sees why."""

    def begin(self) -> None:
        self.score = self.max_score = self.tests = 0
        self.out.write('{"tests": [\n')

    def test(self, name: str, score: int, max_score: int, output: str, passed: bool) -> None:
        self.score += score
        self.max_score += max_score
        if self.tests:
            self.out.write(",\n")
        self.tests += 1
        self.out.write(json.dumps({"name": name, "score": score, "max_score": max_score, "output": output,
                                   "status": "passed" if passed else "failed"}, ensure_ascii=False))

    def unusable(self, g: Graded) -> None:
        super().unusable(g)
        self.test(g.label, 0, 0, t("cli.error", self.lang, message=message(g.error, self.lang)), False)

    def submission(self, g: Graded) -> None:
        for r in g.results:
            name = r.name if self.single else f"{g.label}: {r.name}"
            score = 0 if r.error is not None else sum(v.correct for v in r.verdicts)
            self.test(name, score, max(r.asked, 1), "\n".join(details(r, self.lang, self.digits, every=True)),
                      r.correct)

    def end(self) -> None:
        self.out.write(f'\n], "score": {self.score}, "max_score": {self.max_score}}}\n')


def message(error: BptutorError, lang: str) -> str:
    from ..render.numbers import num
    return error.message(lang, num)


def details(r, lang: str, digits: int, every: bool = False) -> list[str]:
    """A problem's error, or a line per answer (`every`: the right ones too,
    else only those worth a remark)."""
    from ..render.answers import mistake_names, verdict_text
    from ..render.numbers import num
    if r.error is not None:
        return [t("grade.error", lang, message=r.error.message(lang, num))]
    lines = []
    for v in r.verdicts:
        if v.correct and not v.note_key and not every:
            continue
        line = t("grade.answer_line", lang, name=v.name, given=v.given,
                 expected=num(v.expected, digits), verdict=verdict_text(v, lang))
        if mistake_names(v, lang):
            line += t("grade.mistake", lang, mistake=mistake_names(v, lang))
        lines.append(line)
    return lines


def render(results: list, lang: str, digits: int, path: str):
    """The grades as a table, then the score."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    tab = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
    for key, justify in (("number", "right"), ("problem", "left"), ("result", "left"),
                         ("answers", "right"), ("details", "left")):
        tab.add_column(t(f"grade.col_{key}", lang), justify=justify, header_style="bold", overflow="fold")
    for k, r in enumerate(results, 1):
        result = Text(t("grade.right" if r.correct else "grade.wrong", lang),
                      style="green" if r.correct else "bold red")
        if r.error is not None:
            tab.add_row(str(k), Text(r.name), result, "", Text(details(r, lang, digits)[0], style="red"))
            continue
        right = sum(v.correct for v in r.verdicts)
        tab.add_row(str(k), Text(r.name), result, f"{right}/{len(r.verdicts)}",
                    Text("\n".join(details(r, lang, digits))))
    right = sum(r.correct for r in results)
    score = Text(t("grade.score", lang, right=right, total=len(results)),
                 style="bold green" if right == len(results) else "bold red")
    return Group(Text(t("grade.title", lang, path=path), style="bold"), tab, Text(""), score)
