"""(e) The gradient of softmax + cross-entropy with respect to the logits (after Sai)."""

from __future__ import annotations

import math
from types import ModuleType

from hypothesis import strategies as st

from .grading import call, op_table, smallest
from .grading import floats as _floats

NAME = "e_softmax_cross_entropy"
TITLE = "softmax + cross-entropy's gradient with respect to the logits"
HINT = "p = softmax(z) (subtract max(z) before exp), then ∂C/∂zⱼ = pⱼ − [j = k]: the probabilities minus the one-hot"
TASK = """\
For logits z (a list), p = softmax(z), pⱼ = e^(zⱼ) / Σₗ e^(zₗ), and the cross-entropy of the true class k,
C = −log pₖ (Jyotir Sai, “Deriving Neural Networks”, derives it). Return ∂C/∂z as a list, one entry per logit.
The grader turns your gradient into a define_op rule and runs gradcheck on it."""
HINTS = ["differentiate log Σₗ e^(zₗ) − zₖ, which is C written out", "the answer has a very short form"]
STUB = '''
import math


def cross_entropy_gradient(z, k):
    """∂C/∂z for C = −log softmax(z)[k]."""
    raise NotImplementedError("TODO: cross_entropy_gradient")
'''
SOLUTION = '''
import math


def cross_entropy_gradient(z, k):
    """∂C/∂z for C = −log softmax(z)[k]."""
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return [ej / total - (1.0 if j == k else 0.0) for j, ej in enumerate(e)]
'''


def _cost(k: int):
    def f(*z: float) -> float:
        top = max(z)
        return top + math.log(sum(math.exp(v - top) for v in z)) - z[k]
    return f


def _check(module: ModuleType, z: list[float], k: int) -> tuple[bool, str]:
    def rule(*args: float) -> tuple[float, ...]:
        return tuple(float(v) for v in call(module.cross_entropy_gradient, list(args[:-1]), k))
    return op_table("cross_entropy", _cost(k), rule, z, arity=len(z))


_CASE = st.integers(2, 4).flatmap(lambda n: st.tuples(st.lists(_floats(-4, 4), min_size=n, max_size=n),
                                                        st.integers(0, n - 1)))


def grade(module: ModuleType) -> tuple[bool, str, str]:
    for z, k in (([2.0, 1.0, 0.1], 0), ([0.5, -1.0, 3.0, 0.0], 2), ([1.0, 1.0], 1)):
        ok, table = _check(module, z, k)
        if not ok:
            found = smallest(_CASE, lambda c: not _check(module, list(c[0]), c[1])[0])
            return False, f"z = {z}, k = {k} (gradcheck):\n{table}", "" if found is None else f"(z, k) = {found}"
    return True, "cross_entropy_gradient passes gradcheck on 2, 3 and 4 logits", ""
