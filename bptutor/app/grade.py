"""`bptutor grade FILE.toml [--json]`: read the file, grade it (tutor/grade.py),
print a verdict per problem and a score. Exit 0 when everything is right, 1
when anything is wrong, 2 when the file itself is unusable, 3 when a bug of
ours met a problem (the others are still graded and printed)."""
from __future__ import annotations

from pathlib import Path

from ..i18n import pick_lang, t
from .args import Parser, prescan_lang, wants_help
from .console import Exit, report, show
from .files import read_file


def build_parser(lang: str, out, with_help: bool = True) -> Parser:
    p = Parser("bptutor grade", lang, out, with_help=with_help, description="grade.help_description")
    p.add_argument("file", help=p.h("grade.help_file"))
    p.add_argument("--json", action="store_true", help=p.h("grade.help_json"))
    p.add_common()
    return p


def main(argv, stdout, stderr, stdin=None) -> int:
    from ..tutor.grade import grade, load, to_dict

    lang = pick_lang(prescan_lang(argv))
    try:
        args = build_parser(lang, stdout, wants_help(argv)).parse_args(argv)
        lang = pick_lang(args.lang)
        if args.file == "-":
            import sys
            text, base = (stdin or sys.stdin).read(), Path.cwd()
        else:
            text, base = read_file(args.file), Path(args.file).resolve().parent
        results = grade(load(text), lambda name: read_file(str(base / name)))
        if args.json:
            import json
            stdout.write(json.dumps(to_dict(results, lang), ensure_ascii=False, indent=1) + "\n")
        else:
            show(render(results, lang, args.digits, args.file), stdout)
    except BaseException as exc:        # noqa: B036 -- a bad file, a broken pipe, Ctrl-C: a message and an exit code
        return report(exc, lang, stdout, stderr)
    if any(r.internal for r in results):
        return Exit.INTERNAL
    return Exit.OK if all(r.correct for r in results) else Exit.WRONG


def render(results: list, lang: str, digits: int, path: str):
    """The grades as a table, then the score."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from ..render.answers import mistake_names, verdict_text
    from ..render.numbers import num

    tab = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
    for key, justify in (("number", "right"), ("problem", "left"), ("result", "left"),
                         ("answers", "right"), ("details", "left")):
        tab.add_column(t(f"grade.col_{key}", lang), justify=justify, header_style="bold", overflow="fold")
    for k, r in enumerate(results, 1):
        result = Text(t("grade.right" if r.correct else "grade.wrong", lang),
                      style="green" if r.correct else "bold red")
        if r.error is not None:
            details = Text(t("grade.error", lang, message=r.error.message(lang, num)), style="red")
            tab.add_row(str(k), Text(r.name), result, "", details)
            continue
        right = sum(v.correct for v in r.verdicts)
        lines = []
        for v in r.verdicts:
            if v.correct and not v.note_key:
                continue
            line = t("grade.answer_line", lang, name=v.name, given=v.given,
                     expected=num(v.expected, digits), verdict=verdict_text(v, lang))
            if mistake_names(v, lang):
                line += t("grade.mistake", lang, mistake=mistake_names(v, lang))
            lines.append(line)
        tab.add_row(str(k), Text(r.name), result, f"{right}/{len(r.verdicts)}", Text("\n".join(lines)))
    right = sum(r.correct for r in results)
    score = Text(t("grade.score", lang, right=right, total=len(results)),
                 style="bold green" if right == len(results) else "bold red")
    return Group(Text(t("grade.title", lang, path=path), style="bold"), tab, Text(""), score)
