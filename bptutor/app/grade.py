"""`bptutor grade PATH... [--jobs N] [--json | --format gradescope]`: read the
submissions (TOML files, the *.toml under a directory, or standard input: one
TOML file or JSON Lines), grade them in this process or a pool of N
(tutor/grade.py), print each as it comes, in input order -- in this process a
problem at a time, so Ctrl-C keeps every grade printed (then the totals so
far, exit 130).

Nothing is kept but the running totals, so memory stays bounded however many
submissions there are. A file that cannot be read or parsed is reported and
the others are graded. Submissions are written by students: a problem's
`file` is read only inside its TOML file's folder (app/files.py), none from a
JSON line, and every name and answer they wrote is printed escaped. Exit 0
when everything is right, 1 when anything is wrong, 2 when a submission itself
is unusable, 3 when a bug of ours met one."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BptutorError, BptutorInternalError
from ..i18n import pick_lang, t
from .args import Parser, prescan_lang, wants_help
from .config import choose_lang
from .console import Exit, interruptible, json_text, print_error, printable, report, show
from .files import LineReader, MAX_INPUT, read_file, read_in_folder, shown_path, too_large

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
    results: Iterable = field(default_factory=list)     # in this process, yielded as each problem is graded
    error: BptutorError | None = None       # the submission itself was unusable
    problems: list = field(default_factory=list)        # its problem tables


def main(argv, stdout, stderr, stdin=None) -> int:
    lang = pick_lang(prescan_lang(argv))
    status = Status()
    printer = None
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
        printer = printer(stdout, stderr, lang, args.digits, single)
        stream = graded(subs, args.jobs)
        try:
            printer.run(stream, status)
        finally:
            stream.close()          # a pool stops at once
    except BaseException as exc:        # noqa: B036 -- a bad argument, a broken pipe, Ctrl-C: a message and an exit code
        return report(exc, lang, stdout, stderr)
    return Exit.INTERRUPTED if printer.interrupted else status.exit_code()


# ---- what to grade --------------------------------------------------------------------
def submissions(paths: list[str], stdin) -> tuple[bool, Iterator[Submission]]:
    """(single, the submissions in order): `single` when the one path is one
    TOML file (its output keeps the one-file shape)."""
    import sys
    stdin = LineReader(stdin or sys.stdin)
    if len(paths) == 1 and paths[0] != "-" and not Path(paths[0]).is_dir():
        return True, iter([Submission(paths[0], path=paths[0])])
    if paths == ["-"]:
        first = stdin() or ""
        if not is_json_line(first):
            return True, iter([Submission("-", text=rest_of(first, stdin))])
        return False, json_lines(first, stdin)
    return False, _many(paths, stdin)


def rest_of(first: str, next_line) -> str:
    """A TOML file on standard input, its first line read already; refused
    once it passes the input limit."""
    lines, size = [first], len(first)
    for line in iter(next_line, None):
        size += 1 + len(line)
        if size > MAX_INPUT:
            raise too_large(size)
        lines.append(line)
    return "\n".join(lines)


def is_json_line(line: str) -> bool:
    """A TOML file never starts with '{'; a JSON Lines submission always does."""
    return line.lstrip().startswith("{")


def json_lines(first: str, next_line) -> Iterator[Submission]:
    """One submission per non-blank line, read as they are graded (each line
    within the input limit)."""
    for k, line in enumerate(_chain(first, iter(next_line, None)), 1):
        if line.strip():
            yield Submission(f"<stdin>:{k}", line=line)


def _many(paths: list[str], stdin) -> Iterator[Submission]:
    for path in paths:
        if path == "-":
            first = stdin() or ""
            if is_json_line(first):
                yield from json_lines(first, stdin)
            else:
                yield Submission("-", text=rest_of(first, stdin))
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
def start(sub: Submission) -> Graded:
    """A submission read and loaded, its problems graded as `results` is
    iterated (lazily); never raises."""
    from ..tutor.grade import grade, load, load_json_line

    graded = Graded(sub.label)
    try:
        folder = Path.cwd()         # a TOML file on standard input: the folder it is run in
        if sub.path is not None:
            graded.problems, folder = load(read_file(sub.path)), Path(sub.path).resolve().parent
        elif sub.line is not None:
            name, graded.problems = load_json_line(sub.line)
            graded.label = name or sub.label
            folder = None           # a line of JSON has no folder of its own: no files
        elif sub.text is not None:
            graded.problems = load(sub.text)
        else:
            raise BptutorError("grade.empty_directory", None, path=shown_path(sub.label))
        graded.results = grade(graded.problems, lambda name, limit: read_in(folder, name, limit))
    except BptutorError as exc:
        graded.error = exc
    except Exception as exc:        # a bug must not stop the other submissions
        graded.error = BptutorInternalError.wrap(exc)
    return graded


def read_in(folder: Path | None, name: str, limit: int) -> str:
    if folder is None:
        raise BptutorError("grade.no_files_in_json", None, path=shown_path(name))
    return read_in_folder(folder, name, limit)


def grade_one(sub: Submission) -> Graded:
    """Grade one submission to the end; never raises (runs in a worker process)."""
    graded = start(sub)
    try:
        graded.results = list(graded.results)
    except Exception as exc:        # a bug must not stop the other submissions
        graded.results, graded.error = [], BptutorInternalError.wrap(exc)
    graded.problems = []            # not sent back: the results say it all (and Written floats do not pickle)
    return graded


def _worker_start() -> None:
    """A pool worker: Ctrl-C (the terminal's, sent to every process of the
    group) ends it silently; the main process says what was graded."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def graded(subs: Iterable[Submission], jobs: int) -> Iterator[Graded]:
    """The graded submissions in input order: here, each problem graded as the
    printer asks for it; with jobs > 1 from a process pool that never runs
    more than AHEAD × jobs submissions ahead of the printer."""
    if jobs == 1:
        yield from map(start, subs)
        return
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    pool = ProcessPoolExecutor(jobs, initializer=_worker_start)
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
        """Count a submission (its results graded by now)."""
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
    """Prints each graded submission as it comes (in this process, each of its
    problems as it is graded), then the totals. Ctrl-C stops the grading, not
    the printing: what was graded is printed, and the totals."""

    def __init__(self, out, err, lang: str, digits: int, single: bool):
        self.out, self.err, self.lang, self.digits, self.single = out, err, lang, digits, single
        self.right = self.total = self.count = 0
        self.interrupted = False

    def run(self, graded: Iterable[Graded], status: Status) -> None:
        self.begin()
        try:
            with interruptible():
                for g in graded:
                    self.count += 1
                    if g.error is not None:
                        self.unusable(g)
                    else:
                        self.submission(g)
                    status.add(g)
                    self.out.flush()
                    if self.interrupted:
                        break
        except KeyboardInterrupt:
            self.interrupted = True
        self.end()

    def submission(self, g: Graded) -> None:
        """Each result as it is graded, then the submission's close. Ctrl-C
        stops the grading there: g.results keeps those graded, for the totals."""
        pending, g.results = g.results, []
        self.open(g)
        try:
            for r in pending:
                g.results.append(r)
                self.right += r.correct
                self.total += 1
                self.result(g, r)
        except KeyboardInterrupt:
            self.interrupted = True
        self.close(g)

    def unusable(self, g: Graded) -> None:
        """The submission's error on stderr (naming it when there are several)."""
        if not self.single:
            self.err.write(t("grade.in_submission", self.lang, path=shown_path(g.label)) + "\n")
        print_error(g.error, self.lang, self.err)

    def begin(self) -> None:
        pass

    def open(self, g: Graded) -> None:
        pass

    def result(self, g: Graded, r) -> None:
        pass

    def close(self, g: Graded) -> None:
        pass

    def end(self) -> None:
        pass


