"""A training run for people: the header, the first update's derivation and
each narrated update written out as seed 001 and seed 003 write it
(w ← 1 - 0.01 × (-2) = 1.02), the loss per epoch, a loss curve drawn with
block characters, the trained parameters and the predictions; and the one
step after a plain derivation (--lr). Rich renderables for the terminal,
Markdown (and LaTeX for the one step) for notes. Format only: reads a TrainLog
or a OneStep (tutor.train) and the Derivation at the first update, computes
nothing new.

The printers of render.FORMATS:
    train   render(log, first, lang, digits, show_all), markdown(...)
    update  render_one_step(step, lang, digits), one_step_markdown(...), one_step_latex(...)"""
from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..i18n import t
from .numbers import num, paren, short

MAX_ROWS = 20               # epochs in the table before it is summarised
MAX_PARAM_COLUMNS = 4       # parameters shown as table columns (the JSON has all)
CURVE_HEIGHT = 8
CURVE_WIDTH = 60
BLOCKS = " ▁▂▃▄▅▆▇█"


# ---- words ----------------------------------------------------------------------
def brief(x, digits: int) -> str:
    """num() at --digits without trailing zeros, as the notes write updates
    (1.02, -7.84): the same value as shown, fewer characters. Arrays as num()."""
    text = num(x, digits)
    if type(x) is not float or "e" in text or "." not in text:
        return text
    return text.rstrip("0").rstrip(".")


def items_text(values: dict, digits: int, given: bool = False) -> str:
    """name = value, ...: values the user gave as typed (1, 0.5), computed ones at --digits."""
    return ", ".join(f"{k} = {short(v) if given and type(v) is float else brief(v, digits)}"
                     for k, v in values.items())


def grad_name(out: str, name: str, batch: int) -> str:
    """∂loss/∂w, or Σ∂loss/∂w summed over a minibatch."""
    return ("Σ" if batch > 1 else "") + f"∂{out}/∂{name}"


def update_formula(name: str, before, grad, after, lr: float, weight_decay: float, batch: int,
                   digits: int, out: str, full: bool = True) -> str:
    """Seed 003's update with its numbers: w ← (1 - η·λ/|B|) × w - η/|B| × Σ∂ℓ/∂w = ...
    (the factors that are 1 left out). An array is written by name, then its
    new value (`full`) or how its norm changed."""
    rate = short(lr) if batch == 1 else f"{short(lr)} / {batch}"
    decay = ""
    if weight_decay:
        decay = f"(1 - {short(lr)} × {short(weight_decay)}{'' if batch == 1 else f' / {batch}'}) × "
    if type(before) is not float:
        formula = f"{name} ← {decay}{name} - {rate} × {grad_name(out, name, batch)}"
        if full:
            return f"{formula} = {brief(after, digits)}"
        return f"{formula}: ‖{name}‖ {brief(_norm(before), digits)} → {brief(_norm(after), digits)}"
    b, g, a = brief(before, digits), brief(grad, digits), brief(after, digits)
    shown = (1 - lr * weight_decay / batch) * float(b) - lr / batch * float(g)
    sign = "=" if brief(shown, digits) == a else "≈"
    return f"{name} ← {decay}{paren(b) if decay else b} - {rate} × {paren(g)} {sign} {a}"


def _norm(x) -> float:
    import numpy as np
    return float(np.linalg.norm(x))


def update_rule(u, out: str) -> str:
    """The update of the step `u` in letters, for its first parameter: w ← w - η·∂loss/∂w,
    with seed 003's (1 - ηλ/|B|) and the sum over the batch when they apply."""
    name, batch = next(iter(u.before)), len(u.samples)
    decay = f"(1 - ηλ{'/|B|' if batch > 1 else ''})·" if u.weight_decay else ""
    rate = "η/|B|" if batch > 1 else "η"
    return f"{name} ← {decay}{name} - {rate}·{grad_name(out, name, batch)}"


def update_lines(u, out: str, digits: int, full: bool = True) -> list[str]:
    return [update_formula(p, u.before[p], u.grads[p], u.after[p], u.lr, u.weight_decay, len(u.samples),
                           digits, out, full) for p in u.before]


def step_sentence(u, out: str, lang: str, digits: int) -> str:
    """What seed 001's loop prints per sample (grad: x y w.grad), with the loss;
    an array gradient by its norm."""
    batch = len(u.samples)
    grads = ", ".join(f"{grad_name(out, p, batch)} = {brief(g, digits)}" if type(g) is float else
                      f"‖{grad_name(out, p, batch)}‖ = {brief(_norm(g), digits)}" for p, g in u.grads.items())
    if batch == 1:
        return t("train.sample_line", lang, sample=u.samples[0] + 1, data=items_text(u.inputs, digits, given=True),
                 f=out, loss=brief(u.loss, digits), grads=grads)
    return t("train.batch_line", lang, step=u.step + 1, samples=_rows_text(u.samples), size=batch, f=out,
             loss=brief(u.loss, digits), grads=grads)


