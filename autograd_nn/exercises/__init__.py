"""Exercises that grade themselves: student files with the task, hints and TODO, and a grader per exercise.

    autograd-nn exercises init DIR      write the student files (stubs: no solutions) and DIR/test_exercises.py
    autograd-nn exercises check DIR     grade them: passed / failed, the gradcheck table or check_backprop's
                                        diagnosis, the smallest failing case Hypothesis found, and a hint
    pytest DIR                          the same grading, one test per exercise
    autograd-nn exercises --solutions   print the solutions (they live here, in the package, never in DIR)

The exercises: (a) local derivatives as define_op rules, (b) one sigmoid neuron by hand (Jakobsen's worked example),
(c) backward() on a minimal Node class, (d) the δ recursion of a two-layer network (after Shen and Punnen), (e)
softmax + cross-entropy (after Sai), (f) gradient descent over n samples with the 1/n of “Machine learning on
biology S2”.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from . import (
    ex_a_local_derivatives,
    ex_b_one_neuron,
    ex_c_backward,
    ex_d_two_layer,
    ex_e_softmax_cross_entropy,
    ex_f_gradient_descent,
)
from .grading import NotDone, Result, load, student_error

EXERCISES: dict[str, ModuleType] = {m.NAME: m for m in (
    ex_a_local_derivatives, ex_b_one_neuron, ex_c_backward, ex_d_two_layer, ex_e_softmax_cross_entropy,
    ex_f_gradient_descent)}
NAMES = list(EXERCISES)
PYTEST_FILE = "test_exercises.py"
_PYTEST = '''"""pytest DIR grades every exercise of this folder (autograd-nn exercises check DIR prints the same)."""

from pathlib import Path

import pytest

from autograd_nn.exercises import NAMES, grade_file


@pytest.mark.parametrize("name", NAMES)
def test_exercise(name):
    result = grade_file(Path(__file__).parent, name)
    assert result.passed, str(result)
'''


def file_text(name: str, solution: bool = False) -> str:
    """The text of an exercise's file: its task and hints, then the stub (TODO) or, with solution=True, the
    solution."""
    ex = EXERCISES[name]
    hints = "".join(f"\n  - {h}" for h in ex.HINTS)
    head = (f'"""Exercise {name[0]}: {ex.TITLE}.\n\n{ex.TASK}\n\nHints:{hints}\n\n'
            f'Check it: autograd-nn exercises check . (or pytest .)\n"""\n')
    return head + (ex.SOLUTION if solution else ex.STUB)


def init(directory: str | Path, solutions: bool = False, force: bool = False) -> list[Path]:
    """Write one file per exercise (stubs; the solutions with solutions=True) and test_exercises.py into
    ``directory``. Refuses to overwrite a file unless ``force``. Returns the paths written."""
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"exercises init: {out} exists and is not a directory")
    targets = {out / f"{name}.py": file_text(name, solutions) for name in NAMES}
    targets[out / PYTEST_FILE] = _PYTEST
    existing = [str(p) for p in targets if p.exists()]
    if existing and not force:
        raise FileExistsError(f"exercises init: would overwrite {', '.join(existing)} (use --force)")
    out.mkdir(parents=True, exist_ok=True)
    for path, text in targets.items():
        path.write_text(text, encoding="utf-8")
    return list(targets)


def grade_file(directory: str | Path, name: str) -> Result:
    """Grade one exercise's file in ``directory``."""
    if name not in EXERCISES:
        raise ValueError(f"exercises: no exercise {name!r}; expected one of {NAMES}")
    ex = EXERCISES[name]
    path = Path(directory) / f"{name}.py"
    if not path.is_file():
        return Result(name, ex.TITLE, False, f"{path} is missing (autograd-nn exercises init DIR writes it)", "",
                      ex.HINT)
    try:
        module = load(path)
        passed, report, found = ex.grade(module)
    except NotDone as exc:
        return Result(name, ex.TITLE, False, f"not done yet: {exc}", "", ex.HINT)
    except Exception as exc:  # the student's code: its error is the report
        return Result(name, ex.TITLE, False, f"your code raised {student_error(exc)}", "", ex.HINT)
    return Result(name, ex.TITLE, passed, report, found, ex.HINT)


def check(directory: str | Path, names: list[str] | None = None) -> list[Result]:
    """Grade every exercise (or the named ones) in ``directory``."""
    return [grade_file(directory, name) for name in (names or NAMES)]


def solutions(names: list[str] | None = None) -> str:
    """The solutions, as a teacher prints them."""
    return "\n\n".join(f"# ===== {name}.py =====\n{file_text(name, solution=True)}" for name in (names or NAMES))


__all__ = ["EXERCISES", "NAMES", "Result", "check", "file_text", "grade_file", "init", "solutions"]
