"""Frozen result records: data only, JSON-able. Renderers read these and the
graph; they never run the engine. (collections.namedtuple and plain classes,
not typing.NamedTuple and dataclasses: importing those two costs a plain run
more than the derivation itself.)"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from functools import cached_property
from itertools import chain, compress, repeat
from operator import is_not, itemgetter, mul

from .graph import Graph, needed_for
from .steps import Step, Told, build_steps, tell


MODES = ("reverse", "forward", "both")     # Derivation.mode: the passes narrated


def plain(x):
    """A value as JSON: floats stay floats, arrays become nested lists."""
    if type(x) is float:                # the common case first: this runs per step
        return x
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, float)):
        return float(x)
    if hasattr(x, "tolist"):
        if x.dtype.kind == "f" and x.size and x.ndim and (x != x).any():    # NaN: an entry not checked
            import numpy as np
            return np.where(x != x, None, x.astype(object)).tolist()
        return x.tolist()
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return x


class Edge(namedtuple("Edge", "node k target local upstream contribution")):
    """One edge of the backward pass: node's k-th input is target;
    local × upstream = contribution (local is None for a tensor op's VJP).
    Tape.edges holds plain tuples in this shape (cheaper to build than named
    ones); unpack them, or read them as Edge(*t)."""
    __slots__ = ()


class Tape:
    """What engine.backward recorded: ∂f/∂node per node (`grads`, None where no
    path leads to the output), the nodes evaluated at a kink (`kinks`), and the
    edges in the order backward visited them (`edges`, Edge-shaped tuples).

    Backward keeps only each edge's local gradient (and, with arrays, its
    contribution): the rest of an edge follows from the graph and the
    gradients (upstream is the node's gradient, final when backward reaches
    it; a scalar contribution is local × upstream, the same product again), so
    the tuples are built when `edges` is first read. Tape(grads, edges, kinks)
    also takes the tuples ready-made."""
    __slots__ = ("grads", "kinks", "_edges", "_graph", "_locals", "_contributions", "_needed")

    def __init__(self, grads: list, edges: list | None, kinks: list, *, graph: Graph | None = None,
                 locals: list | None = None, contributions: list | None = None,    # noqa: A002
                 needed: list | None = None):
        self.grads = grads
        self.kinks = kinks
        self._edges = edges
        self._graph = graph                 # with locals: what the edges are rebuilt from
        self._locals = locals
        self._contributions = contributions     # arrays: a tensor row's contribution is no product
        self._needed = needed               # arrays: the nodes backward followed (see --wrt)

    @property
    def edges(self) -> list:
        if self._edges is None:
            self._edges = list(zip(*self.columns()))
        return self._edges

    @property
    def edge_count(self) -> int:
        """How many edges backward recorded, without building them (one local each)."""
        return len(self._edges if self._edges is not None else self._locals)

    def columns(self) -> tuple[list, list, list, list, list, list]:
        """The edges as six lists (node, k, target, local, upstream,
        contribution), in `edges`' order, without keeping them: built by
        C-level iterators, no tuple per edge (10^5 edges to JSON read them so).
        Backward visits the nodes from the output down, each node's inputs in
        order; a node's upstream is its gradient, final when backward reaches it."""
        if self._edges is not None:
            return tuple(map(list, zip(*self._edges))) if self._edges else ([], [], [], [], [], [])
        rows, grads, needed = self._graph.rows, self.grads, self._needed
        out = self._graph.output
        reached = list(compress(range(out, -1, -1), map(is_not, reversed(grads[:out + 1]), repeat(None))))
        args = list(map(itemgetter(1), map(rows.__getitem__, reached)))
        arity = list(map(len, args))
        nodes = list(chain.from_iterable(map(mul, zip(reached), arity)))        # (i,) * arity
        ks = [tuple(range(n)) for n in range(max(arity, default=0) + 1)]
        ks = list(chain.from_iterable(map(ks.__getitem__, arity)))
        targets = list(chain.from_iterable(args))
        if needed is not None:                  # arrays: only the edges into nodes leading to an input asked for
            keep = list(map(needed.__getitem__, targets))
            nodes, ks, targets = (list(compress(column, keep)) for column in (nodes, ks, targets))
        upstreams = list(map(grads.__getitem__, nodes))
        locals_ = self._locals
        contributions = (list(map(mul, locals_, upstreams)) if self._contributions is None
                         else self._contributions)
        return nodes, ks, targets, locals_, upstreams, contributions


