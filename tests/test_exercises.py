"""The exercises: init writes stubs without solutions; check grades untouched stubs as failing with their hints
and the solutions as passing; a wrong answer gets its report and Hypothesis's smallest failing case."""

import subprocess
import sys

import pytest

from autograd_nn import exercises
from autograd_nn.cli import main


def test_untouched_stubs_all_fail_with_their_hints(tmp_path, capsys):
    assert main(["exercises", "init", str(tmp_path)]) == 0
    for name in exercises.NAMES:
        text = (tmp_path / f"{name}.py").read_text()
        assert "TODO" in text and "Hints:" in text
        assert exercises.EXERCISES[name].SOLUTION.strip() not in text  # no solution in a student file
    capsys.readouterr()
    assert main(["exercises", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    for name in exercises.NAMES:
        assert f"FAILED  {name}" in out
        assert f"hint: {exercises.EXERCISES[name].HINT}" in out
    assert "0 of 6 exercises passed" in out


def test_the_solutions_all_pass(tmp_path, capsys):
    exercises.init(tmp_path, solutions=True)
    assert main(["exercises", "check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert all(f"PASSED  {name}" in out for name in exercises.NAMES) and "6 of 6" in out


def test_pytest_grades_the_folder(tmp_path):
    exercises.init(tmp_path, solutions=True)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "6 passed" in result.stdout


@pytest.mark.parametrize(("name", "old", "new", "expected"), [
    ("c_backward", "parent.grad += local", "parent.grad = local", "smallest failing case (Hypothesis): f ="),
    ("a_local_derivatives", "return out * (1 - out)", "return out * (1 + out)", "FAIL"),
    ("f_gradient_descent", "        delta = (weights[k].T @ delta)",
     "        weights[k] -= lr * (delta @ A[k].T)\n        delta = (weights[k].T @ delta)", "updated_weights"),
])
def test_a_wrong_answer_gets_a_report(tmp_path, name, old, new, expected):
    exercises.init(tmp_path, solutions=True)
    path = tmp_path / f"{name}.py"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    result = exercises.grade_file(tmp_path, name)
    assert not result.passed and expected in str(result)
    assert result.smallest


def test_solutions_are_printed_and_init_refuses_to_overwrite(tmp_path, capsys):
    assert main(["exercises", "--solutions"]) == 0
    assert "def backward(root)" in capsys.readouterr().out
    exercises.init(tmp_path)
    assert main(["exercises", "init", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
