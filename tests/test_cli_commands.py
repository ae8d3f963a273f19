"""Every command end to end in a temporary directory: what it prints, and the pictures and files it writes."""

import contextlib
import io
import json
import math
import xml.etree.ElementTree as ET

import pytest

from autograd_nn.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path, min_bytes=5000):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path.name} is not a PNG"
    assert len(data) > min_bytes, f"{path.name} is suspiciously small ({len(data)} bytes)"


def svg_text(path):
    """All the text an SVG shows (node labels, numbers), after checking it parses as an SVG document."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), f"{path.name}: root element is {root.tag}"
    return " ".join(t for t in root.itertext() if t.strip())


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert status == 0, f"exit {status}\n{out}\n{err}"
    return out


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo, run once for the whole module (it trains a network: the slowest command)."""
    pytest.importorskip("autograd_nn.viz")
    pytest.importorskip("autograd_nn.train")
    out = tmp_path_factory.mktemp("demo")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["demo", "--out", str(out), "--no-progress"])
    assert status == 0, stderr.getvalue()
    return out, stdout.getvalue()


def test_demo_prints_loss_and_accuracy(demo_run):
    _, printed = demo_run
    line = next(line for line in printed.splitlines() if line.startswith("final loss"))
    loss = float(line.split()[2].rstrip(","))
    accuracy = float(line.split("accuracy")[1].strip().rstrip("%")) / 100
    assert loss < 0.3
    assert accuracy >= 0.9  # moons are separable by a 16-16 ReLU network


def test_demo_writes_the_two_plots(demo_run):
    out, _ = demo_run
    assert_png(out / "loss_curve.png")
    assert_png(out / "decision_boundary.png")


def test_demo_network_diagram(demo_run):
    out, _ = demo_run
    text = svg_text(out / "network.svg")
    assert text, "the network diagram shows no text"


def test_demo_neuron_graph_is_a_trained_neuron_on_a_sample(demo_run):
    out, _ = demo_run
    path = out / "neuron_graph.svg"
    text = svg_text(path)
    caption = next(t for t in ET.parse(path).getroot().itertext() if "of the trained network" in t)
    j = int(caption.split("neuron ")[1].split()[0])  # which neuron of layer 1 the caption says it is
    sub = "₀₁₂₃₄₅₆₇₈₉"
    name = "".join(sub[int(d)] for d in str(j))
    for label in (f"a¹{name}", f"z¹{name}", f"w¹{name}₁", f"w¹{name}₂", f"b¹{name}", "x₁", "x₂", "relu",
                  f"∂a¹{name}/∂w¹{name}₁", "training sample 0"):
        assert label in text, f"{label!r} missing from {path.name}"
    from autograd_nn import data
    x = data.moons(n=100, seed=0)[0][0]
    assert f"x = ({x[0]:.3g}, {x[1]:.3g})" in text  # the demo's own first training sample
    bias = text.split(f"b¹{name} ")[1].split()[1]  # "b¹ⱼ data <number> grad 1"
    assert float(bias) != 0.0  # a trained bias: a fresh network's biases are all 0


def test_train_writes_plots_and_model(capsys, tmp_path):
    pytest.importorskip("autograd_nn.train")
    model = tmp_path / "model.json"
    printed = run(capsys, "train", "--dataset", "xor", "--layers", "8", "--activation", "tanh", "--epochs", "3",
                  "--samples", "40", "--out", tmp_path / "out", "--save", model, "--no-progress")
    assert "final loss" in printed
    assert_png(tmp_path / "out" / "loss_curve.png")
    assert_png(tmp_path / "out" / "decision_boundary.png")
    saved = json.loads(model.read_text())
    assert saved, "the saved model is empty"
    from autograd_nn.serialize import load_mlp
    loaded = load_mlp(model)
    assert loaded.nouts == [8, 1]


@pytest.mark.parametrize("dataset", ["moons", "circles", "spiral", "blobs"])
def test_train_every_dataset(capsys, tmp_path, dataset):
    pytest.importorskip("autograd_nn.train")
    loss = "cross_entropy" if dataset in ("spiral", "blobs") else "hinge"
    printed = run(capsys, "train", "--dataset", dataset, "--layers", "4", "--loss", loss, "--epochs", "1",
                  "--samples", "30", "--out", tmp_path, "--no-progress", "--optimizer", "sgd", "--lr", "0.1")
    assert "final loss" in printed
    assert_png(tmp_path / "decision_boundary.png")


@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_graph_renders_values_and_gradients(capsys, tmp_path, suffix):
    pytest.importorskip("autograd_nn.viz")
    path = tmp_path / f"neuron.{suffix}"
    printed = run(capsys, "graph", "tanh(w1*x1 + w2*x2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.88",
                  "--out", path)
    a = math.tanh(-3 * 2 + 1 * 0 + 6.88)
    assert f"= {a:.6g}" in printed
    assert f"∂/∂w1 = {2 * (1 - a * a):.6g}" in printed  # x1·(1 - tanh²(z))
    if suffix == "png":
        assert_png(path, min_bytes=2000)
    else:
        text = svg_text(path)
        for label in ("w1", "x1", "w2", "x2", "b", "f", "tanh", "(w1 * x1)", f"{a:.4f}"[:5]):
            assert label in text, f"{label!r} missing from the graph"


