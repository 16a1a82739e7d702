"""Checked answers for a terminal: a table (given, expected, verdict, mistake),
then per answer one sentence saying why and the step(s) of the derivation that
give the right value, narrated as in the full derivation."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..i18n import t
from .numbers import num, shape_text
from ..core.records import Derivation, Verdict
from .narrate import Narrator, narrator
from .terminal import header

_NODE_KEYS = ("node", "target", "path")      # detail entries that are node indices
_LABEL_KEYS = ("own", "other")               # node indices quoted by their label
_NUMBER_KEYS = ("local", "upstream", "low", "high", "pytorch", "hand")


def render_answers(d: Derivation, verdicts: list[Verdict], lang: str = "en", digits: int = 4) -> Group:
    nar = narrator(d, lang, digits)
    parts = [header(d, nar), Text(""), Text(t("answers.title", lang), style="bold"), table(d, verdicts, nar),
             Text("")]
    for v in verdicts:
        parts.append(explanation(d, v, nar))
    right = sum(v.correct for v in verdicts)
    parts.append(Text(t("answers.score", lang, right=right, total=len(verdicts)),
                      style="bold green" if right == len(verdicts) else "bold red"))
    for w in nar.warnings():
        parts.append(Text("! " + w, style="yellow"))
    return Group(*parts)


def table(d: Derivation, verdicts: list[Verdict], nar: Narrator) -> Table:
    lang = nar.lang
    tab = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
    for key, justify in (("answer", "left"), ("given", "right"), ("expected", "right"),
                         ("verdict", "left"), ("diagnosis", "left")):
        tab.add_column(t(f"answers.col_{key}", lang), justify=justify, header_style="bold",
                       overflow="fold")
    for v in verdicts:
        verdict = Text(verdict_text(v, lang), style="green" if v.correct else "bold red")
        mistake = t(f"answers.code_{v.diagnosis}", lang) if v.diagnosis else ""
        tab.add_row(partial(d, v), Text(v.given), nar.n(v.expected), verdict, mistake)
    return tab


def verdict_text(v: Verdict, lang: str) -> str:
    if not v.correct:
        return t("answers.wrong", lang)
    if v.note_key == "answers.accepted_rounding":
        return t("answers.right_rounding", lang)
    if v.note_key == "answers.kink":
        return t("answers.right_kink", lang)
    return t("answers.right", lang)


def partial(d: Derivation, v: Verdict) -> str:
    f = d.graph.nodes[d.graph.output].label
    return f"∂{f}/∂{v.name}"


def explanation(d: Derivation, v: Verdict, nar: Narrator) -> Group:
    head = Text(f"{partial(d, v)} = ", style="bold")
    head.append(v.given, style="bold")
    head.append("：" if nar.lang == "zh" else ": ")
    head.append(why(v, nar), style="" if v.correct else "red")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", style="dim", no_wrap=True, min_width=4)
    grid.add_column(overflow="fold")
    for k in v.steps:
        grid.add_row(str(k + 1), Text(nar.sentence(d.steps[k])))
    return Group(head, grid)


def why(v: Verdict, nar: Narrator) -> str:
    """One sentence: right, accepted and why, or the mistake the number matches."""
    lang = nar.lang
    params = _params(v, nar)
    if v.note_key:
        return t(v.note_key, lang, **params)
    if v.correct:
        return t("answers.explain_formula_right" if v.formula else "answers.explain_right", lang, **params)
    code = v.diagnosis
    if code == "sign" and v.node is None:
        return t("answers.why_sign_anywhere", lang, **params)
    if code == "transpose" and v.node is not None:
        return t("answers.why_transpose_order", lang, **params)
    if code == "rounding" and params.get("decimals") is None:
        return t("answers.why_rounding_exact", lang, **params)
    if code:
        text = t(f"answers.why_{code}", lang, **params)
        others = (v.detail or {}).get("others")
        if others:
            text += t("answers.or_at", lang, nodes=" / ".join(nar.who(i) for i in others))
        return text
    if v.formula and v.given_value is not None:
        return t("answers.explain_formula_wrong", lang, **params)
    return t("answers.explain_wrong", lang, **params)


def _params(v: Verdict, nar: Narrator) -> dict:
    params = {"name": v.name, "given": v.given, "expected": nar.n(v.expected)}
    if v.note_key == "answers.accepted_rounding":     # the exact value, finer than the student's
        decimals = v.detail["decimals"]
        params["expected"] = num(v.expected, max(nar.digits, decimals + 2))
        params["hand"] = num(v.detail["hand"], decimals)
    if v.given_value is not None:
        params["value"] = nar.n(v.given_value)
    for key, value in (v.detail or {}).items():
        if key in _NODE_KEYS:
            value = nar.who(value)
        elif key in _LABEL_KEYS:
            value = nar.nodes[value].label
        elif key in _NUMBER_KEYS:
            value = nar.n(value)
        elif key in ("given_shape", "shape"):
            value = shape_text(value)
        elif key == "others":
            continue
        elif key == "codes":
            value = ", ".join(t(f"answers.code_{c}", nar.lang) for c in value)
        params.setdefault(key, value)
    return params
