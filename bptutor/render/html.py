"""--format html: the derivation as one self-contained page (no network, no
CDN): the CS231n picture as inline SVG, the forward values and every backward
step as text with MathML formulas, the numeric check as a table. A few lines
of script add prev/next buttons and the arrow keys, which highlight each
step's box and wires in the picture and show its sentence beneath it; without
script (or printed) the page shows every step, as the notes do.

`fragment()` is the same content without the page around it: Jupyter's
Derivation._repr_html_. Every id carries a prefix, so several derivations can
share one notebook. The picture is laid out by `layout(dot_text, nodes) -> svg
text` (the app's Graphviz; None leaves it out): a renderer runs no program.

Text written here is escaped; formulas are LaTeX from the notes' printer,
turned into MathML by latex2mathml (imported only for this format)."""
from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from ..core.records import Derivation
from ..i18n import t
from . import dot
from .markdown import forward_tex, values_tex
from .typeset import Typeset
from .walk import Walk
from .words import Formula, Mark, Math, Num, Sentence, Words

MAX_PICTURE = 400        # boxes: a larger graph is left to --graph, its layout would take minutes
GREEN, RED, HIGHLIGHT = dot.GREEN, dot.RED, "#ef6c00"


def render(d: Derivation, lang: str = "en", digits: int = 4, layout=None, extra: str = "") -> str:
    """The page (`extra`: a section after the derivation, the --lr step)."""
    return page(fragment(d, lang, digits, layout, keys="document", extra=extra), lang, title(d))


def fragment(d: Derivation, lang: str = "en", digits: int = 4, layout=None, prefix: str = "bp",
             keys: str = "root", before: str = "", extra: str = "") -> str:
    """The derivation as one <div> with its style and script. `keys`: "document"
    (a page of its own: the arrow keys anywhere) or "root" (in a notebook: once
    the derivation has the focus). `before`, `extra`: more sections (a training
    run, answers) before and after the derivation's own."""
    page = PageWords(d, lang, digits)
    words, ts = page.words, page.ts
    focus = ' tabindex="0"' if keys == "root" else ""         # in a notebook, the arrow keys need the focus
    parts = [f'<div class="bptutor" id="{prefix}" lang="{_lang(lang)}"{focus}>', style(prefix), before,
             header(d, words, ts), picture(d, page.walk, lang, digits, layout, prefix), controls(lang),
             steps_section("forward", page.forward, page.walk, lang)]
    passes = iter(page.passes)                  # made in the order words.passes() gives them
    shown = {
        "backward": lambda _: steps_section("backward", page.backward, page.walk, lang),
        "pass": lambda _: pass_section(*next(passes), page.walk),
        "check": lambda _: check_section(words, ts),
        "tangent_checks": lambda checks: lines_section(escape(t("modes.tangents_title", lang)),
                                                       [ts.sentence(s) for s in checks]),
        "jacobian": lambda _: jacobian_section(words, ts),
        "cost": lambda lines: lines_section(escape(t("modes.cost_title", lang)), [ts.text(s) for s in lines]),
        "warnings": lambda warnings: '<ul class="bp-warnings">' + "".join(f"<li>{ts.words_only(w)}</li>"
                                                                          for w in warnings) + "</ul>",
    }
    parts += [shown[kind](content) for kind, content in words.sections()]
    parts += [extra, "</div>", script(prefix, keys)]
    return "\n".join(p for p in parts if p) + "\n"