def _rows_text(rows) -> str:
    rows = [r + 1 for r in rows]
    if rows == list(range(rows[0], rows[0] + len(rows))):
        return f"{rows[0]}–{rows[-1]}"
    return ", ".join(map(str, rows[:6])) + (", …" if len(rows) > 6 else "")


def settings_text(log, lang: str) -> str:
    s = log.settings
    batch = s["batch"]
    if batch == 1:
        how = t("train.batch_sgd", lang)
    elif batch >= log.samples:
        how = t("train.batch_full", lang, size=batch)
    else:
        how = t("train.batch_mini", lang, size=batch)
    schedule = t(f"train.schedule_{s['schedule']}", lang, gamma=short(s["gamma"]), step_size=s["step_size"])
    text = t("train.settings", lang, lr=short(s["lr"]), schedule=schedule, epochs=s["epochs"], batch=how)
    more = []
    if s["weight_decay"]:
        more.append(t("train.weight_decay", lang, wd=short(s["weight_decay"])))
    if s["shuffle"]:
        more.append(t("train.shuffled", lang, seed=s["seed"]))
    return "\n".join([text, *more])


def header_lines(log, lang: str, digits: int) -> list[str]:
    return [t("train.header", lang, f=log.output, n=log.samples, columns=", ".join(log.data_names),
              params=items_text(log.initial, digits, given=True)), settings_text(log, lang)]


def result_lines(log, lang: str, digits: int) -> list[str]:
    lines = [t("train.result", lang, epochs=len(log.history), params=items_text(log.params, digits))]
    for p in log.predictions:
        lines.append(t("train.prediction", lang, inputs=items_text(p.inputs, digits, given=True), node=p.node,
                       value=brief(p.value, digits), before=brief(p.before, digits)))
    return lines


def shown_epochs(count: int, show_all: bool) -> list[int]:
    """Epoch indices for the table: all of a short run, else the first five,
    then every k-th (k a round number: 10, 20, 50, ...) and the last."""
    if show_all or count <= MAX_ROWS:
        return list(range(count))
    every = 1
    while count / every > MAX_ROWS - 6:
        every *= 5 if str(every)[0] == "2" else 2        # 1, 2, 5, 10, 20, 50, ...
    return sorted({*range(5), *range(0, count, every), count - 1})


def param_cell(v, digits: int) -> str:
    """A scalar parameter, or an array's norm (table cells keep their decimals aligned)."""
    if type(v) is float:
        return num(v, digits)
    return num(_norm(v), digits)


def param_header(name: str, v) -> str:
    return name if type(v) is float else f"‖{name}‖"


# ---- terminal ---------------------------------------------------------------------
def render(log, first, lang: str = "en", digits: int = 4, show_all: bool = False) -> Group:
    """The whole run: the header; the first update in full (`first`: the
    Derivation at its sample, with the starting parameters), then the steps of
    the explained epochs; the loss table and curve; the result."""
    parts = [render_header(log, lang, digits)]
    if log.updates and first is not None:
        from .terminal import render as render_derivation
        u = log.updates[0]
        parts += [Text(""), Text(t("train.first_title", lang, epoch=u.epoch, sample=u.samples[0] + 1),
                                 style="bold reverse"), Text(""),
                  render_derivation(first, lang, digits, show_all), Text(""),
                  render_update(u, log.output, lang, digits), Text(""), render_steps(log, lang, digits)]
    if log.history:
        parts += [Text(""), render_history(log, lang, digits, show_all), Text(""), render_curve(log, lang, digits)]
    parts += [Text(""), render_result(log, lang, digits)]
    return Group(*parts)


def render_header(log, lang: str, digits: int) -> Text:
    first, second = header_lines(log, lang, digits)
    text = Text(first, style="bold")
    text.append("\n" + second)
    return text


def render_update(u, out: str, lang: str, digits: int) -> Group:
    """The update after the narrated derivation: its title and one line per parameter."""
    title = Text(t("train.update_title", lang, rule=update_rule(u, out)), style="bold")
    return Group(title, *(Text("  " + line, style="cyan") for line in update_lines(u, out, digits)))