def test_explain_prints_the_chain_rule(capsys):
    pytest.importorskip("autograd_nn.viz")
    printed = run(capsys, "explain", "tanh(w*x + b)", "--wrt", "w", "x=2", "w=-3", "b=6.88")
    # one path, written with the user's sub-expressions: ∂f/∂(w * x + b) · ∂(w * x + b)/∂(w * x) · ∂(w * x)/∂w
    assert printed.startswith("∂f/∂w = ∂f/∂(w * x + b) · ")
    assert "∂(w * x)/∂w" in printed and "(2)" in printed  # ∂(w·x)/∂w = x = 2
    a = math.tanh(-3 * 2 + 6.88)
    assert f"= {2 * (1 - a * a):.4g}" in printed  # the value of ∂/∂w = x·(1 - tanh²(z)) is derived


def gradcheck_rows(printed):
    """The table's rows by input name: {"∂f/∂x": ["2", "3", "3", abs err, rel err, "ok"], ...}."""
    lines = printed.splitlines()
    assert lines[1].split() == ["input", "value", "analytic", "numeric", "abs", "err", "rel", "err"]
    return {line.split()[0]: line.split()[1:] for line in lines[2:-1]}


def test_gradcheck_prints_the_figures_and_passes(capsys):
    printed = run(capsys, "gradcheck", "x*y", "x=2", "y=3")
    assert printed.splitlines()[0] == "gradcheck of x*y at x=2, y=3"
    rows = gradcheck_rows(printed)
    assert list(rows) == ["∂f/∂x", "∂f/∂y"]
    value, analytic, numeric, abs_err, rel_err, verdict = rows["∂f/∂x"]
    assert (float(value), float(analytic), verdict) == (2, 3, "ok")  # ∂(x·y)/∂x = y = 3
    assert float(numeric) == pytest.approx(3) and float(abs_err) < 1e-6 and float(rel_err) < 1e-6
    assert [float(v) for v in rows["∂f/∂y"][:2]] == [3, 2]  # ∂(x·y)/∂y = x = 2
    assert printed.splitlines()[-1] == "passed: all 2 derivative(s) agree with finite differences"


def test_gradcheck_exit_status_1_when_a_derivative_disagrees(capsys):
    # x + 1e12 rounds x ± 1e-6 to the same float: the finite difference is 0, far from the analytic 1.
    status = main(["gradcheck", "(x + 1e12) - 1e12", "x=1"])
    printed, err = capsys.readouterr()
    assert status == 1, err
    value, analytic, numeric, *_, verdict = gradcheck_rows(printed)["∂f/∂x"]
    assert float(analytic) == 1 and float(numeric) == 0 and verdict == "FAIL"
    assert printed.splitlines()[-1] == "failed: 1 of 1 derivative(s) disagree with finite differences"


@pytest.mark.parametrize("expr, x, exact", [("relu(x)", 1e-7, 1.0), ("abs(x)", -1e-7, -1.0), ("1/x", 1e-7, -1e14)])
def test_gradcheck_a_step_past_a_nearby_kink_or_pole_is_retried_smaller_not_called_a_kink(capsys, expr, x, exact):
    status = main(["gradcheck", expr, f"x={x}"])
    printed, err = capsys.readouterr()
    assert status == 0, err
    value, analytic, numeric, *_, verdict = gradcheck_rows(printed)["∂f/∂x"]
    assert verdict == "ok" and float(analytic) == exact and float(numeric) == pytest.approx(exact, rel=1e-3)
    summary = printed.splitlines()[-1]
    assert summary.startswith("passed: all 1 derivative(s) agree") and "kink or pole of f near" in summary
    assert "checked with step" in summary and "one-sided rule" not in summary


def test_gradcheck_at_a_kink_itself_still_uses_the_one_sided_rule(capsys):
    assert main(["gradcheck", "relu(x)", "x=0"]) == 0
    printed = capsys.readouterr()[0]
    assert gradcheck_rows(printed)["∂f/∂x"][-1] == "kink" and "one-sided rule at a kink" in printed


@pytest.mark.parametrize("expr, x", [("sqrt(x)", 1e-9), ("log(x)", 1e-9), ("sqrt(1 - x)", 1 - 1e-9)])
def test_gradcheck_a_probe_outside_the_domain_is_said_and_retried_with_a_smaller_step(capsys, expr, x):
    status = main(["gradcheck", expr, f"x={x!r}"])
    printed, err = capsys.readouterr()
    assert status == 0, err
    assert gradcheck_rows(printed)["∂f/∂x"][-1] == "ok"
    summary = printed.splitlines()[-1]
    assert "the finite-difference probe x " in summary and "left f's domain" in summary
    assert "checked with the smaller step" in summary or "checked with the forward difference" in summary


def test_gradcheck_says_so_when_no_smaller_step_inside_the_domain_agrees(capsys):
    # 1e-13 is closer to sqrt's edge than the smallest step tried (1e-12): no central step fits, and the
    # one-sided quotients are far off on so curved a function
    assert main(["gradcheck", "sqrt(x)", "x=1e-13"]) == 1
    printed = capsys.readouterr()[0]
    assert gradcheck_rows(printed)["∂f/∂x"][-1] == "FAIL"
    assert "left f's domain" in printed and "agrees either" in printed
