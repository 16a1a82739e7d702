"""--step and :step in a terminal: one stop of the walk (render/walk.py) at a
time. The picture is graphtext's tree at that stop (the numbers known so far,
the stop's box highlighted and marked ◀); beneath it, which pass and step it
is, the step's sentence as the narration words it, and the keys."""
from __future__ import annotations

from rich.console import Group
from rich.text import Text

from ..core.records import Derivation
from ..i18n import t
from . import graphtext
from .plain import PlainText
from .terminal import Wrapped, check_section
from .walk import Walk
from .words import Words


class StepView:
    def __init__(self, d: Derivation, lang: str = "en", digits: int = 4):
        self.d, self.lang, self.digits = d, lang, digits
        self.walk = Walk(d, digits)
        self.words = Words(d)
        self.printer = PlainText(lang, digits, True)
        self.count = len(self.walk.stops)
        self.pass_words = None                  # forward mode's (or a Jacobian's) pass, as the text words it
        if self.walk.pass_ is not None:
            p = self.walk.pass_
            self.pass_words = (self.printer.sentence(self.words.pass_title(p)),
                               [self.printer.sentence(s) for s in self.words.pass_steps(p)])

    def picture(self, k: int):
        """The tree at stop k (-1: before the first stop, the inputs only)."""
        return graphtext.render(self.d, stage=self.walk.stage(k), pic=self.walk.picture)

    def caption(self, k: int) -> Group:
        """Which pass and step stop k is, its sentence, the keys."""
        keys = Text(t("render.step_keys", self.lang), style="dim")
        if k < 0:
            return Group(Text(t("render.step_start", self.lang), style="bold"), keys)
        stop = self.walk.stops[k]
        if stop.phase == "forward":
            node = self.d.graph.nodes[stop.node]
            phase = t("render.forward_title", self.lang)
            sentence = f"{node.label} = {self.printer.n(self.d.node_values[stop.node])}"
        elif self.pass_words is not None:
            phase, sentence = self.pass_words[0], self.pass_words[1][stop.step]
        else:
            phase = t("render.backward_title", self.lang)
            sentence = self.printer.sentence(self.words.step(self.walk.steps[stop.step]))
        counter = Text(t("render.step_counter", self.lang, phase=phase, k=k + 1, n=self.count), style="bold")
        parts = [counter, Wrapped(Text(sentence))]     # wrapped as the narration is: no = alone on a line
        if k == self.count - 1:
            parts.append(Text(t("render.step_end", self.lang), style="yellow"))
        return Group(*parts, keys)

    def ending(self) -> Group:
        """After the last step: the numeric check, and the warnings."""
        warnings = [Text("! " + self.printer.sentence(w), style="yellow") for w in self.words.warnings()]
        return Group(check_section(self.d, self.lang, self.digits), *warnings)
