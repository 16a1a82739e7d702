"""Gradient descent over a program's output, the way seed 001's loop does it:

    for epoch in range(100):
        for x, y in zip(x_data, y_data):
            l = loss(x, y, w); l.backward()
            w.data = w.data - 0.01 * w.grad.data

Each step calls Program.step (forward and backward, no narration, no numeric
check). A minibatch B takes seed 003's update with L2 weight decay λ,

    ω ← (1 − ηλ/|B|)·ω − η/|B| · Σ_{i∈B} ∂ℓ⁽ⁱ⁾/∂ω

(|B| = 1 is the notes' loop; λ = 0 plain SGD), and the learning rate η follows a
schedule per epoch t of T: constant, step (η₀·γ^⌊t/s⌋) or seed 004's cosine
decay η_t = ½η₀(1 + cos(tπ/T)). Pure logic: returns a TrainLog, prints nothing.

one_step() is the single update after a plain derivation (bptutor EXPR --lr η)."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from ..core.engine import needed_for
from ..errors import BptutorError, BptutorMathError, BptutorValueError, Numbers

SCHEDULES = ("constant", "step", "cosine")
MAX_EXPLAINED = 5           # steps recorded (for narration) per explained epoch
MAX_EPOCHS = 1_000_000


@dataclass(frozen=True)
class Update:
    """One step: the batch, its loss before the step, the summed gradients and the parameters before and after."""
    epoch: int
    step: int                   # 0-based, within the epoch
    samples: tuple              # 0-based data rows of the batch
    inputs: dict                # the data of the batch's first sample
    loss: float                 # mean loss over the batch, before the step
    lr: float
    weight_decay: float
    before: dict
    grads: dict                 # Σ over the batch of ∂ℓ/∂p
    after: dict


@dataclass(frozen=True)
class Epoch:
    epoch: int
    loss: float                 # the last step's loss, as seed 001 prints it (`progress: epoch l`)
    mean_loss: float            # the mean over the epoch's samples, each before its step
    lr: float
    params: dict                # after the epoch


@dataclass(frozen=True)
class Prediction:
    inputs: dict
    node: str                   # the model's output: the node the target meets
    value: object               # with the trained parameters
    before: object              # with the starting ones (seed 001 prints both)


@dataclass(frozen=True)
class OneStep:
    """One step of gradient descent from a plain derivation (--lr): every input moves."""
    output: str                 # the name of f, the node descended on
    lr: float
    before: dict
    grads: dict
    after: dict
    value_before: float
    value_after: float

    @property
    def first_order(self) -> float:
        """η·|∇f|²: how much f goes down to first order (f(x − η∇f) ≈ f(x) − η|∇f|²)."""
        total = 0.0
        for g in self.grads.values():
            total += float((g * g).sum()) if hasattr(g, "shape") else g * g
        return self.lr * total

    def to_dict(self) -> dict:
        from ..core.records import plain
        return {"lr": self.lr, "params": plain(self.after), "value_before": float(self.value_before),
                "value_after": float(self.value_after)}


def one_step(program, d, lr: float) -> OneStep:
    """x ← x − η·∂f/∂x for every input the derivation `d` (of `program`)
    reports, and f evaluated again with program.step."""
    if not _positive(lr):
        raise BptutorValueError("train.bad_lr", None, value=lr)
    grads = d.gradients
    before = {name: d.values[name] for name in grads}
    after = {name: _descend(before[name], grads[name], lr, 0.0, 1) for name in grads}
    bad = [p for p in after if not _finite(after[p])]
    if bad:
        raise BptutorMathError("train.params_not_finite", None, names=", ".join(bad), lr=lr)
    value_after, _ = program.step({**d.values, **after}, wrt=list(grads))
    return OneStep(d.graph.nodes[d.graph.output].label, lr, before, grads, after, float(d.value),
                   float(value_after))


@dataclass(frozen=True)
class Stop:
    """Why training stopped early, and where (0-based epoch, 1-based sample)."""
    cause: BptutorError
    epoch: int
    sample: int


@dataclass(frozen=True)
class TrainLog:
    source: str
    output: str                 # the name of the loss node
    data_names: list
    samples: int
    param_names: list
    initial: dict
    params: dict                # after the last whole epoch
    history: list               # Epoch per finished epoch
    updates: list               # the recorded steps of the explained epochs
    predictions: list
    error: Stop | None
    settings: dict = field(default_factory=dict)

    def to_dict(self, lang: str = "en", number=None) -> dict:
        """The JSON of `bptutor train --json` (the error's message in `lang`,
        its numbers written by `number`, as BptutorError.message)."""
        from ..core.records import plain
        error = None
        if self.error is not None:
            error = {"key": self.error.cause.key, "message": stop_message(self.error, lang, number),
                     "epoch": self.error.epoch, "sample": self.error.sample}
        return {
            "params": plain(self.params),
            "history": [{"epoch": e.epoch, "loss": e.loss, "mean_loss": e.mean_loss, "lr": e.lr,
                         "params": plain(e.params)} for e in self.history],
            "predictions": [{"inputs": plain(p.inputs), "node": p.node, "value": plain(p.value),
                             "before": plain(p.before)}
                            for p in self.predictions],
            "error": error,
        }


def stop_message(stop: Stop, lang: str, number=None) -> str:
    """Where training stopped and why, in `lang` (numbers written by `number`)."""
    from ..i18n import t
    return t("train.stopped", lang, epoch=stop.epoch, sample=stop.sample, reason=stop.cause.message(lang, number))


def learning_rate(schedule: str, lr: float, t: int, epochs: int, step_size: int = 1, gamma: float = 0.1) -> float:
    """η for epoch t (0-based) of `epochs`."""
    if schedule == "step":
        return lr * gamma ** (t // step_size)
    if schedule == "cosine":                        # seed 004: α_t = ½α₀(1 + cos(tπ/T))
        return 0.5 * lr * (1 + math.cos(t * math.pi / epochs))
    return lr


def train(program, data, *, values=None, params=None, lr: float = 0.01, epochs: int = 100, batch=1,
          shuffle: bool = False, seed: int = 0, weight_decay: float = 0.0, schedule: str = "constant",
          step_size: int | None = None, gamma: float = 0.1, predict=(), explain_every: int | None = None,
          on_epoch=None) -> TrainLog:
    """Train `program` (a Program: its output is the loss of one sample) on `data`.

    data: {name: [sample, ...]} (a sample is a number or nested lists) or the
    text of --data. values: starting values ({name: value} or --vals text).
    params: the names to train; default: the names in `values` that are not data.
    batch: a size or "all". predict: inputs to predict at after training
    ({name: value} each, or --vals text). on_epoch(Epoch) is called after every epoch.
    Bad options and data raise BptutorError; a loss or parameter that stops
    being finite ends training early with TrainLog.error set and the history kept."""
    from ..lang.data import parse_data
    from ..lang.values import parse_values
    if isinstance(data, str):
        data = parse_data(data)
    if isinstance(values, str):
        values = parse_values(values)
    values = dict(values or {})
    columns, n = _columns(data)
    size = _options(lr, epochs, batch, n, weight_decay, schedule, explain_every)
    step_size = max(1, epochs // 3) if step_size is None else step_size
    if schedule == "step" and (not isinstance(step_size, int) or step_size < 1 or not gamma > 0):
        raise BptutorValueError("train.bad_step", None, step_size=step_size, gamma=gamma)
    g = program.graph_for([*columns, *values])
    names = _params(g, columns, values, params)
    start = {**g.defaults, **values}
    initial = {}
    for name in names:
        if name not in start:
            raise BptutorValueError("train.no_start", None, name=name)
        initial[name] = _value(name, start[name])
    fixed = {k: v for k, v in values.items() if k not in initial}
    predict = [parse_values(p) if isinstance(p, str) else dict(p) for p in predict]

    order = list(range(n))
    rng = random.Random(seed)
    current = initial
    history, updates = [], []
    stop = None
    for epoch in range(epochs):
        rate = learning_rate(schedule, lr, epoch, epochs, step_size, gamma)
        if shuffle:
            rng.shuffle(order)
        explained = epoch == 0 or bool(explain_every and epoch % explain_every == 0)
        steps = _Epoch(program, fixed, columns, names, epoch, rate, weight_decay, updates if explained else None)
        current, stop = steps.run(current, order, size)
        if stop is not None:
            break
        history.append(Epoch(epoch, steps.loss, steps.total / n, rate, current))
        if on_epoch is not None:
            on_epoch(history[-1])
    model = {k: v for k, v in g.defaults.items() if k not in columns}
    predictions = []
    for given in predict if stop is None else ():
        after = _predict(program, g, {**model, **fixed, **current}, given)
        before = _predict(program, g, {**model, **fixed, **initial}, given)
        predictions += [Prediction(given, node, value, old) for (node, value), (_, old) in zip(after, before)]
    settings = {"lr": lr, "epochs": epochs, "batch": size, "shuffle": shuffle, "seed": seed,
                "weight_decay": weight_decay, "schedule": schedule, "step_size": step_size, "gamma": gamma}
    final = history[-1].params if history else initial      # a stopped run: as of its last whole epoch
    return TrainLog(program.source, g.nodes[g.output].label, list(columns), n, names, initial, final, history, updates, predictions,
                    stop, settings)


# ---- checks of the options and the data --------------------------------------------
def _columns(data) -> tuple[dict, int]:
    """Columns as lists of samples (floats, or numpy arrays for vectors), all the same length."""
    if not isinstance(data, dict) or not data:
        raise BptutorValueError("train.no_data", None)
    columns = {}
    for name, col in data.items():
        if getattr(col, "ndim", 1) == 0 or not hasattr(col, "__len__") or isinstance(col, str):
            raise BptutorValueError("train.data_not_a_list", None, name=name)
        if all(type(v) is float for v in col):
            columns[name] = list(col)
            continue
        from ..lang.values import as_array
        arr = as_array(name, col)
        columns[name] = arr.tolist() if arr.ndim == 1 else list(arr)
    lengths = {name: len(col) for name, col in columns.items()}
    if len(set(lengths.values())) > 1:
        raise BptutorValueError("train.column_lengths", None,
                                lengths=", ".join(f"{k}: {v}" for k, v in lengths.items()))
    n = next(iter(lengths.values()))
    if n == 0:
        raise BptutorValueError("train.no_data", None)
    return columns, n


def _options(lr, epochs, batch, n, weight_decay, schedule, explain_every) -> int:
    """Check the numbers; the batch size."""
    if not _positive(lr):
        raise BptutorValueError("train.bad_lr", None, value=lr)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= MAX_EPOCHS:
        raise BptutorValueError("train.bad_epochs", None, value=epochs, limit=f"{MAX_EPOCHS:,}")
    if not (_positive(weight_decay) or weight_decay == 0):
        raise BptutorValueError("train.bad_weight_decay", None, value=weight_decay)
    if schedule not in SCHEDULES:
        raise BptutorValueError("train.bad_schedule", None, value=schedule, known=", ".join(SCHEDULES))
    if explain_every is not None and (not isinstance(explain_every, int) or explain_every < 1):
        raise BptutorValueError("train.bad_explain_every", None, value=explain_every)
    if batch == "all":
        return n
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise BptutorValueError("train.bad_batch", None, value=batch)
    return min(batch, n)


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def _params(g, columns: dict, values: dict, params) -> list:
    """The names to train: checked against the program and the data."""
    inputs = list(g.inputs)
    unused = [name for name in columns if name not in g.inputs]
    if unused:
        raise BptutorValueError("train.data_unused", None, names=", ".join(unused), inputs=", ".join(inputs))
    stray = [name for name in values if name not in g.inputs]
    if stray:
        raise BptutorValueError("train.unknown_param", None, names=", ".join(stray), inputs=", ".join(inputs))
    both = [name for name in values if name in columns]
    if both:
        raise BptutorValueError("train.data_and_value", None, names=", ".join(both))
    if params is None:
        names = list(values)
    elif isinstance(params, str):
        names = [p.strip() for p in params.split(",") if p.strip()]
    else:
        names = list(params)
    candidates = [name for name in inputs if name not in columns]
    if not names:
        raise BptutorValueError("train.no_params", None, candidates=", ".join(candidates) or "-",
                                example=",".join(candidates) or "w")
    unknown = [name for name in names if name not in g.inputs]
    if unknown:
        raise BptutorValueError("train.unknown_param", None, names=", ".join(unknown), inputs=", ".join(inputs))
    data = [name for name in names if name in columns]
    if data:
        raise BptutorValueError("train.param_is_data", None, names=", ".join(data))
    cut_off = [name for name in names if not needed_for(g, [name])[g.output]]
    if cut_off:
        out = g.nodes[g.output].label
        raise BptutorValueError("train.no_gradient_path", None, names=", ".join(cut_off), f=out)
    return names


# ---- one step ----------------------------------------------------------------------
class _Diverged(Exception):
    """A math error at the k-th sample of a batch (an overflow: the loss is no longer finite)."""

    def __init__(self, cause: BptutorError, k: int):
        super().__init__(cause.key)
        self.cause, self.k = cause, k


class _Epoch:
    """One pass over the data: a step per batch, the recorded updates (for
    narration) appended to `record` when it is a list."""

    def __init__(self, program, fixed, columns, names, epoch, lr, weight_decay, record):
        self.program, self.fixed, self.columns, self.names = program, fixed, columns, names
        self.epoch, self.lr, self.weight_decay, self.record = epoch, lr, weight_decay, record
        self.loss = 0.0             # the last step's
        self.total = 0.0            # Σ over the samples

    def run(self, params: dict, order: list, size: int) -> tuple:
        """-> (the parameters after the epoch, or the last finite ones; a Stop or None)."""
        names = self.names
        for step, begin in enumerate(range(0, len(order), size)):
            rows = order[begin:begin + size]
            try:
                self.loss, grads, losses = self.gradients(params, rows)
            except _Diverged as exc:
                return params, Stop(exc.cause, self.epoch, rows[exc.k] + 1)
            after = {p: _descend(params[p], grads[p], self.lr, self.weight_decay, len(rows)) for p in names}
            bad = [p for p in names if not _finite(after[p])]
            if bad:
                cause = BptutorMathError("train.params_not_finite", None, names=", ".join(bad), lr=self.lr)
                return params, Stop(cause, self.epoch, rows[-1] + 1)
            self.total += losses
            if self.record is not None and step < MAX_EXPLAINED:
                first = {name: col[rows[0]] for name, col in self.columns.items()}
                self.record.append(Update(self.epoch, step, tuple(rows), first, self.loss, self.lr,
                                          self.weight_decay, params, grads, after))
            params = after
        return params, None

    def gradients(self, params: dict, rows: list):
        """(mean loss of the batch, Σ gradients per parameter, Σ losses)."""
        values = {**self.fixed, **params}
        names = self.names
        total = 0.0
        sums = None
        for k, i in enumerate(rows):
            for name, col in self.columns.items():
                values[name] = col[i]
            try:
                loss, grads = self.program.step(values, wrt=names)
            except BptutorMathError as exc:
                raise _Diverged(exc, k) from None
            total += float(loss)
            sums = grads if sums is None else {p: sums[p] + grads[p] for p in names}
        return total / len(rows), sums, total


def _descend(p, grad_sum, lr: float, weight_decay: float, size: int):
    """Seed 003: (1 − ηλ/|B|)·p − η/|B| · Σ∂ℓ/∂p (new arrays, never in place)."""
    if type(p) is float and type(grad_sum) is float:
        try:
            return (1 - lr * weight_decay / size) * p - lr / size * grad_sum
        except OverflowError:
            return math.inf
    import numpy as np
    with np.errstate(all="ignore"):
        return (1 - lr * weight_decay / size) * np.asarray(p, dtype=float) - lr / size * grad_sum


def _finite(x) -> bool:
    if type(x) is float:
        return math.isfinite(x)
    import numpy as np
    return bool(np.isfinite(x).all())


def _value(name: str, x):
    """A value of our own: a Python float, or a new float64 array (checked finite)."""
    if hasattr(x, "__len__") or getattr(x, "ndim", 0):
        from ..lang.values import as_array
        return as_array(name, x).copy()
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise BptutorValueError("value.not_a_number", None, name=name, value=repr(x))
    return float(x)


# ---- prediction --------------------------------------------------------------------
def _predict(program, g, model: dict, given: dict) -> list:
    """[(node label, value)]: the model's output at `given` inputs with the trained parameters: the
    nodes computable without the missing data (the target y) that depend on the
    given inputs and feed a node that needs the missing data — in seed 001's
    `(x*w - y)^2`, x*w. With every input given, the program's output."""
    unused = [name for name in given if name not in g.inputs]
    if unused:
        raise BptutorValueError("train.predict_unknown", None, names=", ".join(unused),
                                inputs=", ".join(g.inputs))
    vals = _partial_forward(program, g, {**model, **given})
    if vals[g.output] is not _MISSING:
        return [(g.nodes[g.output].label, vals[g.output])]
    depends = needed_for(g, list(given))
    feeds_missing = [False] * len(g.nodes)
    for node in g.nodes:
        if node.args and any(vals[j] is _MISSING for j in node.args):
            for j in node.args:
                feeds_missing[j] = True
    picked = [i for i, node in enumerate(g.nodes)
              if node.args and depends[i] and feeds_missing[i] and vals[i] is not _MISSING]
    if not picked:
        raise BptutorValueError("train.predict_nothing", None, names=", ".join(given))
    return [(g.nodes[i].label, vals[i]) for i in picked]


