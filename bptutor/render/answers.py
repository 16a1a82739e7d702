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
from .plain import Narration, header
from .terminal import Wrapped, rich_block

_NODE_KEYS = ("node", "target", "path", "operand")      # detail entries that are node indices
_LABEL_KEYS = ("own", "other")               # node indices quoted by their label
_NUMBER_KEYS = ("local", "wrong", "power", "operand_value", "upstream", "low", "high", "pytorch", "hand")


def render_answers(d: Derivation, verdicts: list[Verdict], lang: str = "en", digits: int = 4) -> Group:
    nar = Narration(d, lang, digits)
    parts = [rich_block(header(d, nar.words, nar.printer)), Text(""), Text(t("answers.title", lang), style="bold"), table(d, verdicts, nar),
             Text("")]
    for v in verdicts:
        parts.append(explanation(d, v, nar))
    right = sum(v.correct for v in verdicts)
    parts.append(Text(t("answers.score", lang, right=right, total=len(verdicts)),
                      style="bold green" if right == len(verdicts) else "bold red"))
    for w in nar.warnings():
        parts.append(Text("! " + w, style="yellow"))
    return Group(*parts)


def table(d: Derivation, verdicts: list[Verdict], nar: Narration) -> Table:
    lang = nar.lang
    tab = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
    for key, justify in (("answer", "left"), ("given", "right"), ("expected", "right"),
                         ("verdict", "left"), ("diagnosis", "left")):
        tab.add_column(t(f"answers.col_{key}", lang), justify=justify, header_style="bold",
                       overflow="fold")
    for v in verdicts:
        verdict = Text(verdict_text(v, lang), style="green" if v.correct else "bold red")
        tab.add_row(partial(d, v), Text(v.given), nar.n(v.expected), verdict, mistake_names(v, lang))
    return tab


def mistake_names(v: Verdict, lang: str) -> str:
    """The short name of the mistake, or of each mistake the number fits ("" if none)."""
    codes = [code for code, _node, _detail in v.either] or ([v.diagnosis] if v.diagnosis else [])
    return " / ".join(dict.fromkeys(t(f"answers.code_{code}", lang) for code in codes))


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


def explanation(d: Derivation, v: Verdict, nar: Narration) -> Group:
    head = Text(f"{partial(d, v)} = ", style="bold")
    head.append(v.given, style="bold")
    head.append("：" if nar.lang == "zh" else ": ")
    head.append(why(v, nar), style="" if v.correct else "red")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", style="dim", no_wrap=True, min_width=4)
    grid.add_column(overflow="fold")
    for k in v.steps:
        grid.add_row(str(k + 1), Wrapped(Text(nar.sentence(d.steps[k]))))
    return Group(Wrapped(head), grid)


def why(v: Verdict, nar: Narration) -> str:
    """One sentence: right, accepted and why, or the mistake the number matches."""
    lang = nar.lang
    if v.either:        # several mistakes give this number: each, none picked
        return _either(v, nar)
    params = _params(v, nar)
    if v.note_key:
        return t(v.note_key, lang, **params)
    if v.correct:
        return t("answers.explain_formula_right" if v.formula else "answers.explain_right", lang, **params)
    if v.diagnosis:
        return _mistake(v, nar)
    if v.formula and v.given_value is not None:
        return t("answers.explain_formula_wrong", lang, **params)
    return t("answers.explain_wrong", lang, **params)


def _either(v: Verdict, nar: Narration) -> str:
    """Every mistake that gives the number: one sentence per kind, naming the
    other nodes where the same kind gives it too; "either … or …" between kinds."""
    groups: dict = {}
    for code, node, detail in v.either:
        groups.setdefault((code, (detail or {}).get("slip")), []).append((node, detail))
    sentences = []
    for (code, _slip), places in groups.items():
        (node, detail), others = places[0], [n for n, _ in places[1:] if n is not None]
        text = _mistake(v._replace(diagnosis=code, node=node, detail=detail), nar)
        if others:
            text += t("answers.or_at", nar.lang, nodes=" / ".join(nar.who(i) for i in others))
        sentences.append(text)
    if len(sentences) == 1:
        return sentences[0]
    return t("answers.either", nar.lang, mistake=sentences[0]) + "".join(
        t("answers.either_next", nar.lang, mistake=m) for m in sentences[1:])


def _mistake(v: Verdict, nar: Narration) -> str:
    """The sentence naming the mistake v.diagnosis at v.node."""
    lang, code = nar.lang, v.diagnosis
    params = _params(v, nar)
    if code == "sign" and v.node is None:
        return t("answers.why_sign_anywhere", lang, **params)
    if code == "transpose" and v.node is not None:
        return t("answers.why_transpose_order", lang, **params)
    if code == "rounding" and params.get("decimals") is None:
        return t("answers.why_rounding_exact", lang, **params)
    if code == "local":
        return t(f"answers.slip_{params['slip']}", lang, **params)
    return t(f"answers.why_{code}", lang, **params)


def _params(v: Verdict, nar: Narration) -> dict:
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
        params.setdefault(key, value)
    return params
