"""Gradient descent and training (issue 14): seed 001's loop number for number,
seed 003's update with weight decay, seed 004's cosine decay, minibatches,
divergence, the data files and their errors, the CLI, the REPL and the API."""
import io
import json
import math

import pytest

import bptutor
from bptutor.errors import BptutorError
from bptutor.lang.data import read_data
from bptutor.tutor.train import learning_rate, train
from helpers import ROOT, render_text, run

SEED_001 = "loss = (x*w - y)^2"
SEED_DATA = "x=[1,2,3], y=[2,4,6]"
# What seed 001's PyTorch program prints (float32): `grad: x y w.grad` per sample of
# epoch 0, `progress: 0 l` after it. bptutor computes in float64, so they agree to
# float32's precision.
TORCH_GRADS = [-2.0, -7.840000152587891, -16.228801727294922]
TORCH_LOSS_0 = 7.315943717956543


def seed_run(**options):
    options.setdefault("values", {"w": 1.0})
    options.setdefault("lr", 0.01)
    return bptutor.compile(SEED_001).train(SEED_DATA, **options)


# ---- Program.step ---------------------------------------------------------------------
def test_step_gives_derive_value_and_gradients_and_parses_once():
    p = bptutor.compile("(x+y)*z")
    assert p.step({"x": -2, "y": 5, "z": -4}) == (-12.0, {"x": -4.0, "y": -4.0, "z": 3.0})
    assert p.step({"x": 1, "y": 1, "z": 2}, wrt=["z"]) == (4.0, {"z": 2.0})
    assert p.graph_for(["x"]) is p.graph_for(["y", "z"]) is p.graph       # parsed once
    assert bptutor.compile("e*x").graph_for(["e"]).inputs.keys() == {"e", "x"}     # a given `e` is an input
    src = open(ROOT / "examples" / "two_layer_l2.bp").read()
    d = bptutor.derive(src)
    value, grads = bptutor.compile(src).step({}, wrt=["W1", "W2"])
    assert value == d.value
    assert (grads["W1"] == d.gradients["W1"]).all() and (grads["W2"] == d.gradients["W2"]).all()


def test_step_errors_name_the_source():
    with pytest.raises(BptutorError) as info:
        bptutor.compile("log(x)").step({"x": -1.0})
    assert info.value.source == "log(x)"
    with pytest.raises(BptutorError) as info:
        bptutor.compile("log(x)").step({"x": 1.0}, wrt=["y"])
    assert info.value.key == "value.unknown_wrt"


# ---- seed 001 -------------------------------------------------------------------------
def test_seed_001_loop_reproduces_pytorchs_numbers():
    log = seed_run(epochs=100, predict=["x=4"])
    first = [u for u in log.updates if u.epoch == 0]
    assert [u.grads["w"] for u in first] == [-2.0, -7.84, pytest.approx(-16.2288, abs=1e-12)]
    # the notes' formula: ∂loss/∂w = 2·x·(x·w - y), w updated after every sample
    w = 1.0
    for u, x, y in zip(first, [1, 2, 3], [2, 4, 6]):
        assert u.before["w"] == pytest.approx(w, abs=1e-15)
        assert u.grads["w"] == pytest.approx(2 * x * (x * w - y), abs=1e-12)
        w -= 0.01 * 2 * x * (x * w - y)
        assert u.after["w"] == pytest.approx(w, abs=1e-15)
    assert [u.after["w"] for u in first] == [1.02, 1.0984, pytest.approx(1.260688, abs=1e-12)]
    for ours, torch in zip([u.grads["w"] for u in first], TORCH_GRADS):
        assert ours == pytest.approx(torch, rel=1e-6)
    assert log.history[0].loss == pytest.approx(7.31594304, abs=1e-12)
    assert log.history[0].loss == pytest.approx(TORCH_LOSS_0, rel=1e-6)
    assert log.history[0].mean_loss == pytest.approx((1 + 3.8416 + 7.31594304) / 3, abs=1e-12)
    assert len(log.history) == 100 and log.error is None
    assert log.params["w"] == pytest.approx(2.0, abs=1e-12)
    assert log.history[-1].loss < 1e-20
    [p] = log.predictions
    assert (p.node, p.before) == ("x*w", 4.0)           # `predict (before training) 4 4.0`
    assert p.value == pytest.approx(8.0, abs=1e-12)


