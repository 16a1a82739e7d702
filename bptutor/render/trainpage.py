"""`bptutor train --format html`: the training run as one self-contained page:
the run's settings, the first update's derivation as --format html shows it
(the picture, prev/next), the updates as the notes write them, the loss per
epoch as a table and as a curve (inline SVG drawn here: no plotting library,
no external file), the trained parameters and the predictions. The words are
render/trainlog.py's."""
from __future__ import annotations

import math
from html import escape

from ..i18n import t
from . import html
from .numbers import num, short
from .trainlog import (MAX_PARAM_COLUMNS, brief, header_lines, one_step_summary, param_cell, param_header,
                       result_lines, shown_epochs, step_sentence, update_formula, update_lines, update_rule)

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 20, 45      # room for the axes' numbers and names


def render(log, first, lang: str = "en", digits: int = 4, show_all: bool = False, layout=None) -> str:
    out = log.output
    title, settings = header_lines(log, lang, digits)
    parts = [f"<header>\n<h2>{escape(title)}</h2>\n<p>{_lines(settings)}</p>\n</header>"]
    if log.history:
        parts.append(curve_section(log, lang, digits))
    by_epoch: dict[int, list] = {}
    for u in log.updates:
        by_epoch.setdefault(u.epoch, []).append(u)
    for epoch, updates in by_epoch.items():
        items = "".join(f"<li>{escape(step_sentence(u, out, lang, digits))}<ul>"
                        + "".join(f"<li><code>{escape(line)}</code></li>" for line in update_lines(u, out, digits, False))
                        + "</ul></li>" for u in updates)
        parts.append(f"<section>\n<h3>{escape(t('train.steps_title', lang, epoch=epoch, lr=short(updates[0].lr)))}"
                     f"</h3>\n<ol>{items}</ol>\n</section>")
    if log.history:
        parts.append(history_section(log, lang, digits, show_all))
    parts.append("".join(f"<p><b>{escape(line)}</b></p>" for line in result_lines(log, lang, digits)))
    body = "\n".join(parts)
    if log.updates and first is not None:          # the first update's derivation, steppable, before the rest
        u = log.updates[0]
        update = (f"<section>\n<h3>{escape(t('train.update_title', lang, rule=update_rule(u, out)))}</h3>\n<ul>"
                  + "".join(f"<li><code>{escape(line)}</code></li>" for line in update_lines(u, out, digits))
                  + "</ul>\n</section>")
        heading = escape(t("train.first_title", lang, epoch=u.epoch, sample=u.samples[0] + 1))
        return html.page(html.fragment(first, lang, digits, layout, keys="document",
                                       before=f'<div class="bp-run">\n{parts[0]}\n<h2>{heading}</h2>\n</div>',
                                       extra=update + "\n" + "\n".join(parts[1:])),
                         lang, "bptutor train: " + log.source.strip()[:80])
    return html.page(f'<div class="bptutor" id="bp">\n{html.style("bp")}\n{body}\n</div>\n', lang,
                     "bptutor train: " + log.source.strip()[:80])


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in text.split("\n"))


def history_section(log, lang: str, digits: int, show_all: bool) -> str:
    params = list(log.params)[:MAX_PARAM_COLUMNS]
    heads = [t(f"train.col_{k}", lang) for k in ("epoch", "lr", "loss", "mean_loss")]
    heads += [param_header(p, log.params[p]) for p in params]
    rows = []
    for k in shown_epochs(len(log.history), show_all):
        e = log.history[k]
        cells = [str(e.epoch), num(e.lr, digits), num(e.loss, digits), num(e.mean_loss, digits)]
        cells += [param_cell(e.params[p], digits) for p in params]
        rows.append("<tr>" + "".join(f'<td class="bp-num">{escape(c)}</td>' for c in cells) + "</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    return (f"<section>\n<h3>{escape(t('train.history_title', lang))}</h3>\n<table>\n<thead><tr>{head}</tr></thead>\n"
            "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n</section>")


