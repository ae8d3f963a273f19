"""The command line's input checks: every bad input is one line on stderr and exit status 2, never a traceback."""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograd_nn.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_usage_error(capsys, argv, *expected):
    status, out, err = run(capsys, *argv)
    assert status == 2, (status, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograd-nn"), err
    assert "Traceback" not in err
    for text in expected:
        assert text in lines[0], (text, lines[0])


@pytest.mark.parametrize("argv, expected", [
    (["train", "--dataset", "swirl"], ["--dataset", "invalid choice: 'swirl'", "moons"]),
    (["train", "--layers", "16,,x"], ["--layers", "'16,,x'", "positive integers"]),
    (["train", "--layers", "16,0"], ["--layers", "'16,0'"]),
    (["train", "--lr", "-0.1"], ["--lr", "> 0", "'-0.1'"]),
    (["train", "--lr", "nan"], ["--lr", "'nan'"]),
    (["train", "--epochs", "0"], ["--epochs", "at least 1"]),
    (["train", "--batch-size", "many"], ["--batch-size", "whole number", "'many'"]),
    (["train", "--activation", "swish"], ["--activation", "'swish'"]),
    (["train", "--optimizer", "lbfgs"], ["--optimizer", "'lbfgs'"]),
    (["frobnicate"], ["invalid choice: 'frobnicate'"]),
    ([], ["required", "COMMAND"]),
])
def test_bad_training_options(capsys, argv, expected):
    assert_usage_error(capsys, argv, *expected)


@pytest.mark.parametrize("command", ["graph", "gradcheck", "explain"])
@pytest.mark.parametrize("argv, expected", [
    (["tanh(x +", "x=1"], ["syntax error", "column"]),
    (["foo(x)", "x=1"], ["unknown function 'foo'", "tanh"]),
    (["__import__('os')", "x=1"], ["unknown function '__import__'"]),
    (["x.real", "x=1"], ["not allowed", "x.real"]),
    (["x * y", "x=1"], ["no value given for y", "y=NUMBER"]),
    (["x * y", "x=1", "y=2", "z=3"], ["z not used"]),
    (["x * 2", "x=abc"], ["x", "'abc'"]),
    (["x * 2", "x"], ["NAME=NUMBER", "'x'"]),
    (["log(x)", "x=-1"], ["log", "> 0"]),  # DomainError while building the graph
    (["sqrt(x) / y", "x=4", "y=0"], ["div"]),
])
def test_bad_expressions(capsys, command, argv, expected):
    extra = ["--wrt", "x"] if command == "explain" else []
    assert_usage_error(capsys, [command, *argv, *extra], *expected)


def test_explain_wrt_must_be_a_variable(capsys):
    assert_usage_error(capsys, ["explain", "x * y", "x=1", "y=2", "--wrt", "w"], "--wrt w", "x, y")


def test_graph_of_a_huge_expression(capsys, tmp_path):
    huge = " + ".join(f"tanh(x*{i})" for i in range(90))
    assert_usage_error(capsys, ["graph", huge, "x=1", "--out", str(tmp_path / "g.svg")], "Values", "shorter")
    assert not (tmp_path / "g.svg").exists()


def test_graph_output_must_be_svg_png_or_pdf(capsys, tmp_path):
    assert_usage_error(capsys, ["graph", "x * 2", "x=1", "--out", str(tmp_path / "g.txt")], ".svg, .png or .pdf")


def test_graph_writes_a_pdf(tmp_path):
    assert main(["graph", "x * 2", "x=1", "--out", str(tmp_path / "g.pdf")]) == 0
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unwritable_output_directory(capsys, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert_usage_error(capsys, ["train", "--epochs", "1", "--out", str(locked / "sub")], "cannot create",
                           "sub")
        assert_usage_error(capsys, ["train", "--epochs", "1", "--out", str(locked)], "not writable")
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("argv, expected", [
    (["--save", "model.txt"], ["'model.txt'", ".json"]),
    (["--dataset", "blobs"], ["blobs has 3 classes", "cross_entropy"]),
    (["--lr", "1e9", "--loss", "mse", "--optimizer", "sgd", "--epochs", "50"], ["diverged", "smaller --lr"]),
])
def test_bad_training_runs(capsys, tmp_path, monkeypatch, argv, expected):
    monkeypatch.chdir(tmp_path)
    assert_usage_error(capsys, ["train", "--out", "out", "--no-progress", "--samples", "20", *argv], *expected)
    assert not (tmp_path / "model.txt").exists()


def test_output_path_that_is_a_file(capsys, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    assert_usage_error(capsys, ["demo", "--out", str(blocker)], "cannot create output directory", "file.txt")


@pytest.mark.parametrize("command", ["demo", "train", "graph", "gradcheck", "explain"])
def test_every_command_has_help(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert out.startswith(f"usage: autograd-nn {command}")


def test_gradcheck_prints_the_table_with_variable_names(capsys):
    status, out, err = run(capsys, "gradcheck", "tanh(w1*x1 + w2*x2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1",
                           "b=6.88")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[1].split()[:4] == ["input", "value", "analytic", "numeric"]
    rows = {line.split()[0]: line.split() for line in lines[2:7]}
    assert set(rows) == {"∂f/∂w1", "∂f/∂x1", "∂f/∂w2", "∂f/∂x2", "∂f/∂b"}
    assert all(row[-1] == "ok" for row in rows.values())
    assert float(rows["∂f/∂w1"][2]) == pytest.approx(2 * (1 - math.tanh(0.88) ** 2))  # x1·(1 - tanh²(z))
    assert "agree" in lines[-1]


def _subprocess_help(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent)


def test_installed_console_script_help():
    script = Path(sys.executable).with_name("autograd-nn")
    result = _subprocess_help([str(script), "--help"])
    assert result.returncode == 0, result.stderr
    for command in ("demo", "train", "graph", "gradcheck", "explain"):
        assert command in result.stdout


def test_python_dash_m_help():
    result = _subprocess_help([sys.executable, "-m", "autograd_nn", "--help"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: autograd-nn")