def test_seed_001_on_the_command_line_en_and_zh():
    argv = ["train", SEED_001, "--data", SEED_DATA, "--vals", "w=1", "--lr", "0.01", "--epochs", "100",
            "--predict", "x=4"]
    code, out, err = run(*argv)
    assert (code, err) == (0, "")
    assert "w ← 1 - 0.01 × (-2) = 1.02" in out
    assert "sample 2: x = 2, y = 4; loss = 3.8416, ∂loss/∂w = -7.84" in out
    assert "w ← 1.0984 - 0.01 × (-16.2288) = 1.2607" in out
    # the derivation, narrated along the paths to the trained parameter only (as --wrt w)
    assert "4 x*w gate, towards w: local gradient x = 1, upstream gradient -2" in out
    assert "towards x" not in out and "towards y" not in out
    assert "Trained parameters after 100 epochs: w = 2" in out
    assert "prediction at x = 4: x*w = 8 (before training: 4)" in out
    code, out, err = run(*argv, "--lang", "zh")
    assert (code, err) == (0, "")
    assert "更新 w ← w - η·∂loss/∂w，更新后的权值：" in out
    assert "第 0 轮，逐步进行（学习率 η = 0.01）" in out
    assert "第 3 个样本：x = 3, y = 6；损失 loss = 7.3159，∂loss/∂w = -16.2288" in out
    assert "训练 100 轮后，更新后的权值：w = 2" in out
    assert "预测：x = 4 时 x*w = 8（训练前为 4）" in out
    assert "每轮的损失" in out and "平均损失" in out