def curve_section(log, lang: str, digits: int) -> str:
    epochs = [e.epoch for e in log.history]
    means, losses = [e.mean_loss for e in log.history], [e.loss for e in log.history]
    svg, log_scale = curve_svg(epochs, means, losses, lang, digits)
    key = "train.curve_title_log" if log_scale else "train.curve_title"
    return f'<section class="bp-curve">\n<h3>{escape(t(key, lang))}</h3>\n<figure>\n{svg}\n</figure>\n</section>'


def curve_svg(epochs: list, means: list, losses: list, lang: str, digits: int) -> tuple[str, bool]:
    """The mean loss per epoch (green) and the loss at each epoch's last step
    (red, dashed) as an SVG chart; a log scale when they span more than two decades."""
    values = means + losses
    finite = [v for v in values if math.isfinite(v)]
    log_scale = bool(finite) and min(finite) > 0 and max(finite) > 100 * min(finite)
    scale = math.log10 if log_scale else (lambda v: v)
    ys = [scale(v) for v in finite] or [0.0]
    low, high = min(ys), max(ys)
    span = (high - low) or 1.0
    first, last = epochs[0], epochs[-1]
    wide = (last - first) or 1

    def point(e, v):
        x = LEFT + (e - first) / wide * (WIDTH - LEFT - RIGHT)
        y = TOP + (high - scale(v)) / span * (HEIGHT - TOP - BOTTOM)
        return f"{x:.1f},{y:.1f}"

    def line(series, colour, extra=' stroke-width="2"'):
        points = " ".join(point(e, v) for e, v in zip(epochs, series) if math.isfinite(v))
        return f'<polyline fill="none" stroke="{colour}"{extra} points="{points}"/>'

    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    top_label, low_label = brief(10 ** high if log_scale else high, digits), brief(10 ** low if log_scale else low, digits)
    names = [t("train.col_mean_loss", lang), t("train.col_loss", lang), t("train.col_epoch", lang)]
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{escape(names[0])}" font-family="sans-serif" font-size="12">',
             f'<rect x="{LEFT}" y="{TOP}" width="{right - LEFT}" height="{bottom - TOP}" fill="none" stroke="#bbb"/>',
             line(means, html.GREEN), line(losses, html.RED, ' stroke-dasharray="5 4" stroke-width="1"'),
             f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{escape(top_label)}</text>',
             f'<text x="{LEFT - 6}" y="{bottom}" text-anchor="end">{escape(low_label)}</text>',
             f'<text x="{LEFT}" y="{bottom + 16}" text-anchor="middle">{first}</text>',
             f'<text x="{right}" y="{bottom + 16}" text-anchor="middle">{last}</text>',
             f'<text x="{(LEFT + right) / 2:.0f}" y="{bottom + 34}" text-anchor="middle">{escape(names[2])}</text>',
             f'<text x="{right - 4}" y="{TOP + 16}" text-anchor="end" fill="{html.GREEN}">— {escape(names[0])}</text>',
             f'<text x="{right - 4}" y="{TOP + 32}" text-anchor="end" fill="{html.RED}">- - {escape(names[1])}</text>',
             "</svg>"]
    return "\n".join(parts), log_scale


def one_step(step, lang: str = "en", digits: int = 4) -> str:
    """bptutor EXPR --vals ... --lr η --format html: the update of every input and
    f before and after, as a section of the derivation's page."""
    out = step.output
    items = "".join(f"<li><code>{escape(update_formula(n, step.before[n], step.grads[n], step.after[n], step.lr, 0.0, 1, digits, out))}</code></li>"
                    for n in step.before)
    return (f'<section class="bp-update">\n<h3>{escape(t("train.one_step_title", lang, lr=short(step.lr), f=out))}</h3>\n'
            f"<ul>{items}</ul>\n<p>{escape(one_step_summary(step, lang, digits))}</p>\n</section>")