class Pass(namedtuple("Pass", "direction about values steps kinks runs multiply_adds matrix",
                      defaults=(False,))):
    """One derivative pass as the narration tells it (core/modes.py builds it).
    forward: the tangents ∂node/∂x of every node for the input node `about`
        (MML eq. 5.121), left to right;
    reverse: ∂y/∂node of every node for the output node `about`, right to left.
    With arrays the pass stacks the engine's runs, one per entry of x (forward)
    or of y (reverse): `values[i]` then has the shape node + x (forward) or
    y + node (reverse), the layout of a Jacobian, and each edge step's `local`
    is the local Jacobian as a matrix (rows: the node's entries; None when too
    big to show). values[i] is None where the pass does not reach.
    direction       forward | reverse
    about           the seeded node: an input (forward), an output (reverse)
    steps           core.steps.Step
    kinks           nodes met at a non-differentiable point
    runs            engine passes: one per entry of the seed
    multiply_adds   what those runs multiplied and added, counted by the engine's edges
    matrix          array values: stacked runs, local Jacobians as matrices"""
    __slots__ = ()


class Cost(namedtuple("Cost", "passes multiply_adds")):
    """What one mode cost on this graph: engine passes and multiply-adds (one
    per entry of every local gradient × incoming gradient the passes formed)."""
    __slots__ = ()


class EntryCheck(namedtuple("EntryCheck", "output input numeric rel_error verdict checked entries entry reason",
                            defaults=(None, None))):
    """The numeric check of one block ∂output/∂input of a Jacobian (entry by
    entry, as core/check.py checks a gradient); the verdict and the numbers are
    the worst entry's. output: a node index; numeric: like the block, NaN where
    an entry was not checked; verdict ok | fail | kink | skipped; checked:
    entries checked (a sample when the block is large) of `entries`; entry: the
    worst entry (output index + input index); reason: why not checkable, or the kink."""
    __slots__ = ()


class Jacobian(namedtuple("Jacobian", "outputs inputs blocks by_reverse agree checks sampled",
                          defaults=((), False))):
    """∂outputs/∂inputs, numerator layout: a block per (output, input) shaped
    output shape + input shape (rows are outputs, columns inputs; a gradient
    is the transpose of its 1×n row). Built column by column by the forward
    passes and row by row by the reverse passes; `agree` is the largest
    difference between the two. outputs: node indices; inputs: names; blocks:
    (output, input) -> block; by_reverse: the same from the reverse passes (or
    backward's gradients); checks: EntryCheck per block; sampled: some block
    was checked on a sample of its entries."""
    __slots__ = ()


class Check(namedtuple("Check", "name value analytic numeric rel_error verdict h error band kink reason entry "
                                 "entries", defaults=(None, None, None, None, None, None, (1, 1)))):
    """Central-difference check of one input's gradient, and how it was judged
    (core/difference.py). For an array input the numbers describe the entry
    that decided the verdict (the worst one), `entry`.
    numeric     None when f is undefined at x±h
    verdict     ok | fail | kink (crossed at every step) | skipped (not checkable here)
    h           the step the numeric value came from
    error       its estimated error (truncation + round-off)
    band        CS231n's reading of rel_error: fine | suspicious | wrong
    kink        the kinked node the step crossed (verdict kink)
    reason      why not checkable: undefined | resolution | roundoff | curvature | unstable
    entry       arrays: the entry the numbers describe
    entries     (entries checked, entries in all): a sample when fewer"""
    __slots__ = ()

    @property
    def allowed(self) -> float | None:
        """The relative error the verdict allowed: SAFETY × the estimate, at least
        CS231n's 1e-7; None when the gradient and its numeric value are both
        within the estimate of 0 (no relative error means anything there)."""
        from .difference import FINE, SAFETY
        if self.error is None or self.numeric is None:
            return None
        scale = max(abs(_at(self.analytic, self.entry)), abs(_at(self.numeric, self.entry)))
        bound = SAFETY * self.error
        if scale <= bound:
            return None if scale else FINE
        return max(FINE, bound / scale)

    @property
    def coarse(self) -> bool:
        """The difference was less accurate than CS231n's 1e-7: the verdict allowed more."""
        from .difference import FINE
        return self.allowed is not None and self.allowed > FINE

    def to_dict(self, graph: Graph) -> dict:
        """JSON: the values, and how the verdict was judged."""
        return {"name": self.name, "value": plain(self.value), "analytic": plain(self.analytic),
                "numeric": plain(self.numeric), "rel_error": self.rel_error, "verdict": self.verdict,
                "h": self.h, "error": self.error, "allowed": self.allowed, "band": self.band,
                "kink": None if self.kink is None else graph.nodes[self.kink].label, "reason": self.reason,
                "entry": None if self.entry is None else list(self.entry),
                "entries": {"checked": self.entries[0], "total": self.entries[1]}}