class PageWords:
    """The page's sentences as HTML: each forward row, backward step and step of a
    pass (forward mode, a Jacobian's reverse passes), each with the stop of the
    walk it is (None: not a stop, such as a statement the output does not use,
    or a pass the picture does not carry)."""

    def __init__(self, d: Derivation, lang: str, digits: int):
        self.lang = lang
        self.words = words = Words(d)
        self.ts = ts = Typeset(lang, digits, code=_code, prose=escape)
        self.walk = walk = Walk(d, digits)
        computed = [i for i, node in enumerate(d.graph.nodes) if node.args]
        self.forward = [(walk.index.get(("forward", i)), mathml(" = ".join(parts)))
                        for i, parts in zip(computed, forward_tex(words, ts))]
        carried = walk.pass_ is None             # backward's own steps are the stops
        self.backward = [(walk.index.get(("backward", k)) if carried else None, with_math(ts.sentence(words.step(s))))
                         for k, s in enumerate(d.steps)]
        passes = words.passes()
        self.passes = []                         # (title as HTML, title as text, items) per pass
        for p in passes:
            phase = "tangent" if p.direction == "forward" else "backward"
            stops = p is walk.pass_
            items = [(walk.index.get((phase, k)) if stops else None, with_math(ts.sentence(s)))
                     for k, s in enumerate(words.pass_steps(p))]
            title = words.pass_title(p)
            self.passes.append((with_math(ts.sentence(title)), ts.plain.sentence(title), items))
        self.by_stop = {stop: text for stop, text in self.forward + self.backward
                        + [item for _, _, items in self.passes for item in items] if stop is not None}
        self.pass_title = next((text for p, (_, text, _) in zip(passes, self.passes) if p is walk.pass_), None)

    def at(self, k: int) -> str:
        """Stop k's sentence."""
        return self.by_stop[k]

    def phase(self, k: int) -> str:
        """The title of stop k's pass, as text (the counter says it)."""
        phase = self.walk.stops[k].phase
        if phase == "forward" or self.walk.pass_ is None:
            return t(f"render.{phase}_title", self.lang)
        return self.pass_title


class Stepper:
    """One stop at a time without script, for ipywidgets (app/notebook.py): the
    picture with the stop's box and wires lit by a style naming their ids, the
    counter, and the stop's sentence."""

    def __init__(self, d: Derivation, lang: str, digits: int, layout, prefix: str):
        self.words = PageWords(d, lang, digits)
        self.lang, self.prefix = lang, prefix
        self.figure = picture(d, self.words.walk, lang, digits, layout, prefix)
        self.count = len(self.words.walk.stops)

    def at(self, k: int) -> str:
        head = f'<div class="bptutor" id="{self.prefix}">{style(self.prefix)}'
        if k < 0:
            return f'{head}{self.figure}<p>{escape(t("render.page_start", self.lang))}</p></div>'
        stop = self.words.walk.stops[k]
        lit = lit_style(self.prefix, f"n{stop.node}", [f"w{w}{end}" for w in stop.wires for end in ("", "_in", "_out")])
        counter = t("render.step_counter", self.lang, phase=self.words.phase(k), k=k + 1, n=self.count)
        return (f"{head}{lit}{self.figure}<p><b>{escape(counter)}</b></p>"
                f"<p>{self.words.at(k)}</p></div>")


def render_answers(d: Derivation, verdicts: list, lang: str = "en", digits: int = 4, layout=None,
                   extra: str = "") -> str:
    """--answer with --format html, :html after :check: the page, then the verdicts."""
    sections = answers_section(d, verdicts, lang, digits) + extra
    return page(fragment(d, lang, digits, layout, keys="document", extra=sections), lang, title(d))