def render_steps(log, lang: str, digits: int) -> Group:
    """Every explained epoch, step by step: the sample, its gradient, the update."""
    out = log.output
    parts = []
    by_epoch: dict[int, list] = {}
    for u in log.updates:
        by_epoch.setdefault(u.epoch, []).append(u)
    steps_per_epoch = -(-log.samples // log.settings["batch"])
    for epoch, updates in by_epoch.items():
        if parts:
            parts.append(Text(""))
        parts.append(Text(t("train.steps_title", lang, epoch=epoch, lr=short(updates[0].lr)), style="bold"))
        for u in updates:
            parts.append(Text(step_sentence(u, out, lang, digits)))
            parts.extend(Text("    " + line, style="cyan") for line in update_lines(u, out, digits, full=False))
        done = len(updates) if epoch < len(log.history) or log.error is None else steps_per_epoch
        if done < steps_per_epoch:
            parts.append(Text(t("train.steps_hidden", lang, count=steps_per_epoch - done), style="dim"))
    return Group(*parts)


def render_history(log, lang: str, digits: int, show_all: bool = False) -> Group:
    history = log.history
    title = Text(t("train.history_title", lang), style="bold")
    table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
    for key in ("epoch", "lr", "loss", "mean_loss"):
        table.add_column(Text(t(f"train.col_{key}", lang)), justify="right", header_style="bold")
    params = list(log.params)[:MAX_PARAM_COLUMNS]
    for p in params:
        table.add_column(Text(param_header(p, log.params[p])), justify="right", header_style="bold")
    rows = shown_epochs(len(history), show_all)
    for k in rows:
        e = history[k]
        table.add_row(Text(str(e.epoch)), Text(num(e.lr, digits)), Text(num(e.loss, digits)),
                      Text(num(e.mean_loss, digits)), *(Text(param_cell(e.params[p], digits)) for p in params))
    if len(rows) == len(history):
        return Group(title, table)
    return Group(title, table, Text(t("train.rows_hidden", lang, count=len(history) - len(rows)), style="dim"))


def curve_rows(losses: list, width: int = CURVE_WIDTH, height: int = CURVE_HEIGHT) -> tuple[list[str], bool]:
    """The losses as columns of block characters, one column per group of
    epochs (their mean), `height` rows; a log scale when they span more than
    two decades. -> (rows top to bottom, log scale?)."""
    count = len(losses)
    cols = min(width, count)
    means = []
    for c in range(cols):
        group = losses[c * count // cols:(c + 1) * count // cols]
        means.append(sum(group) / len(group))
    positive = all(v > 0 for v in means)
    log_scale = positive and max(means) > 100 * min(means)
    ys = [math.log10(v) for v in means] if log_scale else means
    low, high = min(ys), max(ys)
    span = (high - low) or 1.0
    levels = [1 + round((y - low) / span * (height * 8 - 1)) for y in ys]     # eighths of a row; the lowest shows
    rows = []
    for r in range(height - 1, -1, -1):
        rows.append("".join(BLOCKS[max(0, min(8, lvl - r * 8))] for lvl in levels))
    return rows, log_scale


def render_curve(log, lang: str, digits: int) -> Group:
    losses = [e.mean_loss for e in log.history]
    rows, log_scale = curve_rows(losses)
    top = max(losses)
    bottom = min(losses)
    labels = [brief(top, 2 if top >= 1 else digits), brief(bottom, 2 if abs(bottom) >= 1 else digits)]
    pad = max(len(x) for x in labels)
    text = Text()
    for k, row in enumerate(rows):
        label = labels[0] if k == 0 else labels[1] if k == len(rows) - 1 else ""
        text.append(label.rjust(pad) + " ┤", style="dim")
        text.append(row, style="green")
        text.append("\n")
    last = str(log.history[-1].epoch)
    axis = "0".ljust(max(len(rows[0]) - len(last), 1)) + last
    text.append(" " * pad + "  " + axis, style="dim")
    key = "train.curve_title_log" if log_scale else "train.curve_title"
    return Group(Text(t(key, lang), style="bold"), text)


def render_result(log, lang: str, digits: int) -> Text:
    lines = result_lines(log, lang, digits)
    text = Text(lines[0], style="bold green")
    for line in lines[1:]:
        text.append("\n" + line)
    return text


# ---- Markdown ---------------------------------------------------------------------
def markdown(log, first, lang: str = "en", digits: int = 4, show_all: bool = False) -> str:
    """--format md: the run as notes, the first update's derivation under the run's headings."""
    out = log.output
    title, settings = header_lines(log, lang, digits)
    parts = [f"## {_md(title)}", _md(settings)]
    if log.updates and first is not None:
        from .markdown import render as derivation_markdown
        u = log.updates[0]
        parts.append(f"### {t('train.first_title', lang, epoch=u.epoch, sample=u.samples[0] + 1)}")
        parts.append(_demote(derivation_markdown(first, lang, digits).rstrip("\n")))
        parts.append(f"**{_md(t('train.update_title', lang, rule=update_rule(u, out)))}**\n\n"
                     + "\n".join(f"- `{line}`" for line in update_lines(u, out, digits)))
    by_epoch: dict[int, list] = {}
    for u in log.updates:
        by_epoch.setdefault(u.epoch, []).append(u)
    for epoch, updates in by_epoch.items():
        lines = [f"### {t('train.steps_title', lang, epoch=epoch, lr=short(updates[0].lr))}", ""]
        for k, u in enumerate(updates, 1):
            lines.append(f"{k}. {_md(step_sentence(u, out, lang, digits))}")
            lines.extend(f"   - `{line}`" for line in update_lines(u, out, digits, full=False))
        parts.append("\n".join(lines))
    if log.history:
        params = list(log.params)[:MAX_PARAM_COLUMNS]
        heads = [t(f"train.col_{k}", lang) for k in ("epoch", "lr", "loss", "mean_loss")]
        heads += [param_header(p, log.params[p]) for p in params]
        lines = [f"### {t('train.history_title', lang)}", "", "| " + " | ".join(heads) + " |",
                 "|" + "--:|" * len(heads)]
        for k in shown_epochs(len(log.history), show_all):
            e = log.history[k]
            cells = [str(e.epoch), num(e.lr, digits), num(e.loss, digits), num(e.mean_loss, digits)]
            cells += [param_cell(e.params[p], digits) for p in params]
            lines.append("| " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    parts.append("\n\n".join(_md(line) for line in result_lines(log, lang, digits)))
    return "\n\n".join(parts) + "\n"


def _demote(md: str) -> str:
    """The derivation's headings one level under the run's (## and ### -> ####), code blocks untouched."""
    lines, fenced = [], False
    for line in md.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith(("## ", "### ")):
            line = "#### " + line.split(" ", 1)[1]
        lines.append(line)
    return "\n".join(lines)


def _md(text: str) -> str:
    """Plain text in Markdown: characters that would start emphasis escaped."""
    return text.replace("\\", "\\\\").replace("*", r"\*").replace("_", r"\_")


# ---- one step after a plain derivation (--lr) -----------------------------------------
def render_one_step(step, lang: str = "en", digits: int = 4) -> Group:
    """bptutor EXPR --vals ... --lr η: the update of every input, then f before and after."""
    out = step.output
    lines = [Text(t("train.one_step_title", lang, lr=short(step.lr), f=out), style="bold")]
    for name in step.before:
        lines.append(Text("  " + update_formula(name, step.before[name], step.grads[name], step.after[name],
                                                step.lr, 0.0, 1, digits, out), style="cyan"))
    lines.append(Text(one_step_summary(step, lang, digits)))
    return Group(*lines)


def one_step_summary(step, lang: str, digits: int) -> str:
    return t("train.one_step_value", lang, f=step.output, before=brief(step.value_before, digits),
             after=brief(step.value_after, digits), change=brief(step.value_after - step.value_before, digits),
             predicted=brief(-step.first_order, digits))


def one_step_markdown(step, lang: str = "en", digits: int = 4) -> str:
    out = step.output
    lines = [f"### {t('train.one_step_title', lang, lr=short(step.lr), f=out)}", ""]
    lines += [f"- `{update_formula(n, step.before[n], step.grads[n], step.after[n], step.lr, 0.0, 1, digits, out)}`"
              for n in step.before]
    return "\n".join(lines + ["", _md(one_step_summary(step, lang, digits))]) + "\n"


def one_step_latex(step, lang: str = "en", digits: int = 4) -> str:
    """The same in LaTeX: x ← x − η·∂f/∂x with its numbers, one align row per
    input, then f before and after (math only: no Unicode arrows in text mode)."""
    from .numbers import tex_escape, tex_name, tex_num, tex_sci
    f = tex_name(step.output)
    rows = []
    for name in step.before:
        x = tex_name(name)
        grad = tex_num(step.grads[name], digits)
        grad = f"\\left({grad}\\right)" if grad.startswith("-") else grad
        rows.append(f"{x} &\\leftarrow {x} - \\eta\\,\\frac{{\\partial {f}}}{{\\partial {x}}} = "
                    f"{tex_num(step.before[name], digits)} - {tex_sci(short(step.lr))} \\times {grad} = "
                    f"{tex_num(step.after[name], digits)}")
    rows.append(f"{f} &: {tex_num(step.value_before, digits)} \\to {tex_num(step.value_after, digits)}, \\quad "
                f"\\Delta {f} = {tex_num(step.value_after - step.value_before, digits)} \\approx "
                f"-\\eta\\,\\lVert\\nabla {f}\\rVert^2 = {tex_num(-step.first_order, digits)}")
    title = tex_escape(t("train.one_step_heading", lang, lr=short(step.lr)))
    return f"\\subsubsection*{{{title}}}\n\\begin{{align*}}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"
