"""The engine, the Program and the Derivation: the seed numbers through
backward -> Tape, steps and checks built from it, compile once / derive many,
and bugs never dressed as the user's math errors."""
import inspect
import math

import pytest

import bptutor
from bptutor.core import engine
from bptutor.core.engine import backward, forward
from bptutor.core.records import Edge, FrozenError, Tape
from bptutor.core.steps import build_steps
from bptutor.errors import BptutorError, BptutorInternalError, BptutorMathError
from bptutor.lang.parse import parse
from helpers import run

NEURON = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
NEURON_VALS = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
# seed 000 / CS231n: f = 0.7311, the gradients to four decimals
NEURON_GRADS = {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}


# ---- engine.backward -> Tape ---------------------------------------------------------
def test_backward_gives_the_cs231n_gradients_and_every_edge():
    g = parse("(x+y)*z")
    vals = forward(g, {"x": -2.0, "y": 5.0, "z": -4.0})
    assert vals[g.output] == -12.0
    tape = backward(g, vals)
    assert isinstance(tape, Tape)
    assert {name: tape.grads[i] for name, i in g.inputs.items()} == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert tape.kinks == []
    edges = [Edge(*e) for e in tape.edges]
    labels = [(g.nodes[e.node].label, g.nodes[e.target].label, e.local, e.upstream, e.contribution)
              for e in edges]
    # ∂f/∂q = z = -4, ∂f/∂z = q = 3; then + routes -4 to x and to y
    assert labels == [("f", "x+y", -4.0, 1.0, -4.0), ("f", "z", 3.0, 1.0, 3.0),
                      ("x+y", "x", 1.0, -4.0, -4.0), ("x+y", "y", 1.0, -4.0, -4.0)]
    assert all(type(e) is tuple for e in tape.edges)          # plain tuples on the hot path


def test_the_sigmoid_neuron_of_the_notes():
    d = bptutor.derive(NEURON, NEURON_VALS)
    assert d.value == pytest.approx(0.7311, abs=5e-5)
    assert d.gradients == pytest.approx(NEURON_GRADS, abs=5e-5)
    assert [c.verdict for c in d.checks] == ["ok"] * 5 and d.ok


def test_steps_are_built_from_the_tape_with_a_sum_where_paths_meet():
    d = bptutor.derive("x*x + x", {"x": 3})            # ∂f/∂x = 2x + 1 = 7
    steps = build_steps(d.graph, d.tape)
    assert steps == d.steps and d.steps is d.steps      # built once, when first read
    kinds = [(s.kind, d.graph.nodes[s.node].label, s.contribution, s.total) for s in steps]
    assert kinds == [("seed", "f", None, 1.0), ("edge", "f", 1.0, 1.0), ("edge", "f", 1.0, 1.0),
                     ("edge", "x*x", 3.0, 4.0), ("edge", "x*x", 3.0, 7.0), ("sum", "x", None, 7.0)]
    assert steps[-1].terms == (2, 3, 4) and d.gradients == {"x": 7.0}


def test_array_backward_follows_only_the_edges_to_the_inputs_wanted():
    np = pytest.importorskip("numpy")
    from bptutor.core.arrays import ArrayNS
    g = parse("sum((W @ x) * c)")
    values = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "x": np.array([1.0, -1.0]), "c": np.array([2.0, 3.0])}
    vals = forward(g, values, ArrayNS)
    assert vals[g.output] == pytest.approx(-2.0 - 3.0)        # W@x = [-1, -1]
    only_x = backward(g, vals, ArrayNS, ["x"])
    np.testing.assert_allclose(only_x.grads[g.inputs["x"]], [2 + 9, 4 + 12])     # Wᵀc
    assert only_x.grads[g.inputs["W"]] is None and only_x.grads[g.inputs["c"]] is None
    every = backward(g, vals, ArrayNS)
    np.testing.assert_allclose(every.grads[g.inputs["W"]], [[2.0, -2.0], [3.0, -3.0]])     # c xᵀ
    np.testing.assert_allclose(every.grads[g.inputs["c"]], [-1.0, -1.0])


def test_numpy_float_errors_are_math_errors_without_the_caller_setting_them_up():
    np = pytest.importorskip("numpy")
    from bptutor.core.arrays import ArrayNS
    before = np.geterr()
    with pytest.raises(BptutorMathError):
        forward(parse("sum(log(x))"), {"x": np.array([1.0, -1.0])}, ArrayNS)
    assert np.geterr() == before


