"""autograd-nn flow, race and plot: each writes its picture under the --out rules and prints what it shows."""

import pytest

from autograd_nn.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert status == 0, f"exit {status}\n{out}\n{err}"
    return out


def refused(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1, (status, out, err)
    return err


def test_plot(capsys, tmp_path):
    out = run(capsys, "plot", "relu(t) + abs(t - 1)", "--range", "-2", "3", "--out", tmp_path / "p.png")
    assert "kink of relu at x = 0" in out and "kink of abs at x = 1" in out
    assert (tmp_path / "p.png").read_bytes()[:8] == PNG
    out = run(capsys, "plot", "tanh(x)*x", "--order", "3", "--out", tmp_path / "deep" / "p.svg")
    assert out.startswith("tanh(x)*x on [-3, 3]: f and 3 derivative(s)")
    assert (tmp_path / "deep" / "p.svg").read_text().lstrip().startswith("<?xml")


def test_race(capsys, tmp_path):
    out = run(capsys, "race", "--function", "bowl", "--steps", "20", "--start", "-3", "0.5", "--optimizers",
              "adam,sgd", "--out", tmp_path / "r.png", "--html", tmp_path / "r.html")
    assert out.splitlines()[0] == "race on bowl: f = ½ (x² + 50 y²), from (-3.0, 0.5), 20 steps"
    assert "adam [Adam(lr=0.3)]" in out and "sgd [SGD(lr=0.035)]" in out
    assert (tmp_path / "r.png").read_bytes()[:8] == PNG
    assert 'type="range"' in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_flow(capsys, tmp_path):
    out = run(capsys, "flow", "--depths", "2,8", "--activations", "sigmoid", "--inits", "xavier", "--samples", "4",
              "--width", "8", "--out", tmp_path / "f.pdf")
    assert "sigmoid + xavier: the gradient vanishes towards the input from depth 8 on" in out
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"


@pytest.mark.parametrize("argv, expected", [
    (["plot", "x*y"], "EXPR must use exactly one variable (the x axis), 'x*y' uses x, y"),
    (["plot", "2+3"], "uses none"),
    (["plot", "x", "--range", "1", "1"], "--range 1 1: LO must be below HI"),
    (["plot", "x", "--order", "5"], "must be at most 4"),
    (["plot", "x", "--points", "1"], "--points 1: from 2 to 5,001"),
    (["plot", "log(x)", "--range", "-2", "-1"], "undefined at every point"),
    (["plot", "x", "--out", "p.txt"], "the file name must end in .png, .svg or .pdf"),
    (["race", "--function", "himmelblau"], "invalid choice: 'himmelblau'"),
    (["race", "--optimizers", "sgd,sgd"], "each name once"),
    (["race", "--steps", "20001"], "--steps 20,001: at most 20,000"),
    (["race", "--start", "1"], "expected 2 arguments"),
    (["race", "--html", "r.svg"], "--html 'r.svg': the file name must end in .html"),
    (["flow", "--depths", "4,2"], "give increasing depths, each once"),
    (["flow", "--depths", "2,51"], "at most 50 layers"),
    (["flow", "--width", "65"], "--width 65: at most 64"),
    (["flow", "--inits", "orthogonal"], "expected comma-separated names from uniform, xavier, he"),
    (["flow", "--depths", "50", "--width", "64", "--samples", "1000"], "at most 100,000,000"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, expected):
    monkeypatch.chdir(tmp_path)
    assert expected in refused(capsys, *argv)
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


@pytest.mark.parametrize("command", ["flow", "race", "plot"])
def test_help(capsys, command):
    assert main([command, "--help"]) == 0
    assert "--out FILE" in capsys.readouterr().out