class TextPrinter(Printer):
    """A table per submission, printed a row at a time."""

    def open(self, g: Graded) -> None:
        if self.count > 1:
            self.out.write("\n")
        self.table = Grades.of(g, self.lang, self.digits)
        self.print(self.table.head(g.label))

    def result(self, g: Graded, r) -> None:
        self.print(self.table.row(len(g.results), r))

    def close(self, g: Graded) -> None:
        self.print(self.table.tail(g.results, len(g.problems) or len(g.results)))

    def print(self, renderable) -> None:
        show(renderable, self.out)
        self.out.flush()

    def end(self) -> None:
        if not self.single:
            stopped = t("grade.interrupted_all", self.lang) + "\n" if self.interrupted else ""
            self.out.write("\n" + stopped + t("grade.total", self.lang, right=self.right, total=self.total,
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
        self.out.write(json_text(data))

    def unusable(self, g: Graded) -> None:
        super().unusable(g)
        if not self.single:
            self.entry({"submission": g.label, "problems": [], "score": 0, "right": 0, "total": 0,
                        "error": message(g.error, self.lang)})

    def close(self, g: Graded) -> None:
        from ..tutor.grade import to_dict
        data = to_dict(g.results, self.lang, len(g.problems) or len(g.results))
        if self.single:
            self.out.write(json_text(data, indent=1) + "\n")
        else:
            self.entry({"submission": g.label, **data, "error": None})

    def end(self) -> None:
        if not self.single:
            stopped = ', "interrupted": true' if self.interrupted else ""
            self.out.write(f'\n], "right": {self.right}, "total": {self.total}{stopped}}}\n')


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
        self.out.write(json_text({"name": name, "score": score, "max_score": max_score, "output": output,
                                  "status": "passed" if passed else "failed"}))

    def unusable(self, g: Graded) -> None:
        super().unusable(g)
        self.test(g.label, 0, 0, t("cli.error", self.lang, message=message(g.error, self.lang)), False)

    def result(self, g: Graded, r) -> None:
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
        return [t("grade.error", lang, message=printable(r.error.message(lang, num)))]
    lines = []
    for v in r.verdicts:
        if v.correct and not v.note_key and not every:
            continue
        line = t("grade.answer_line", lang, name=printable(v.name), given=printable(str(v.given)),
                 expected=num(v.expected, digits), verdict=verdict_text(v, lang))
        if mistake_names(v, lang):
            line += t("grade.mistake", lang, mistake=mistake_names(v, lang))
        lines.append(line)
    return lines


def render(results: list, lang: str, digits: int, path: str):
    """The grades as a table, then the score (all at once)."""
    from rich.console import Group
    table = Grades([r.name for r in results], [len(r.verdicts) for r in results], lang, digits)
    rows = [table.row(k, r) for k, r in enumerate(results, 1)]
    return Group(table.head(path), *rows, table.tail(results, len(results)))


class Grades:
    """The grades as a table that can be printed a row at a time: the widths of
    its columns are fixed from the file's problems before the first row.
    Problem names and answers come from students: shown escaped."""
    COLUMNS = (("number", "right"), ("problem", "left"), ("result", "left"), ("answers", "right"),
               ("details", "left"))
    MAX_NAME = 40           # cells of the problem column; a longer name wraps in it

    def __init__(self, names: list[str], answer_counts: list[int], lang: str, digits: int):
        from .console import cells
        self.lang, self.digits = lang, digits
        count = max(answer_counts, default=0)
        widths = {
            "number": len(str(len(names))),
            "problem": min(max((cells(printable(n)) for n in names), default=0), self.MAX_NAME),
            "result": max(cells(t("grade.right", lang)), cells(t("grade.wrong", lang))),
            "answers": len(f"{count}/{count}"),
        }
        self.widths = {key: max(w, cells(t(f"grade.col_{key}", lang))) for key, w in widths.items()}

    @classmethod
    def of(cls, g: Graded, lang: str, digits: int) -> "Grades":
        """For a submission's table: from its problems (graded here, as they come)
        or its results (graded in a worker)."""
        if not g.problems:
            return cls([r.name for r in g.results], [len(r.verdicts) for r in g.results], lang, digits)
        from ..tutor.grade import problem_name
        names = [problem_name(p, k) for k, p in enumerate(g.problems, 1)]
        counts = [len(p["answers"]) for p in g.problems if isinstance(p.get("answers"), dict)]
        return cls(names, counts, lang, digits)

    def _table(self, header: bool):
        from rich.table import Table
        tab = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False, show_header=header)
        for key, justify in self.COLUMNS:
            tab.add_column(t(f"grade.col_{key}", self.lang), justify=justify, header_style="bold",
                           overflow="fold", width=self.widths.get(key))
        return tab

    def head(self, path: str):
        """The title and the column headings."""
        from rich.console import Group
        from rich.text import Text
        return Group(Text(t("grade.title", self.lang, path=printable(path)), style="bold"), self._table(True))

    def row(self, number: int, r):
        """One problem's line: its verdict, how many answers are right, what is wrong."""
        from rich.text import Text
        tab = self._table(False)
        result = Text(t("grade.right" if r.correct else "grade.wrong", self.lang),
                      style="green" if r.correct else "bold red")
        name = Text(printable(r.name))
        if r.error is not None:
            tab.add_row(str(number), name, result, "", Text(details(r, self.lang, self.digits)[0], style="red"))
            return tab
        right = sum(v.correct for v in r.verdicts)
        tab.add_row(str(number), name, result, f"{right}/{len(r.verdicts)}",
                    Text("\n".join(details(r, self.lang, self.digits))))
        return tab

    def tail(self, results: list, total: int):
        """The score, after a blank line; when Ctrl-C stopped the grading, how far it got."""
        from rich.console import Group
        from rich.text import Text
        right = sum(r.correct for r in results)
        lines = [Text("")]
        if len(results) < total:
            lines.append(Text(t("grade.interrupted", self.lang, graded=len(results), total=total), style="bold"))
        lines.append(Text(t("grade.score", self.lang, right=right, total=total),
                          style="bold green" if right == total else "bold red"))
        return Group(*lines)