def answers_section(d: Derivation, verdicts: list, lang: str, digits: int) -> str:
    """The table of verdicts, then per answer why, with the steps that give the right value."""
    from .answers import partial, verdict_text, why
    from .plain import Narration
    nar, words = Narration(d, lang, digits), PageWords(d, lang, digits)
    heads = "".join(f"<th>{escape(t(f'answers.col_{key}', lang))}</th>"
                    for key in ("answer", "given", "expected", "verdict", "diagnosis"))
    rows, explained = [], []
    for v in verdicts:
        kind = "bp-right" if v.correct else "bp-wrong"
        mistake = t(f"answers.code_{v.diagnosis}", lang) if v.diagnosis else ""
        cells = [partial(d, v), v.given, nar.n(v.expected), verdict_text(v, lang), mistake]
        rows.append(f'<tr class="{kind}">' + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
        steps = "".join(f'<li value="{k + 1}">{words.backward[k][1]}</li>' for k in v.steps)
        explained.append(f'<p class="{kind}"><b>{escape(partial(d, v))} = {escape(v.given)}</b>: '
                         f"{escape(why(v, nar))}</p>" + (f"<ol>{steps}</ol>" if steps else ""))
    right = sum(v.correct for v in verdicts)
    score = escape(t("answers.score", lang, right=right, total=len(verdicts)))
    return (f'<section class="bp-answers">\n<h3>{escape(t("answers.title", lang))}</h3>\n'
            f"<table>\n<thead><tr>{heads}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n"
            + "\n".join(explained) + f'\n<p class="{"bp-right" if right == len(verdicts) else "bp-wrong"}">'
            f"<b>{score}</b></p>\n</section>")


def page(body: str, lang: str, heading: str) -> str:
    return ("<!DOCTYPE html>\n"
            f'<html lang="{_lang(lang)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(heading)}</title>\n{PAGE_STYLE}\n</head>\n<body>\n{body}</body>\n</html>\n")


def title(d: Derivation) -> str:
    source = " ".join(d.source.split())
    return "bptutor: " + (source if len(source) <= 80 else source[:77] + "…")


def _lang(lang: str) -> str:
    return "zh-CN" if lang == "zh" else lang


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


# ---- math ----------------------------------------------------------------------------------
_MATH = re.compile(r"\$([^$]*)\$")
_XMLNS = re.compile(r' xmlns="[^"]*"')
_LETTERS = re.compile(r'<mrow>((?:<mi mathvariant="normal">[^<]</mi>){2,})</mrow>')
_LETTER = re.compile(r'<mi mathvariant="normal">([^<])</mi>')


@lru_cache(maxsize=4096)            # a big derivation repeats its small formulas (1, -1, ∂f/∂f)
def mathml(latex: str) -> str:
    """LaTeX -> inline MathML (HTML5 needs no namespace: the parser knows <math>).
    A name of several letters, \\mathrm{amp}, stays one identifier (upright, read
    as a word), where the converter writes a letter each."""
    from latex2mathml.converter import convert
    text = _XMLNS.sub("", convert(latex), count=1)
    return _LETTERS.sub(lambda m: "<mi>" + "".join(_LETTER.findall(m.group(1))) + "</mi>", text)


def with_math(text: str) -> str:
    """The notes' text (prose already escaped, formulas between $…$) with MathML formulas."""
    return _MATH.sub(lambda m: mathml(m.group(1)), text)


# ---- sections ------------------------------------------------------------------------------
def header(d: Derivation, words: Words, ts: Typeset) -> str:
    equation = words.equation()
    if equation is None:
        top = f"<h2>{escape(t('export.program', ts.lang))}</h2>\n<pre><code>{escape(d.source.strip())}</code></pre>"
    else:
        top = f'<h2 class="bp-equation">{mathml(equation.latex)}</h2>'
    values = with_math(ts.sentence(Sentence("export.values", {"values": Math((Formula("", values_tex(words, ts)),))})))
    return f'<header>\n{top}\n<p class="bp-values">{values}</p>\n</header>'


def picture(d: Derivation, walk: Walk, lang: str, digits: int, layout, prefix: str) -> str:
    if layout is None:
        return ""
    boxes = len(walk.picture.boxes)
    if boxes > MAX_PICTURE:
        return f'<p class="bp-note">{escape(t("export.page_no_picture", lang, count=boxes))}</p>'
    svg = layout(dot.render(d, digits, ids=prefix + "_"), len(d.graph.nodes))
    if svg is None:
        return ""
    caption = escape(t("export.graph_title", lang) if d.mode != "forward" else
                     t("modes.graph_title", lang, x=d.graph.nodes[d.forward[0].about].label))
    return f'<figure class="bp-picture">\n{inline_svg(svg)}\n<figcaption>{caption}</figcaption>\n</figure>'


_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
_TITLE = re.compile(r"<title>.*?</title>\n?", re.S)
_SVG_XMLNS = re.compile(r'\s+xmlns(?::xlink)?="[^"]*"')


def inline_svg(svg: str) -> str:
    """Graphviz's SVG file as an element of the page: without the XML prolog and
    doctype (they name URLs), comments, tooltips of internal node names, and
    namespaces (HTML5's parser puts <svg> in its namespace itself)."""
    svg = _TITLE.sub("", _COMMENT.sub("", _PROLOG.sub("", svg, count=1)))
    head, rest = svg.split(">", 1)
    return _SVG_XMLNS.sub("", head) + ' role="img">' + rest.strip()


def controls(lang: str) -> str:
    """Hidden until the script shows them: without script every step is on the page anyway."""
    return ('<div class="bp-controls" hidden>\n'
            f'<button type="button" class="bp-prev">{escape(t("render.page_prev", lang))}</button>\n'
            f'<button type="button" class="bp-next">{escape(t("render.page_next", lang))}</button>\n'
            f'<span class="bp-counter" data-template="{escape(t("render.step_counter", lang))}"></span>\n'
            f'<div class="bp-now" aria-live="polite" data-start="{escape(t("render.page_start", lang))}"></div>\n'
            "</div>")


def steps_section(phase: str, items: list, walk: Walk, lang: str) -> str:
    """The forward values or the backward steps as a numbered list."""
    title = escape(t(f"render.{phase}_title", lang))
    return "\n".join([f'<section class="bp-{phase}">', f"<h3>{title}</h3>", stops_list(title, items, walk),
                      "</section>"])


def stops_list(phase: str, items: list, walk: Walk) -> str:
    """Numbered items; one that is a stop of the walk names its box and wires (the
    picture's ids n<i>, w<k>) and its pass (`phase`, escaped: the counter says it)."""
    lines = [f'<ol data-phase="{phase}">']
    for stop, text in items:
        if stop is None:
            lines.append(f"<li>{text}</li>")
            continue
        node, wires = walk.stops[stop].node, " ".join(str(w) for w in walk.stops[stop].wires)
        lines.append(f'<li data-node="{node}" data-wires="{wires}">{text}</li>')
    return "\n".join(lines + ["</ol>"])


def pass_section(title: str, phase: str, items: list, walk: Walk) -> str:
    """A forward (or a Jacobian's reverse) pass: its title, its steps numbered (the
    pass the picture carries, as stops of the walk)."""
    return f'<section class="bp-pass">\n<h3>{title}</h3>\n{stops_list(escape(phase), items, walk)}\n</section>'


def lines_section(title: str, lines: list[str]) -> str:
    paragraphs = "".join(f"<p>{with_math(line)}</p>\n" for line in lines)
    return f'<section class="bp-lines">\n<h3>{title}</h3>\n{paragraphs}</section>'


def jacobian_section(words: Words, ts: Typeset) -> str:
    """The Jacobian: what it is and how it was built, the matrix with its row and
    column labels (or a summary), its numeric check."""
    title, *notes = [ts.sentence(s) for s in words.jacobian_lines()]
    parts = [f"<h3>{with_math(title)}</h3>"] + [f"<p>{with_math(note)}</p>" for note in notes]
    for table in words.jacobian_tables():
        if type(table) is Sentence:
            parts.append(f"<p>{with_math(ts.sentence(table))}</p>")
            continue
        head = "<th></th>" + "".join(f"<th class=bp-num>{_code(c)}</th>" for c in table.columns)
        among = table.columns_values()
        body = "".join("<tr><th>" + _code(label) + "</th>" +
                       "".join(f"<td class=bp-num>{mathml(ts.tex(c, among=among[k]))}</td>"
                               for k, c in enumerate(cells)) + "</tr>\n"
                       for label, cells in table.rows)
        parts.append(f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>")
    checks = words.jacobian_checks()
    if checks:
        parts += [f"<h4>{escape(t('modes.check_title', ts.lang))}</h4>"] + \
            [f"<p>{with_math(ts.sentence(c))}</p>" for c in checks]
    return '<section class="bp-jacobian">\n' + "\n".join(parts) + "\n</section>"


def check_section(words: Words, ts: Typeset) -> str:
    lang = ts.lang
    table = words.check_table()
    cols = table.columns
    head = "".join(f'<th{"" if c in ("input", "verdict") else " class=bp-num"}>{escape(t(f"render.col_{c}", lang))}</th>'
                   for c in cols)
    rows = []
    for row in table.rows:
        c = row.check
        cells = [with_math(ts.text(words.who(row.index))), mathml(ts.given(row.value)), with_math(ts.n(row.gradient, table.among["gradient"]))]
        if c is None:
            cells += [""] * (len(cols) - 4) + [escape(t("render.verdict_unchecked", lang))]
        else:
            cells += ["" if x is None else with_math(ts.n(x.value, x.among)) if type(x) is Num else x
                      for x in words.check_cells(table, c)]
            cells.append(ts.text(Mark(c.verdict)))
        last = len(cells) - 1
        tds = "".join(f'<td{"" if k in (0, last) else " class=bp-num"}>{cell}</td>' for k, cell in enumerate(cells))
        rows.append(f'<tr class="bp-{"unchecked" if c is None else c.verdict}">{tds}</tr>')
    notes = "".join(f"<p>{ts.words_only(note)}</p>" for note in table.notes)
    return (f'<section class="bp-check">\n<h3>{ts.words_only(table.title)}</h3>\n<table>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + f"\n</tbody>\n</table>\n{notes}\n</section>")


# ---- style and script ----------------------------------------------------------------------
PAGE_STYLE = """<style>
body { font-family: system-ui, "Noto Sans", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em auto;
       max-width: 60em; padding: 0 1em; line-height: 1.5; color: #222; }
</style>"""

STYLE = f"""
#bp h2, #bp h3 {{ font-weight: 600; }}
#bp code {{ font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }}
#bp .bp-picture {{ margin: 1em 0; }}
#bp .bp-picture svg {{ max-width: 100%; height: auto; }}
#bp figcaption {{ font-size: 0.9em; color: #555; }}
#bp .bp-controls {{ position: sticky; top: 0; background: #fff; padding: 0.5em 0; border-bottom: 1px solid #ddd; }}
#bp .bp-controls button {{ font-size: 1em; padding: 0.2em 0.8em; }}
#bp .bp-counter {{ margin-left: 1em; font-weight: 600; }}
#bp .bp-now {{ margin-top: 0.4em; min-height: 3em; }}
#bp li.bp-on {{ background: #fff3e0; outline: 2px solid {HIGHLIGHT}; }}
#bp table {{ border-collapse: collapse; }}
#bp th, #bp td {{ padding: 0.15em 0.8em; border-bottom: 1px solid #eee; text-align: left; }}
#bp .bp-num {{ text-align: right; }}
#bp tr.bp-fail td {{ color: {RED}; font-weight: bold; }}
#bp .bp-warnings li {{ color: #8a6d00; }}
#bp .bp-wrong {{ color: {RED}; }}
#bp .bp-right {{ color: {GREEN}; }}
@media print {{
  #bp .bp-controls {{ display: none; }}
  #bp li.bp-on {{ background: none; outline: none; }}
}}
"""

# How a lit box and a lit wire (its numbers and both strokes) look in the picture:
# the numbers get a halo, not bold type, which would be wider than Graphviz laid out.
LIT_BOX = (("ellipse", f"stroke: {HIGHLIGHT}; stroke-width: 4px; fill: #ffe0b2;"),
           ("polygon", f"stroke: {HIGHLIGHT}; stroke-width: 4px; fill: #ffe0b2;"),
           ("text", f"font-weight: bold; fill: {HIGHLIGHT};"))
LIT_WIRE = (("text", "paint-order: stroke; stroke: #ffe0b2; stroke-width: 5px; stroke-linejoin: round;"),
            ("path", f"stroke: {HIGHLIGHT}; stroke-width: 3px;"),
            ("polygon", f"stroke: {HIGHLIGHT}; fill: {HIGHLIGHT};"))


def style(prefix: str) -> str:
    """The fragment's style, every rule under its id; the script lights boxes and
    wires with the class bp-on."""
    lit = "".join(f"#bp svg .bp-on.{kind} {part} {{ {rule} }}\n"
                  for kind, rules in (("box", LIT_BOX), ("wire", LIT_WIRE)) for part, rule in rules)
    return "<style>" + (STYLE + lit).replace("#bp ", f"#{prefix} ") + "</style>"


def lit_style(prefix: str, box: str, wires: list[str]) -> str:
    """The same look for named ids, where no script runs (ipywidgets)."""
    rules = [f"#{prefix}_{box} {part} {{ {rule} }}" for part, rule in LIT_BOX]
    rules += [", ".join(f"#{prefix}_{w} {part}" for w in wires) + f" {{ {rule} }}"
              for part, rule in LIT_WIRE if wires]
    return "<style>" + "\n".join(rules) + "</style>"


# The page's few lines of script: stops are the list items with a data-node, in
# order (the forward pass, then the backward steps); a stop lights its list
# item, its box n<i> and its wires w<k> (the numbers and both strokes).
SCRIPT = """<script>
(function () {
  var P = "@ID", root = document.getElementById(P), at = -1;
  var stops = root.querySelectorAll("li[data-node]");
  var bar = root.querySelector(".bp-controls"), counter = root.querySelector(".bp-counter");
  var now = root.querySelector(".bp-now"), prev = root.querySelector(".bp-prev"), next = root.querySelector(".bp-next");
  function light(id, on) { var e = document.getElementById(P + "_" + id); if (e) e.classList.toggle("bp-on", on); }
  function mark(k, on) {
    if (k < 0) return;
    var s = stops[k];
    s.classList.toggle("bp-on", on);
    light("n" + s.dataset.node, on);
    s.dataset.wires.split(" ").forEach(function (w) {
      if (w) { light("w" + w, on); light("w" + w + "_in", on); light("w" + w + "_out", on); }
    });
  }
  function go(k) {
    k = Math.max(-1, Math.min(stops.length - 1, k));
    mark(at, false); at = k; mark(at, true);
    prev.disabled = at < 0; next.disabled = at == stops.length - 1;
    if (at < 0) { counter.textContent = ""; now.textContent = now.dataset.start; return; }
    counter.textContent = counter.dataset.template.replace("{phase}", stops[at].parentNode.dataset.phase)
      .replace("{k}", at + 1).replace("{n}", stops.length);
    now.innerHTML = stops[at].innerHTML;
  }
  prev.addEventListener("click", function () { go(at - 1); });
  next.addEventListener("click", function () { go(at + 1); });
  @KEYS.addEventListener("keydown", function (e) {
    if (e.key == "ArrowRight") { go(at + 1); e.preventDefault(); }
    else if (e.key == "ArrowLeft") { go(at - 1); e.preventDefault(); }
  });
  bar.hidden = false;
  go(-1);
})();
</script>"""


def script(prefix: str, keys: str) -> str:
    return SCRIPT.replace("@ID", prefix).replace("@KEYS", "document" if keys == "document" else "root")