def _at(x, entry):
    """Entry `entry` of an array (the number itself for a scalar)."""
    if entry is None or not hasattr(x, "shape") or not x.shape:
        return float(x)
    return float(x[entry]) if len(entry) == x.ndim else float(x)


# Rich display in Jupyter. Records import no renderer: the front end that makes
# derivations for Python users (bptutor.derive, bptutor.compile) registers the
# printers here, as DISPLAY[kind] = function(derivation, **options).
DISPLAY: dict = {}


class FrozenError(AttributeError):
    """A Derivation is never changed once built."""


class Derivation:
    """Everything a derivation found, built once (tutor/program.py): the graph,
    every node's value, the backward tape, the numeric checks and warnings.
    Answers, quizzes and grades are judged beside it, never stored in it."""

    def __init__(self, source: str, graph: Graph, values: dict, node_values: list, tape: Tape,
                 checks: tuple = (), warnings: tuple = (), eps: float | None = None, wrt: tuple = (),
                 sampled: bool = False, arrays: bool = False, mode: str = "reverse", outputs: tuple = (),
                 forward: tuple = (), reverse: tuple = (), forward_checks: tuple = (),
                 jacobian: Jacobian | None = None, cost: dict | None = None, hand: int | None = None,
                 exact: Derivation | None = None, local_jacobians: dict | None = None):
        fields = self.__dict__
        fields["source"] = source
        fields["graph"] = graph
        fields["values"] = values               # the inputs' values as used
        fields["node_values"] = node_values
        fields["tape"] = tape
        fields["checks"] = checks               # Check per input checked, in wrt order
        fields["warnings"] = warnings           # (message key, params)
        fields["eps"] = eps                     # the step forced by --eps; None: each check chose its own
        fields["wrt"] = wrt                     # inputs reported, in order
        fields["sampled"] = sampled             # the numeric check covered a sample of the inputs
        fields["arrays"] = arrays               # evaluated with numpy arrays (vectors and matrices)
        fields["mode"] = mode                   # reverse | forward | both: the passes narrated
        fields["outputs"] = outputs             # the outputs' node indices (several, or a vector: a Jacobian)
        fields["forward"] = forward             # forward mode: a Pass per input of wrt
        fields["reverse"] = reverse             # a Pass per output where `tape` cannot serve
        fields["forward_checks"] = forward_checks   # the forward tangents against the central differences
        fields["jacobian"] = jacobian
        fields["cost"] = {} if cost is None else cost   # "forward"/"reverse" -> Cost, for the modes run
        fields["hand"] = hand                   # worked as the notes do by hand: values rounded to this many decimals
        fields["exact"] = exact                 # then: the exact derivation (checks and answers are made on it)
        # arrays: (node, k) -> the local Jacobian of a tensor gate's edge (rows: the node's entries,
        # columns: the input's), where it is small or the node a number (see tutor/program.py)
        fields["local_jacobians"] = {} if local_jacobians is None else local_jacobians

    _FIELDS = ("source", "graph", "values", "node_values", "tape", "checks", "warnings", "eps", "wrt", "sampled",
               "arrays", "mode", "outputs", "forward", "reverse", "forward_checks", "jacobian", "cost", "hand",
               "exact", "local_jacobians")

    def replace(self, **changes) -> "Derivation":
        """A new Derivation with some fields changed (this one stays as it is)."""
        return Derivation(**{name: changes.get(name, self.__dict__[name]) for name in self._FIELDS})

    def __setattr__(self, name, value):
        raise FrozenError(f"a Derivation is frozen: cannot set {name}")

    def __delattr__(self, name):
        raise FrozenError(f"a Derivation is frozen: cannot delete {name}")

    @property
    def scalar(self) -> bool:
        """One number out: backward's tape, gradients and their check. Otherwise
        (a vector output, or several) the derivation is its Jacobian."""
        return self.tape is not None

    @property
    def node_grads(self) -> list:
        return self.tape.grads if self.tape is not None else [None] * len(self.graph.nodes)

    @property
    def edges(self) -> list:
        """Edge-shaped tuples (node, k, target, local, upstream, contribution)."""
        return self.tape.edges if self.tape is not None else []

    @cached_property
    def kinks(self) -> frozenset:
        """Nodes evaluated at a non-differentiable point."""
        found = set(self.tape.kinks) if self.tape is not None else set()
        for p in self.forward + self.reverse:
            found.update(p.kinks)
        return frozenset(found)

    @property
    def narrated(self) -> tuple:
        """The directions narrated, in the order told: reverse, then forward."""
        return {"reverse": ("reverse",), "forward": ("forward",), "both": ("reverse", "forward")}[self.mode]

    @property
    def value(self):
        return self.node_values[self.graph.output]

    @property
    def gradients(self) -> dict:
        return {name: self.grad(self.graph.inputs[name]) for name in self.wrt}

    def grad(self, index: int):
        """∂f/∂node; 0 where no path leads from the node to the output."""
        g = self.node_grads[index]
        return 0.0 if g is None else g

    @property
    def tangents(self) -> dict:
        """Forward mode: input name -> the output's tangent ∂f/∂input (the gradient again)."""
        out = self.graph.output
        return {self.graph.nodes[p.about].label: p.values[out] for p in self.forward}

    @property
    def numeric_gradients(self) -> dict:
        return {c.name: c.numeric for c in self.checks}

    @property
    def ok(self) -> bool:
        checks = self.checks + self.forward_checks + (self.jacobian.checks if self.jacobian else ())
        return all(c.verdict != "fail" for c in checks)

    def grad_of(self, name: str):
        """∂f/∂name for an input or a named intermediate node."""
        index = self.index_of(name)
        return None if index is None else self.grad(index)

    def index_of(self, name: str) -> int | None:
        """The node a printed name means: its label (`c` is the last binding of
        c, `c₁` the first; `w0*x0`, `+₂`, `f`)."""
        return self.names.get(name)

    @cached_property
    def names(self) -> dict[str, int]:
        """Every node's label -> its index (constants, written as their value, aside)."""
        return {node.label: i for i, node in enumerate(self.graph.nodes) if node.op.name != "const"}

    @cached_property
    def steps(self) -> list[Step]:
        """Backward's narrated steps (see core/steps.py), built when first read:
        with --wrt, only those on the paths to the inputs asked for."""
        if self.tape is None:
            return []
        return build_steps(self.graph, self.tape, wanted=self._wanted())

    def _wanted(self) -> list | None:
        """--wrt some inputs: per node, whether a path leads from it to one of them (None: to any)."""
        g = self.graph
        return needed_for(g, self.wrt) if self.wrt and len(self.wrt) < len(g.inputs) else None

    def step_dict(self, step: Step, steps: list | None = None, direction: str = "reverse",
                  about: int | None = None) -> dict:
        """One step as JSON. `steps` holds the step (backward's steps unless
        given); `about` is the pass's seeded node: the input of a forward pass,
        the output of a reverse pass from one of several outputs."""
        labels = self.graph.node_labels
        label = labels[step.node]
        value = self.node_values[step.node]
        kind = step.kind
        forward = direction == "forward"
        d = {"kind": kind, "direction": direction}
        if about is not None:
            d["wrt" if forward else "output"] = labels[about]
        d.update({"node": label, "op": self.graph.rows[step.node][0].name, "value": plain(value)})
        if kind == "edge" and forward:
            d.update({"source": labels[step.target], "input": step.k, "local": plain(step.local),
                      "incoming": plain(step.upstream), "contribution": plain(step.contribution),
                      "tangent": plain(step.total), "kink": step.kink})
        elif kind == "edge":
            d.update({"target": labels[step.target], "input": step.k, "upstream": plain(step.upstream),
                      "local": plain(step.local), "contribution": plain(step.contribution),
                      "total": plain(step.total), "kink": step.kink})
        elif kind == "sum":
            terms = [(self.steps if steps is None else steps)[t] for t in step.terms]
            summed = [labels[e.target if forward else e.node] for e in terms]
            d.update({"target": label, "terms": summed, "contributions": [plain(e.contribution) for e in terms],
                      "tangent" if forward else "total": plain(step.total)})
        elif forward:
            d["tangent"] = plain(step.total)
        else:
            d["upstream"] = plain(step.total)
        if type(value) is not float and hasattr(value, "shape"):
            d["shape"] = list(value.shape)
        target = self.node_values[step.target]
        if kind == "edge" and type(target) is not float and hasattr(target, "shape"):
            d["source_shape" if forward else "target_shape"] = list(target.shape)
        return d

    def all_steps(self) -> list[dict]:
        """Every narrated step as JSON, reverse mode's first."""
        return list(self.step_dicts())

    def step_dicts(self):
        """all_steps() one by one: backward's steps (`steps`), then the other passes' (pass_step_dicts)."""
        if "reverse" in self.narrated and self.tape is not None:
            yield from map(self.step_dict, self.steps)
        yield from self.pass_step_dicts()

    def pass_step_dicts(self):
        """The steps of the passes narrated beside backward's tape, as JSON:
        a reverse pass per output of several, then forward mode's passes."""
        if "reverse" in self.narrated:
            for p in self.reverse:
                for s in p.steps:
                    yield self.step_dict(s, p.steps, "reverse", p.about)
        if "forward" in self.narrated:
            for p in self.forward:
                for s in p.steps:
                    yield self.step_dict(s, p.steps, "forward", p.about)

    def told(self) -> Told:
        """Backward's steps after the seed in columns (see steps.tell): the
        steps `steps` holds, for a writer of 10^5 of them (app/jsonlists.py)."""
        return tell(self.graph, self.tape, self._wanted())

    def output_value(self):
        """The output's value; with several outputs, each output's by name."""
        labels, outputs = self.graph.node_labels, self.outputs or (self.graph.output,)
        if len(outputs) == 1:
            return plain(self.node_values[outputs[0]])
        return {labels[o]: plain(self.node_values[o]) for o in outputs}

    def jacobian_dict(self) -> dict:
        """Per input name, ∂outputs/∂input as a nested list of shape output shape
        + input shape; several outputs stack their entries as the rows."""
        jac = self.jacobian
        if len(jac.outputs) == 1:
            return {name: plain(jac.blocks[jac.outputs[0], name]) for name in jac.inputs}
        import numpy as np
        out = {}
        for name in jac.inputs:
            x_shape = tuple(np.shape(self.values[name]))
            rows = [np.reshape(jac.blocks[o, name], (-1,) + x_shape) for o in jac.outputs]
            out[name] = plain(np.concatenate(rows, axis=0))
        return out

    def _repr_html_(self):
        """Jupyter: the picture and every step, as --format html shows them."""
        return DISPLAY["html"](self) if "html" in DISPLAY else None

    def _repr_markdown_(self):
        return DISPLAY["markdown"](self) if "markdown" in DISPLAY else None

    def show(self, step: bool = False, lang: str | None = None, digits: int | None = None) -> None:
        """Display the derivation in a notebook; with step=True one step at a time
        (prev/next buttons: needs ipywidgets). lang and digits as the command line
        chooses them when not given."""
        DISPLAY["show"](self, step=step, lang=lang, digits=digits)

    def to_dict(self) -> dict:
        return {key: list(value) if isinstance(value, Iterator) else value for key, value in self.dict_parts()}

    def dict_parts(self):
        """to_dict()'s entries in order, the two long lists ("nodes", "steps")
        as iterators of their entries: a writer can stream them (app/export.py)."""
        from ..i18n import t
        labels = self.graph.node_labels        # (not graph.nodes: 10^5 Node objects made for nothing)
        yield "mode", self.mode
        yield "outputs", [labels[o] for o in self.outputs or (self.graph.output,)]
        yield "value", self.output_value()
        if self.scalar:
            yield "gradients", plain(self.gradients)
            yield "numeric_gradients", plain(self.numeric_gradients)
        yield "eps", self.eps
        if self.scalar:
            yield "checks", [c.to_dict(self.graph) for c in self.checks]
        if self.scalar and self.forward and "forward" in self.narrated:
            yield "tangents", plain(self.tangents)
            yield "forward_checks", [c.to_dict(self.graph) for c in self.forward_checks]   # analytic: the tangent
        yield "nodes", map(self.node_dict, range(len(labels)))
        yield "steps", self.step_dicts()
        yield "cost", {mode: {"passes": c.passes, "multiply_adds": c.multiply_adds} for mode, c in self.cost.items()}
        if self.jacobian is not None:
            jac = self.jacobian
            yield "jacobian", self.jacobian_dict()
            yield "jacobian_checks", [
                {"output": labels[c.output], "input": c.input, "numeric": plain(c.numeric),
                 "rel_error": c.rel_error, "verdict": c.verdict, "reason": c.reason,
                 "entry": None if c.entry is None else list(c.entry),
                 "entries": {"checked": c.checked, "total": c.entries}}
                for c in jac.checks]
        yield "warnings", [{"key": key, "message": t(key, "en", **params)} for key, params in self.warnings]
        # --hand: the steps and nodes above are rounded as by hand; the exact gradients beside them
        yield "hand", self.hand
        if self.hand is not None:
            yield "exact_gradients", plain(self.exact.gradients)

    def node_dict(self, i: int) -> dict:
        op, args = self.graph.rows[i][:2]
        # every node by the name the narration prints; its inputs by theirs
        labels = self.graph.node_labels
        d = {"name": labels[i], "op": op.name, "inputs": [labels[j] for j in args],
             "value": plain(self.node_values[i])}
        if self.scalar:
            d["gradient"] = plain(self.grad(i))
        if self.forward and "forward" in self.narrated:
            d["tangent"] = {labels[p.about]: plain(self.tangent(p, i)) for p in self.forward}
        return d

    def tangent(self, p: Pass, i: int):
        """∂node_i/∂(the pass's input): 0 (shaped node + input) where the pass does not reach."""
        value = p.values[i]
        if value is not None:
            return value
        shape = tuple(getattr(self.node_values[i], "shape", ())) + tuple(getattr(self.node_values[p.about], "shape", ()))
        if not shape:
            return 0.0
        import numpy as np
        return np.zeros(shape)