_MISSING = object()


def _partial_forward(program, g, values: dict) -> list:
    """Every node's value where its inputs are known; _MISSING elsewhere. A
    failure names the node and its inputs, as the engine's errors do."""
    from ..core.ops import failure_key
    from ..core.xp import namespace
    values = {k: _value(k, v) for k, v in values.items()}
    xp = namespace(values.values(), g.tensor)
    vals: list = [_MISSING] * len(g.nodes)
    with _strict(xp):
        for i, node in enumerate(g.nodes):
            if node.args:
                args = [vals[j] for j in node.args]
                if any(a is _MISSING for a in args):
                    continue
                try:
                    vals[i] = node.op.forward(xp, node.c, *args)
                    failure = None if _finite(vals[i]) else OverflowError()
                except (ArithmeticError, ValueError) as exc:
                    failure = exc
                if failure is not None:
                    raise BptutorMathError(failure_key(node.op, failure, node.c, args), (node.start, node.end),
                                           node=node.label, args=Numbers(args)
                                           ).with_source(program.source)
            elif node.op.name == "input":
                if node.name in values:
                    vals[i] = values[node.name]
            else:
                vals[i] = node.c
    return vals


def _strict(xp):
    from contextlib import nullcontext
    return xp.strict() if hasattr(xp, "strict") else nullcontext()
