"""One chain rule: every consumer of "the gradient at each node" gives the same derivatives, or the same error.

The consumers: ``backward()``, ``grad()``, ``grad(create_graph=True)``, the Tape, ``explain``'s total, the
highlight legend's total (``draw_graph(highlight=x).chain_total``), and the sums of ``backward_steps``'
contributions. They are run on random expressions over every built-in op plus user-defined ops, and on the
edge cases that once split them (an undefined derivative behind a zero gradient, a regrouped sum).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_nn import DomainError, Value, define_op, grad, log, relu
from autograd_nn.tape import Tape
from autograd_nn.testing.strategies import DEFAULT_OPS, expressions
from autograd_nn.viz import backward_steps, draw_graph, explain

# User-defined ops, derivatives written with ops so they also serve create_graph and the tape.
SIN = define_op("sin", math.sin, lambda x, out: COS(x))
COS = define_op("cos", math.cos, lambda x, out: -SIN(x))
CUBE = define_op("cube", lambda x: x * x * x, lambda x, out: 3.0 * x * x)
HYPOT = define_op("hypot", lambda a, b: math.hypot(a, b), lambda a, b, out: (a / out, b / out))
USER_OPS = [SIN, COS, CUBE, HYPOT]

Outcome = list[float] | str  # the derivatives, or the DomainError's message


def _outcome(run: Callable[[], list[float]]) -> Outcome:
    try:
        return [float(g) for g in run()]
    except DomainError as exc:
        return f"DomainError: {exc}"


def consumers(build: Callable[[], tuple[Value, list[Value]]]) -> dict[str, Outcome]:
    """Each consumer on its own fresh copy of the graph (so no one sees another's .grad)."""

    def by_backward() -> list[float]:
        out, xs = build()
        out.backward()
        return [x.grad for x in xs]

    def by_grad() -> list[float]:
        out, xs = build()
        return grad(out, xs)

    def by_create_graph() -> list[float]:
        out, xs = build()
        return [g.data for g in grad(out, xs, create_graph=True)]

    def by_tape() -> list[float]:
        out, xs = build()
        tape = Tape(out)
        tape.forward()
        tape.backward()
        return [x.grad for x in xs]

    def by_explain() -> list[float]:
        out, xs = build()
        return [explain(out, x).total for x in xs]

    def by_legend() -> list[float]:
        out, xs = build()
        totals = [draw_graph(out, highlight=x, max_nodes=10_000).chain_total for x in xs]
        return [t for t in totals if t is not None]

    def by_steps() -> list[float]:
        out, xs = build()
        sent: dict[Value, float] = {}
        for step in backward_steps(out):
            for c in step.contributions:
                sent[c.parent] = sent.get(c.parent, 0.0) + c.contribution
        return [1.0 if x is out else sent.get(x, 0.0) for x in xs]

    runs = {"backward": by_backward, "grad": by_grad, "create_graph": by_create_graph, "tape": by_tape,
            "explain": by_explain, "legend": by_legend, "steps": by_steps}
    return {name: _outcome(run) for name, run in runs.items()}


def assert_agree(results: dict[str, Outcome]) -> None:
    reference = results["backward"]
    for name, got in results.items():
        if isinstance(reference, str) or isinstance(got, str):
            assert got == reference, f"{name}: {got!r} but backward: {reference!r}"
        elif name == "tape":  # numpy may round a left-to-right sum differently only in the last bits
            assert len(got) == len(reference)
            for g, r in zip(got, reference):
                assert math.isclose(g, r, rel_tol=1e-12, abs_tol=1e-12), f"tape: {got} but backward: {reference}"
        else:  # the same walk: the same floats, bit for bit
            assert got == reference, f"{name}: {got} but backward: {reference}"


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(expressions(max_depth=4, max_leaves=3),
                 expressions(ops=list(DEFAULT_OPS) + USER_OPS, max_depth=4, max_leaves=3)))
def test_every_consumer_gives_the_same_derivatives(e) -> None:  # noqa: ANN001
    def build() -> tuple[Value, list[Value]]:
        xs = [Value(x, label=f"x{i}") for i, x in enumerate(e.point)]
        return e(*xs), xs

    assert_agree(consumers(build))


def _sqrt_behind_zero() -> tuple[Value, list[Value]]:
    x = Value(0.0, label="x")
    return x.sqrt() * 0 + x, [x]


def _relu_of_right_grouped_sum() -> tuple[Value, list[Value]]:
    x, y, z = Value(1.0, label="x"), Value(-1.0, label="y"), Value(1e-17, label="z")
    return relu(x + (y + z)), [x, y, z]


def _log_of_right_grouped_sum() -> tuple[Value, list[Value]]:
    a, b, c = Value(1e-17, label="a"), Value(1.0, label="b"), Value(-1.0, label="c")
    return log(a + (b + c)), [a, b, c]


def _sqrt_at_zero() -> tuple[Value, list[Value]]:
    x = Value(0.0, label="x")
    return x.sqrt() * 2 + x, [x]


def _log_gradient_overflow() -> tuple[Value, list[Value]]:
    x = Value(1e-310, label="x")
    return x.log() + x, [x]


def _nan_derivative() -> tuple[Value, list[Value]]:
    bad = define_op("bad", lambda x: 2 * x, lambda x, out: math.nan)
    x = Value(1.0, label="x")
    return bad(x) * 3 + x, [x]


def _sum_then_dead_relu() -> tuple[Value, list[Value]]:
    xs = [Value(float(v), label=f"x{i}") for i, v in enumerate([-1.0, 0.25, 0.5])]
    return relu(sum(xs)) + xs[0] * 2, xs


@pytest.mark.parametrize("build, expected", [
    (_sqrt_behind_zero, [1.0]),
    (_relu_of_right_grouped_sum, [0.0, 0.0, 0.0]),
    (_log_of_right_grouped_sum, [1e17, 1e17, 1e17]),
    (_sqrt_at_zero, "derivative of sqrt(0.0)"),
    (_log_gradient_overflow, "derivative of log(1e-310): inf is not a finite number (overflow)"),
    (_nan_derivative, "derivative of bad(1.0): nan is not a finite number"),
    (_sum_then_dead_relu, [2.0, 0.0, 0.0]),
])
def test_edge_cases_agree_in_every_consumer(build, expected) -> None:  # noqa: ANN001
    results = consumers(build)
    assert_agree(results)
    if isinstance(expected, str):
        assert isinstance(results["backward"], str) and expected in results["backward"]
    else:
        assert results["backward"] == pytest.approx(expected, rel=1e-12)


def test_the_log_of_a_right_grouped_sum_is_evaluated_as_written() -> None:
    out, _ = _log_of_right_grouped_sum()
    tape = Tape(out)
    assert tape.forward() == out.data == pytest.approx(math.log(1e-17))