def test_train_json_shape():
    code, out, err = run("train", SEED_001, "--data", SEED_DATA, "--vals", "w=1", "--epochs", "3",
                         "--predict", "x=4", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {"params", "history", "predictions", "error"}
    assert data["error"] is None
    assert [h["epoch"] for h in data["history"]] == [0, 1, 2]
    assert set(data["history"][0]) == {"epoch", "loss", "mean_loss", "lr", "params"}
    assert data["history"][0]["loss"] == pytest.approx(7.31594304)
    assert data["history"][0]["params"] == {"w": pytest.approx(1.260688)}
    assert data["params"] == data["history"][-1]["params"]
    assert data["predictions"][0]["inputs"] == {"x": 4.0}
    assert data["predictions"][0]["value"] == pytest.approx(4 * data["params"]["w"])


# ---- seed 003: weight decay, minibatches ------------------------------------------------
def test_weight_decay_matches_seed_003s_closed_form():
    # With no gradient from the data, ω ← (1 - ηλ/|B|)ω is all that happens:
    # after T epochs of k steps, ω = (1 - ηλ/|B|)^(kT) ω₀.
    p = bptutor.compile(SEED_001)
    log = p.train("x=[0,0,0,0], y=[0,0,0,0]", values={"w": 3.0}, lr=0.1, weight_decay=0.5, batch=2, epochs=7)
    assert log.params["w"] == pytest.approx(3.0 * (1 - 0.1 * 0.5 / 2) ** 14, rel=1e-14)
    # With data: ω ← (1 - ηλ/|B|)ω - η/|B| Σ_{i∈B} ∂ℓ⁽ⁱ⁾/∂ω, written out by hand.
    log = p.train(SEED_DATA, values={"w": 1.0}, lr=0.01, weight_decay=0.2, batch=2, epochs=4)
    w = 1.0
    for _ in range(4):
        for batch in ([(1, 2), (2, 4)], [(3, 6)]):
            total = sum(2 * x * (x * w - y) for x, y in batch)
            w = (1 - 0.01 * 0.2 / len(batch)) * w - 0.01 / len(batch) * total
    assert log.params["w"] == pytest.approx(w, rel=1e-13)
    u = log.updates[0]
    assert (u.samples, u.grads["w"]) == ((0, 1), -2.0 - 8.0)


def test_full_batch_is_the_mean_gradient_of_examples_linear_batch():
    d = bptutor.derive(open(ROOT / "examples" / "linear_batch.bp").read())
    assert d.gradients["w"] == pytest.approx(-28 / 3)
    log = seed_run(batch="all", epochs=1)
    assert log.params["w"] == pytest.approx(1 - 0.01 * d.gradients["w"], rel=1e-14)


def test_weight_decay_is_written_out_on_the_command_line():
    code, out, err = run("train", SEED_001, "--data", SEED_DATA, "--vals", "w=1", "--epochs", "2",
                         "--weight-decay", "0.5", "--batch", "2")
    assert (code, err) == (0, "")
    assert "Weight decay λ = 0.5: ω ← (1 - ηλ/|B|)ω - η/|B| Σ∂ℓ/∂ω." in out
    assert "The update w ← (1 - ηλ/|B|)·w - η/|B|·Σ∂loss/∂w, the updated parameters:" in out
    # (1 - 0.01·0.5/2)·1 - 0.01/2·(-10) = 0.9975 + 0.05
    assert "w ← (1 - 0.01 × 0.5 / 2) × 1 - 0.01 / 2 × (-10) = 1.0475" in out
    assert "batch 1 (samples 1–2, |B| = 2): mean loss = 2.5, summed over the batch Σ∂loss/∂w = -10" in out


# ---- seed 004: schedules ----------------------------------------------------------------
def test_cosine_decay_is_seed_004s_formula():
    log = seed_run(epochs=8, schedule="cosine", lr=0.04)
    assert [e.lr for e in log.history] == [pytest.approx(0.5 * 0.04 * (1 + math.cos(t * math.pi / 8)), abs=1e-17)
                                           for t in range(8)]
    assert log.history[0].lr == 0.04 and log.history[4].lr == pytest.approx(0.02)
    # and the update of epoch t uses α_t: the first step of epoch 1
    u = bptutor.compile(SEED_001).train(SEED_DATA, values={"w": 1.0}, lr=0.04, epochs=8, schedule="cosine",
                                        explain_every=1).updates
    second = [x for x in u if x.epoch == 1][0]
    assert second.lr == pytest.approx(0.02 * (1 + math.cos(math.pi / 8)))
    assert second.after["w"] == pytest.approx(second.before["w"] - second.lr * second.grads["w"], rel=1e-15)


def test_step_and_constant_schedules():
    assert [learning_rate("step", 1.0, t, 9, 3, 0.5) for t in range(9)] == [1, 1, 1, .5, .5, .5, .25, .25, .25]
    assert {learning_rate("constant", 0.3, t, 9) for t in range(9)} == {0.3}
    log = seed_run(epochs=6, schedule="step", gamma=0.1)        # step size: a third of the epochs
    assert [e.lr for e in log.history] == pytest.approx([0.01, 0.01, 0.001, 0.001, 0.0001, 0.0001])


# ---- order, explanation ------------------------------------------------------------------
def test_shuffle_only_when_asked_and_reproducible():
    data = "x=[1,2,3,4,5,6], y=[2,4,6,8,10,12]"
    p = bptutor.compile(SEED_001)
    plain = p.train(data, values={"w": 1.0}, epochs=2, explain_every=1)
    assert [u.samples[0] for u in plain.updates] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    one = p.train(data, values={"w": 1.0}, epochs=3, shuffle=True, seed=7)
    two = p.train(data, values={"w": 1.0}, epochs=3, shuffle=True, seed=7)
    other = p.train(data, values={"w": 1.0}, epochs=3, shuffle=True, seed=8)
    assert one.params == two.params
    assert [u.samples for u in one.updates] != [u.samples for u in other.updates]
    first = [u.samples[0] for u in one.updates]          # the first five steps of a shuffled epoch
    assert len(set(first)) == 5 and first != [0, 1, 2, 3, 4]
    assert one.params != plain.params and abs(one.params["w"] - 2) < 0.01


def test_explain_every_records_those_epochs():
    log = seed_run(epochs=10, explain_every=4)
    assert sorted({u.epoch for u in log.updates}) == [0, 4, 8]
    code, out, _ = run("train", SEED_001, "--data", SEED_DATA, "--vals", "w=1", "--epochs", "10",
                       "--explain-every", "4")
    assert "Epoch 4, step by step" in out and "Epoch 8, step by step" in out and "Epoch 5," not in out


# ---- divergence -------------------------------------------------------------------------------
def test_divergence_is_reported_with_the_history_kept():
    log = seed_run(lr=1.0, epochs=1000)
    assert log.error is not None and log.error.cause.key == "math.overflow"
    assert len(log.history) == log.error.epoch > 10
    assert 1 <= log.error.sample <= 3
    assert log.params == log.history[-1].params and math.isfinite(log.params["w"])
    assert log.predictions == []
    code, out, err = run("train", SEED_001, "--data", SEED_DATA, "--vals", "w=1", "--lr", "1", "--epochs", "1000")
    assert code == 1
    assert f"error: training stopped at epoch {log.error.epoch}, sample {log.error.sample}: loss overflows" in err
    assert "a smaller learning rate (--lr) usually helps. The epochs before it are shown above." in err
    assert "^^^" in err and "internal" not in err
    assert f"Trained parameters after {log.error.epoch} epochs" in out
    code, out, err = run("train", SEED_001, "--data", SEED_DATA, "--vals", "w=1", "--lr", "1", "--epochs", "1000",
                         "--json", "--lang", "zh")
    data = json.loads(out)
    assert (code, err) == (1, "")
    assert data["error"]["epoch"] == log.error.epoch and data["error"]["key"] == "math.overflow"
    assert data["error"]["message"].startswith(f"训练在第 {log.error.epoch} 轮、第 {log.error.sample} 个样本处停止")
    assert len(data["history"]) == log.error.epoch


def test_parameters_overflowing_in_the_update_stop_training():
    # the loss stays finite (0·x), the step w - η·x does not
    log = bptutor.compile("loss = w*x").train("x=[1e300]", values={"w": 0.0}, lr=1e10, epochs=3)
    assert log.error.cause.key == "train.params_not_finite" and log.error.epoch == 0 and log.history == []


# ---- data -----------------------------------------------------------------------------------
def test_csv_with_vector_columns_and_comments():
    text = "# points\nx[1],x[0],y\n1,2,3\n\n4, 5 ,6\n"
    assert read_data(text, ".csv", "p.csv") == {"x": [[2.0, 1.0], [5.0, 4.0]], "y": [3.0, 6.0]}
    assert read_data('{"x": [1, 2], "y": [[1, 0], [0, 1]]}', ".json", "d.json") == {"x": [1, 2],
                                                                                     "y": [[1, 0], [0, 1]]}
    assert read_data('[{"x": 1, "y": 2}, {"x": 3, "y": 4}]', ".json", "d.json") == {"x": [1, 3], "y": [2, 4]}
    assert read_data("x = [1, 2]\ny = [3.5, 4]\n", ".toml", "d.toml") == {"x": [1, 2], "y": [3.5, 4]}


@pytest.mark.parametrize("text, line, message", [
    ("x,y\n1,2\n3,abc\n", "  3 | 3,abc", "p.csv, line 3: 'abc' in column y is not a finite number"),
    ("x,y\n1,2\n3\n", "  3 | 3", "p.csv, line 3: 1 values, but the header names 2 columns"),
    ("x,1y\n1,2\n", "  1 | x,1y", "p.csv, line 1: '1y' is not a column name"),
    ("x,y\n1,inf\n", "  2 | 1,inf", "'inf' in column y is not a finite number"),
])
def test_csv_errors_point_at_the_line(tmp_path, text, line, message):
    path = tmp_path / "p.csv"
    path.write_text(text)
    code, out, err = run("train", SEED_001, "--data-file", str(path), "--vals", "w=1")
    assert (code, out) == (2, "")
    assert message in err.replace(str(path), "p.csv")
    assert line in err.splitlines()
    caret = err.splitlines()[-1]
    body = line.index("| ") + 2
    bad = message.split("'")[1] if "'" in message else line[body:]
    assert caret.index("^") == body + line[body:].index(bad) and caret.count("^") == len(bad)


def test_csv_errors_in_chinese(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x,y\n1,2\n3,abc\n")
    code, _, err = run("train", SEED_001, "--data-file", str(path), "--vals", "w=1", "--lang", "zh")
    assert code == 2 and f"错误：{path} 第 3 行：列 y 中的 'abc' 不是有限的数" in err


@pytest.mark.parametrize("argv, message", [
    (["--data", "x=[1,2,3], y=[2,4]", "--vals", "w=1"],
     "the data columns have different lengths (x: 3, y: 2): every column needs one value per sample"),
    (["--data", "x=[1,2], y=[2,4], z=[0,0]", "--vals", "w=1"],
     "the program does not use the data column z (its inputs: x, w, y)"),
    (["--data", SEED_DATA], "nothing to train: give the parameters' starting values with --vals"),
    (["--data", SEED_DATA, "--vals", "w=1,x=2"], "x is given both as data and with --vals"),
    (["--data", SEED_DATA, "--vals", "w=1", "--wrt", "q"], "q is not an input of the program"),
    (["--data", "x=1, y=2", "--vals", "w=1"], "the data column x must be a list of samples"),
    (["--vals", "w=1"], "no training data"),
    (["--data", SEED_DATA, "--vals", "w=1", "--lr", "-1"], "the learning rate must be a positive number"),
    (["--data", SEED_DATA, "--vals", "w=1", "--batch", "0"], "--batch takes a whole number of at least 1"),
    (["--data", SEED_DATA, "--vals", "w=1", "--batch", "two"], "--batch takes a whole number of at least 1"),
    (["--data", SEED_DATA, "--vals", "w=1", "--epochs", "0"], "the number of epochs must be a whole number"),
    (["--data", SEED_DATA, "--vals", "w=1", "--predict", "q=1"], "--predict: q is not an input of the program"),
    (["--data", SEED_DATA, "--vals", "w=1", "--plot", "loss.gif"], "cannot draw the loss curve into loss.gif"),
])
def test_usage_errors(argv, message):
    code, out, err = run("train", SEED_001, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and message in err


def test_a_parameter_with_no_path_to_the_loss():
    code, _, err = run("train", "u = v*2; loss = (x*w - y)^2", "--data", SEED_DATA, "--vals", "w=1,v=1",
                       "--lang", "zh")
    assert code == 2
    assert "从 v 到 loss 没有路径：梯度恒为 0，训练无法改变它" in err


# ---- tensors ---------------------------------------------------------------------------------
def test_two_layer_net_with_l2_trains_on_the_example_points():
    src = open(ROOT / "examples" / "two_layer_l2.bp").read()
    data = read_data((ROOT / "examples" / "points.csv").read_text(), ".csv", "points.csv")
    assert len(data["x"]) == 200 and len(data["x"][0]) == 3 and len(data["y"][0]) == 2
    p = bptutor.compile(src)
    log = p.train(data, params="W1,W2", values={"lam": 0.001}, lr=0.5, epochs=4, batch=4,
                  predict=[{"x": [1.0, -1.0, 0.5]}])
    means = [e.mean_loss for e in log.history]
    assert means == sorted(means, reverse=True) and means[-1] < means[0] / 3
    assert log.params["W1"].shape == (4, 3) and log.params["W2"].shape == (2, 4)
    # the first step: the mean of four samples' gradients, each as derive computes it
    u = log.updates[0]
    grads = [bptutor.derive(src, {"x": data["x"][i], "y": data["y"][i], "lam": 0.001}).gradients
             for i in range(4)]
    for name in ("W1", "W2"):
        assert u.grads[name] == pytest.approx(sum(g[name] for g in grads), abs=1e-14)
        assert u.after[name] == pytest.approx(u.before[name] - 0.5 / 4 * u.grads[name], abs=1e-15)
    [pred] = log.predictions
    assert pred.node == "o" and pred.value.shape == (2,)


def test_two_layer_net_on_the_command_line():
    import numpy as np
    code, out, err = run("train", "-f", str(ROOT / "examples" / "two_layer_l2.bp"), "--data-file",
                         str(ROOT / "examples" / "points.csv"), "--wrt", "W1,W2", "--epochs", "2", "--batch", "50",
                         "--json")
    assert (code, err) == (0, "")
    params = json.loads(out)["params"]
    assert set(params) == {"W1", "W2"}                    # lam stays the program's 0.1
    data = read_data((ROOT / "examples" / "points.csv").read_text(), ".csv", "points.csv")
    log = bptutor.compile(open(ROOT / "examples" / "two_layer_l2.bp").read()).train(data, params=["W1", "W2"],
                                                                                      epochs=2, batch=50)
    assert np.array_equal(np.array(params["W1"]), log.params["W1"]) and np.shape(params["W2"]) == (2, 4)


# ---- the plain derivation's one step (--lr) --------------------------------------------------
def test_lr_on_a_derivation_narrates_one_update_per_input():
    code, out, err = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--lr", "0.1")
    assert (code, err) == (0, "")
    assert "5 x+y gate, towards y" in out                   # the derivation first
    for line in ("x ← -2 - 0.1 × (-4) = -1.6", "y ← 5 - 0.1 × (-4) = 5.4", "z ← -4 - 0.1 × 3 = -4.3",
                 "f: -12 → -16.34 (a change of -4.34; to first order -η·|∇f|² = -4.1)"):
        assert line in out
    code, out, _ = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--lr", "0.1", "--wrt", "x", "--lang", "zh")
    assert "x ← -2 - 0.1 × (-4) = -1.6" in out and "y ←" not in out
    assert "f：-12 → -13.6（变化 -1.6；一阶近似 -η·|∇f|² = -1.6）" in out


def test_lr_json_and_markdown():
    code, out, err = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--lr", "0.1", "--json")
    data = json.loads(out)
    assert data["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert data["update"]["lr"] == 0.1 and data["update"]["value_before"] == -12.0
    assert data["update"]["params"] == {"x": pytest.approx(-1.6), "y": pytest.approx(5.4), "z": pytest.approx(-4.3)}
    assert data["update"]["value_after"] == pytest.approx((-1.6 + 5.4) * -4.3)
    code, out, _ = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--lr", "0.1", "--format", "md")
    assert "- `x ← -2 - 0.1 × (-4) = -1.6`" in out
    code, out, _ = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--lr", "0.1", "--format", "latex")
    assert r"x &\leftarrow x - \eta\,\frac{\partial f}{\partial x} = -2 - 0.1 \times \left(-4\right) = -1.6000" in out
    code, out, err = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--lr", "0")
    assert code == 2 and "the learning rate must be a positive number, not 0" in err


def test_lr_on_a_matrix_derivation():
    code, out, err = run("-f", str(ROOT / "examples" / "wx_norm.bp"), "--lr", "0.5")
    assert (code, err) == (0, "")
    # ∂f/∂x = 2Wᵀq with q = Wx = [0.22, 0.26] is [-0.112, 0.636]; an array is written by name
    assert "x ← x - 0.5 × ∂f/∂x = [0.2560, 0.0820]" in out


# ---- other outputs ------------------------------------------------------------------------
def test_markdown_notes_of_a_run():
    code, out, err = run("train", SEED_001, "--data", SEED_DATA, "--vals", "w=1", "--epochs", "30",
                         "--format", "md")
    assert (code, err) == (0, "")
    assert out.startswith("## Gradient descent on loss over 3 samples (x, y), starting from w = 1\n")
    assert "### The first update in full: epoch 0, sample 1\n\n#### Program\n\n```\nloss = (x*w - y)^2\n```" in out
    assert "\n#### Backward pass (right to left)\n" in out
    assert "- `w ← 1 - 0.01 × (-2) = 1.02`" in out
    assert "| epoch | η | loss (last step) | mean loss | w |" in out
    assert "| 0 | 0.0100 | 7.3159 | 4.0525 | 1.2607 |" in out
    assert "| 29 |" in out and "| 25 |" not in out            # summarised: 0-4, every 10th, the last


def test_plot_files(tmp_path):
    png, svg = tmp_path / "loss.png", tmp_path / "loss.svg"
    for path in (png, svg):
        code, _, err = run("train", SEED_001, "--data", SEED_DATA, "--vals", "w=1", "--plot", str(path), "--json")
        assert (code, err) == (0, "")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in svg.read_bytes()[:500]


def test_terminal_output_fits_80_columns():
    from bptutor.app.console import cells
    from bptutor.app.train import first_derivation
    from bptutor.render import trainlog
    p = bptutor.compile(SEED_001)
    log = p.train(SEED_DATA, values={"w": 1.0}, epochs=100, predict=["x=4"], weight_decay=0.1, batch=2,
                  schedule="cosine")
    for lang in ("en", "zh"):
        text = render_text(trainlog.render(log, first_derivation(p, log, {}), lang, 4), width=80)
        assert max(cells(line) for line in text.splitlines()) <= 80
        assert "┤" in text and "w ← (1 - 0.01 × 0.1 / 2) × 1 - 0.01 / 2 × (-10) = 1.0495" in text


def test_a_progress_bar_only_on_a_terminal_and_only_for_a_long_run(monkeypatch):
    from bptutor.app import train as app

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, after, shown in ((Terminal(), 0.0, True), (io.StringIO(), 0.0, False), (Terminal(), 60.0, False)):
        monkeypatch.setattr(app, "PROGRESS_AFTER", after)
        with app.Progress(stream, 100, "zh") as progress:
            seed_run(epochs=100, on_epoch=progress)
        assert ("训练中" in stream.getvalue()) is shown


def test_the_curve_is_drawn_on_a_log_scale_when_the_loss_spans_decades():
    from bptutor.render.trainlog import curve_rows
    rows, log_scale = curve_rows([10.0 ** -k for k in range(8)], width=8, height=8)
    assert log_scale and rows[0] == "█       " and rows[-1] == "███████▁"      # the lowest still shows
    rows, log_scale = curve_rows([3.0, 2.0, 1.0], width=3, height=2)
    assert not log_scale and rows == ["█▁ ", "██▁"]


# ---- REPL and API -------------------------------------------------------------------------
def test_repl_train_uses_the_last_program_and_keeps_the_trained_values():
    from bptutor.app.repl import Session
    out, err = io.StringIO(), io.StringIO()
    s = Session("en", 4, out, err)
    s.handle(":train --data x=[1]")
    assert "nothing to train yet" in err.getvalue()
    s.handle("x = 1, w = 1, y = 2")
    s.handle(SEED_001)
    s.handle(f':train --data "{SEED_DATA}" --epochs 100 --predict x=4')
    assert "prediction at x = 4: x*w = 8 (before training: 4)" in out.getvalue()
    assert s.values["w"] == pytest.approx(2.0, abs=1e-12) and s.values["x"] == 1
    assert "The trained values of w are now set." in out.getvalue()
    s.handle(':train --data "x=[1,2" --epochs 3')
    assert "missing ']'" in err.getvalue()


def test_api_errors_and_options():
    p = bptutor.compile(SEED_001)
    with pytest.raises(BptutorError, match="different lengths"):
        p.train({"x": [1.0, 2.0], "y": [1.0]}, values={"w": 1.0})
    with pytest.raises(BptutorError) as info:
        p.train(SEED_DATA, values={"w": 1.0}, schedule="linear")
    assert info.value.key == "train.bad_schedule"
    log = train(p, {"x": [1, 2, 3], "y": [2, 4, 6]}, values="w=1", epochs=2)       # ints and --vals text
    assert log.to_dict()["history"][1]["epoch"] == 1



def test_every_derivation_format_can_print_the_lr_step():
    from bptutor.render import FORMATS
    assert set(FORMATS["update"]) == set(FORMATS["derivation"])
    for fmt in FORMATS["train"]:
        code, out, err = run("train", SEED_001, "--data", SEED_DATA, "--vals", "w=1", "--epochs", "2",
                             "--format", fmt)
        assert (code, err) == (0, "") and "1.02" in out
    code, _, err = run("train", SEED_001, "--data", SEED_DATA, "--vals", "w=1", "--format", "md", "--json")
    assert code == 2 and "--json and --format md both print the training run" in err