# ---- the scalar hot path runs the rows' own arithmetic ------------------------------------
POINTS = [-2.5, -1.0, -0.0, 0.0, 1e-200, 0.3, 1.0, 2.0, 750.0]
CONSTANTS = {"add_const": 1.5, "mul_const": -2.0, "div_const": 4.0, "rsub_const": 1.0, "rdiv_const": 3.0,
             "pow_const": 3.0, "rpow_const": 2.0}


def _one_node(op, c):
    from bptutor.core.graph import Graph
    g = Graph()
    inputs = tuple(g.input(name) for name in "xy"[:op.arity])
    g.output = g.add(op, inputs, c)
    return g


@pytest.mark.parametrize("name", sorted(set(engine._FORWARD) | set(engine._LOCAL)))
def test_every_fast_path_gives_exactly_what_its_row_gives(name):
    """forward's C functions and backward's inline locals against the row's own
    functions, bit for bit (signed zeros too), errors included."""
    from bptutor.core.ops import OPS
    from bptutor.core.xp import ScalarNS
    op, c = OPS[name], CONSTANTS.get(name)
    assert op.kink is None or name not in engine._LOCAL      # inline locals never check a kink
    g = _one_node(op, c)
    compared = 0
    for a in POINTS:
        for b in (POINTS if op.arity == 2 else [None]):
            args = [a, b][:op.arity]
            try:
                expected = op.forward(ScalarNS, c, *args)
            except (ArithmeticError, ValueError):
                with pytest.raises(BptutorMathError):
                    forward(g, dict(zip("xy", args)))
                continue
            if not math.isfinite(expected):
                continue                        # an overflow: forward names it (tested elsewhere)
            vals = forward(g, dict(zip("xy", args)))
            assert repr(vals[g.output]) == repr(expected), (name, args)
            try:
                locals_ = [op.local[k](ScalarNS, c, expected, *args) for k in range(op.arity)]
            except (ArithmeticError, ValueError):
                with pytest.raises(BptutorMathError):
                    backward(g, vals)
                continue
            if not all(math.isfinite(x) for x in locals_):
                continue
            edges = backward(g, vals).edges
            assert [repr(e[3]) for e in edges] == [repr(x) for x in locals_], (name, args)
            compared += 1
    assert compared >= 5


# ---- bugs are not the user's math errors ----------------------------------------------
def test_a_bug_in_a_local_gradient_is_an_internal_error_not_a_math_error(monkeypatch):
    from bptutor.core import ops

    def broken(xp, c, out, a):
        raise TypeError("injected bug")
    monkeypatch.setattr(ops.Op, "__setattr__", object.__setattr__)     # rows are read-only
    monkeypatch.setattr(ops.OPS["tanh"], "local", (broken,))
    g = parse("tanh(x)")
    with pytest.raises(TypeError):
        backward(g, forward(g, {"x": 0.5}))
    with pytest.raises(BptutorError) as exc:
        bptutor.derive("tanh(x)", {"x": 0.5})
    assert isinstance(exc.value, BptutorInternalError) and not isinstance(exc.value, BptutorMathError)
    assert isinstance(exc.value.__cause__, TypeError)
    code, _out, err = run("tanh(x)", "--vals", "x=0.5", "--lang", "en")
    assert code == 3 and "injected bug" in err and "tangent" not in err


def test_a_bug_in_a_tensor_rule_is_an_internal_error(monkeypatch):
    pytest.importorskip("numpy")
    from bptutor.core import ops

    def broken(xp, c, g, out, a, b):
        raise IndexError("injected bug")
    monkeypatch.setattr(ops.Op, "__setattr__", object.__setattr__)     # rows are read-only
    monkeypatch.setattr(ops.OPS["matmul"], "vjp", (broken, broken))
    with pytest.raises(BptutorInternalError):
        bptutor.derive("sum(W @ x)", {"W": [[1.0, 2.0]], "x": [1.0, 2.0]})


def test_the_users_numbers_still_give_math_errors():
    with pytest.raises(BptutorMathError) as exc:
        bptutor.derive("sqrt(x)", {"x": 0})             # 1/(2·sqrt(0)): no gradient at 0
    assert exc.value.key == "math.gradient_undefined"
    with pytest.raises(BptutorMathError):
        bptutor.derive("log(x)", {"x": 0})


# ---- Program: compile once, derive or step many times ------------------------------------
def test_compile_parses_once_and_derives_many_times(monkeypatch):
    import bptutor.tutor.program as program_module
    parses = []
    real = program_module.parse
    monkeypatch.setattr(program_module, "parse", lambda *a, **k: parses.append(a) or real(*a, **k))
    program = bptutor.compile("(x+y)*z")
    for x in (-2, 0, 7):
        d = program.derive({"x": x, "y": 5, "z": -4})
        assert d.value == (x + 5) * -4 and d.gradients == {"x": -4.0, "y": -4.0, "z": x + 5.0}
    assert len(parses) == 1 and d.graph is program.graph


