"""What every exercise's grader shares: loading a student file, the result of one exercise, and the helpers
that turn a student's derivative into a gradcheck table and a Hypothesis search for the smallest failing case."""

from __future__ import annotations

import importlib.util
import math
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from ..engine import RedefinedOpWarning, define_op
from ..testing.gradcheck import compare_derivatives, format_table

SEARCH = settings(database=None, max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


class NotDone(Exception):
    """A student function still raises NotImplementedError (its TODO)."""


@dataclass
class Result:
    """One exercise graded: ``passed``, the ``report`` (gradcheck table, check_backprop diagnosis or the numbers
    compared), the ``smallest`` failing case Hypothesis found (or ""), and the exercise's ``hint``."""

    name: str
    title: str
    passed: bool
    report: str
    smallest: str
    hint: str

    def __str__(self) -> str:
        lines = [f"{'PASSED' if self.passed else 'FAILED'}  {self.name}: {self.title}"]
        if not self.passed:
            lines += ["    " + line for line in self.report.splitlines()]
            if self.smallest:
                lines.append(f"    smallest failing case (Hypothesis): {self.smallest}")
            lines.append(f"    hint: {self.hint}")
        return "\n".join(lines)


def load(path: Path) -> ModuleType:
    """Import a student file by its path (a fresh module each time)."""
    name = f"_autograd_nn_exercise_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop(name, None)
    spec.loader.exec_module(module)
    return module


def student_error(exc: BaseException) -> str:
    """A student's exception in one line, with the line of their file it came from."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "_autograd_nn_exercise" not in f.filename]
    where = f" (line {frames[-1].lineno}: {(frames[-1].line or '').strip()})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def call(f: Callable[..., Any], *args: Any) -> Any:
    """f(*args), with a TODO (NotImplementedError) turned into NotDone."""
    try:
        return f(*args)
    except NotImplementedError as exc:
        raise NotDone(str(exc) or "TODO") from None


def not_done(report: Any) -> None:
    """Raise NotDone when check_backprop's report says the learner's function is still a TODO."""
    d = report.diagnosis
    if d is not None and d.kind == "raised" and "NotImplementedError" in d.what:
        raise NotDone(d.what)


def op_table(name: str, forward: Callable[..., float], derivative: Callable[..., Any],
             point: Sequence[float], **op_options: Any) -> tuple[bool, str]:
    """The student's ``derivative`` as a define_op rule, gradcheck'ed at ``point``: (all ok, the table). The op is
    named your_<name> (a built-in's name is taken), made afresh at each check (no redefinition warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RedefinedOpWarning)
        op = define_op(f"your_{name}", forward, derivative, **op_options)
    rows = compare_derivatives(lambda *xs: op(*xs), list(point))
    return all(r["ok"] for r in rows), format_table(rows)


def smallest(strategy: st.SearchStrategy[Any], fails: Callable[[Any], bool]) -> Any | None:
    """The smallest example of ``strategy`` that ``fails``, as Hypothesis shrinks it (None when none is found)."""
    def failing(example: Any) -> bool:
        try:
            return bool(fails(example))
        except NotDone:
            return True
        except Exception:  # the student's code raising is a failure too
            return True

    try:
        return find(strategy, failing, settings=SEARCH)
    except NoSuchExample:
        return None


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi]."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    return math.isfinite(a) and abs(a - b) <= abs_ + rel * abs(b)