class Verdict(namedtuple("Verdict", "name given given_value expected correct diagnosis note_key target node "
                                   "steps detail formula either",
                         defaults=(None, None, -1, None, (), None, False, ()))):
    """A student's answer for ∂f/∂name, judged (see tutor/answers.judge).
    diagnosis: the mistake the number matches (sign, local, missing_upstream,
    wrong_operand, fanout_partial, swapped_max, double_counted, transpose,
    rounding) or None; note_key: a message key qualifying the verdict
    ("answers.accepted_rounding", "answers.kink", "answers.either" when
    several mistakes give the number: `either` lists them). node is the graph node
    where the mistake happens, steps the steps (indices into Derivation.steps)
    that show the right rule, detail the numbers and node indices the
    explanation quotes (None when it quotes none); either: (code, node,
    detail) per mistake giving this number."""
    __slots__ = ()

    def to_dict(self, labels=None) -> dict:
        """As JSON; with `labels` (the graph's node names by index) the node
        where each mistake happens is named, `at`, as the narration names it."""
        data = {"name": self.name, "given": self.given, "expected": plain(self.expected),
                "correct": self.correct, "diagnosis": self.diagnosis,
                "either": [code for code, _node, _detail in self.either]}
        if labels is not None:
            data["at"] = None if self.node is None or not self.diagnosis else labels[self.node]
            data["either_at"] = [None if node is None else labels[node] for _code, node, _detail in self.either]
        return data