def test_a_value_named_like_a_constant_overrides_it_with_one_more_parse(monkeypatch):
    import math

    import bptutor.tutor.program as program_module
    parses = []
    real = program_module.parse
    monkeypatch.setattr(program_module, "parse", lambda *a, **k: parses.append(a) or real(*a, **k))
    program = bptutor.compile("e*x")
    assert program.derive({"x": 2}).value == pytest.approx(2 * math.e)
    for _ in range(2):
        d = program.derive({"x": 2, "e": 3})
        assert d.value == 6.0 and d.gradients == {"e": 2.0, "x": 3.0}
    assert len(parses) == 2
    # a name the program does not read as a constant: no new parse, a warning
    assert program.derive({"x": 2, "pi": 3}).warnings == (("value.unused", {"names": "pi"}),)
    assert len(parses) == 2


def test_a_program_that_needs_its_constant_overridden_compiles():
    program = bptutor.compile("e*2")                 # a constant output, unless e is given a value
    with pytest.raises(BptutorError) as exc:
        program.derive()
    assert exc.value.key == "graph.constant_output"
    assert program.derive({"e": 3}).gradients == {"e": 2.0}
    with pytest.raises(BptutorError) as exc:
        bptutor.compile("(x+")                       # a syntax error is reported at once
    assert exc.value.source == "(x+"


def test_step_gives_what_derive_gives_without_narration_or_check():
    program = bptutor.compile(NEURON)
    value, grads = program.step(NEURON_VALS)
    d = program.derive(NEURON_VALS)
    assert value == d.value and grads == d.gradients
    assert program.step(NEURON_VALS, wrt=["x1", "w0"]) == (value, {"x1": grads["x1"], "w0": grads["w0"]})
    with pytest.raises(BptutorError) as exc:
        program.step({"w0": 1})
    assert exc.value.key == "value.missing"


def test_step_with_arrays_gives_the_wanted_gradients():
    np = pytest.importorskip("numpy")
    program = bptutor.compile("H = relu(W @ x); f = sum(H^2)")
    values = {"W": [[1.0, -2.0], [0.5, 1.0]], "x": [2.0, 1.0]}
    value, grads = program.step(values, wrt="W")
    d = program.derive(values, wrt="W")
    assert value == d.value == 0.0 + 4.0                    # W@x = [0, 2]
    np.testing.assert_allclose(grads["W"], [[0.0, 0.0], [8.0, 4.0]])      # 2H ⊙ 1(W@x > 0) xᵀ
    np.testing.assert_array_equal(grads["W"], d.gradients["W"])
    assert list(grads) == ["W"]


# ---- Derivation: frozen, built once ------------------------------------------------------
def test_a_derivation_is_frozen():
    d = bptutor.derive("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    with pytest.raises(FrozenError):
        d.checks = ()
    with pytest.raises(FrozenError):
        d.answers = []
    with pytest.raises(FrozenError):
        del d.tape
    assert not hasattr(d, "answers")
    assert isinstance(d.checks, tuple) and isinstance(d.warnings, tuple) and d.wrt == ("x", "y", "z")
    assert d.node_grads is d.tape.grads and d.edges is d.tape.edges


def test_the_check_returns_its_results_and_names_the_kink():
    from bptutor.core.check import check_gradients
    from bptutor.core.xp import ScalarNS
    d = bptutor.derive("relu(x)*y", {"x": 0, "y": 2}, check=False)
    assert d.checks == () and d.warnings == ()
    checks, warnings = check_gradients(d.graph, d.values, d.node_values, d.node_grads, d.wrt, d.eps,
                                       d.tape.kinks, ScalarNS)
    # relu'(0) = 0 (PyTorch's convention); the numeric slope across the kink is (2·h - 0)/2h = 1
    assert [(c.name, c.analytic, c.numeric, c.verdict) for c in checks] == \
        [("x", 0.0, pytest.approx(1.0), "kink"), ("y", 0.0, 0.0, "ok")]
    assert warnings == (("ops.relu.convention", {}),)
    assert d.checks == ()                            # nothing written into the Derivation
    assert bptutor.derive("relu(x)*y", {"x": 0, "y": 2}).checks == checks


def _checked_both_ways(src, values):
    """Every input checked point by point, and together in vector passes."""
    from bptutor.core import check
    d = bptutor.derive(src, values, check=False)
    names = list(d.graph.inputs)
    one_by_one = [check._check_scalar(d.graph, d.values, d.node_values, d.node_grads, name, d.grad_of(name), None)
                  for name in names]
    together = check._check_together(d.graph, d.values, d.node_values, d.node_grads, names, None)
    return one_by_one, [together[name] for name in names]


@pytest.mark.parametrize("src, values", [
    ("x*sin(y) + tanh(x)/(1+exp(y)) + sqrt(z+3)^1.5 + log(z+3) + max(x, y)", {"x": 0.7, "y": -1.3, "z": 0.4}),
    # a kink at the point (relu at 0, a max tie), a pole near it (1/x), waves (sin(1000x)), the edge of log's domain
    ("relu(x) * y + max(x, z) + 1/(y - 2.0000001) + sin(1000*z) + log(z + 0.3 + 1e-7)",
     {"x": 0.0, "y": 2.0, "z": -0.3}),
    # the round-off raises x's step past a 16th of sin's period: three nodes read the x that moved too far
    ("sin(x) + sin(x)*z + cos(x) + 1e17*y", {"x": 100.0, "y": 0.5, "z": 2.0}),
])
def test_inputs_checked_together_are_judged_as_one_by_one(src, values):
    pytest.importorskip("numpy")
    one_by_one, together = _checked_both_ways(src, values)
    for a, b in zip(one_by_one, together):
        assert (a.name, a.verdict, a.kink, a.reason, a.entries) == (b.name, b.verdict, b.kink, b.reason, b.entries)
        assert (a.numeric is None) == (b.numeric is None)
        if a.numeric is not None:
            assert b.numeric == pytest.approx(a.numeric, rel=1e-6, abs=1e-9)
    # ∂f/∂x of the first at these values: sin(y) + (1 - tanh²x)/(1 + e^y) + 1(x > y)
    if "tanh" in src:
        assert together[0].numeric == pytest.approx(
            math.sin(-1.3) + (1 - math.tanh(0.7) ** 2) / (1 + math.exp(-1.3)) + 1, rel=1e-8)


def test_a_big_graph_checks_every_input():
    """30,000 nodes, 100 inputs: all checked (the check used to sample 16 of them)."""
    terms = [f"x{i % 100}*sin(x{(i * 7 + 3) % 100})" for i in range(10_000)]
    d = bptutor.derive(" + ".join(terms), {f"x{i}": (i % 17) / 10 - 0.8 for i in range(100)})
    assert len(d.graph.nodes) > 30_000 and not d.sampled
    assert [c.name for c in d.checks] == list(d.graph.inputs) and len(d.checks) == 100
    assert all(c.verdict == "ok" for c in d.checks)
    assert not any(key == "check.sampled" for key, _ in d.warnings)


def test_derive_shows_its_real_signature():
    from bptutor.tutor.program import derive
    shown = inspect.signature(bptutor.derive).parameters
    real = inspect.signature(derive).parameters
    assert [(p.name, p.kind) for p in shown.values()] == [(p.name, p.kind) for p in real.values()]
    assert [p.default for p in shown.values()][1:] == [p.default for p in real.values()][1:]
    assert list(inspect.signature(bptutor.compile).parameters) == ["source"]


def test_graph_rows_and_nodes_are_the_same_nodes():
    """Building appends rows; the Node objects made from them when first read
    carry the same fields, follow a rename, and lose what is taken back."""
    from bptutor.core.graph import Graph
    from bptutor.core.ops import OPS
    g = Graph("x*y")
    x, y = g.input("x", 0, 1), g.input("y", 2, 3)
    product = g.add(OPS["mul"], (x, y), None, None, 0, 3, 1, 2)
    assert g.rows[product] == (OPS["mul"], (x, y), None, None, 0, 3, 1, 2)
    node = g.nodes[product]
    assert (node.op, node.args, node.start, node.end, node.op_start, node.op_end) == (OPS["mul"], (x, y), 0, 3, 1, 2)
    g.rename(product, "q")
    assert node.name == "q" and g.rows[product][3] == "q"
    g.add(OPS["exp"], (product,))
    g.truncate(product + 1)
    assert len(g.rows) == len(g.nodes) == 3
    extra = g.add(OPS["sin"], (product,))
    assert g.nodes[extra].op is OPS["sin"] and len(g.nodes) == 4


def test_threads_reading_a_new_graphs_nodes_make_each_node_once():
    import threading

    from bptutor.core.graph import Graph
    from bptutor.core.ops import OPS
    g = Graph()
    t = g.input("x")
    for _ in range(20_000):
        t = g.add(OPS["sin"], (t,))
    seen, barrier = [], threading.Barrier(8)

    def read():
        barrier.wait()
        seen.append(g.nodes)
    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(g.nodes) == len(g.rows) == 20_001
    assert all(node.args == row[1] for node, row in zip(g.nodes, g.rows))
