"""gradcheck catches wrong derivatives, reports the right figures, and handles kinks and misuse clearly."""

import math

import pytest
from hypothesis import HealthCheck, find, given, settings

from autograd_nn import DomainError, Value, define_op, relu
from autograd_nn.testing import GradcheckError, compare_derivatives, format_table, gradcheck
from autograd_nn.testing.gradcheck import summary_line
from autograd_nn.testing.strategies import expressions

good_sin = define_op("sin", math.sin, lambda x, out: good_cos(x))
good_cos = define_op("cos", math.cos, lambda x, out: -good_sin(x))
bad_sin = define_op("sin", math.sin, lambda x, out: -good_cos(x))  # wrong sign: d/dx sin x = +cos x
# x² with a missing factor 2 in its derivative.
bad_square = define_op("square", lambda x: x * x, lambda x, out: x)
# cos with the wrong sign in *its* derivative: the first derivative of sin is right, the second is not.
cos_wrong_sign = define_op("cos", math.cos, lambda x, out: sin_of_bad_cos(x))
sin_of_bad_cos = define_op("sin", math.sin, lambda x, out: cos_wrong_sign(x))


def test_wrong_sign_is_caught_and_the_table_figures_are_right():
    x = 0.5
    with pytest.raises(GradcheckError) as info:
        gradcheck(bad_sin, [x])
    (row,) = info.value.rows
    assert row["input"] == "∂f/∂x0" and row["value"] == x and not row["ok"]
    assert row["analytic"] == pytest.approx(-math.cos(x), rel=1e-12)
    assert row["numeric"] == pytest.approx(math.cos(x), rel=1e-8)
    assert row["abs_err"] == pytest.approx(2 * math.cos(x), rel=1e-8)
    assert row["rel_err"] == pytest.approx(2.0, rel=1e-8)
    text = str(info.value)
    for figure in ("-0.87758256", "0.87758256", "1.76", "FAIL", "analytic", "numeric", "abs err", "rel err"):
        assert figure in text


def test_missing_factor_two_is_caught_but_only_where_it_matters():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: bad_square(a) + b * 3.0, [1.5, 2.0])
    first, second = info.value.rows
    assert (first["analytic"], first["ok"]) == (pytest.approx(1.5), False)
    assert first["numeric"] == pytest.approx(3.0, rel=1e-8)
    assert (second["analytic"], second["ok"]) == (pytest.approx(3.0), True)
    assert "1 of 2 derivative(s)" in str(info.value)


def test_raise_exception_false_returns_false():
    assert gradcheck(bad_sin, [0.3], raise_exception=False) is False
    assert gradcheck(good_sin, [0.3], raise_exception=False) is True


def test_wrong_second_derivative_is_caught_only_by_order_2():
    assert gradcheck(sin_of_bad_cos, [0.7], order=1)
    with pytest.raises(GradcheckError) as info:
        gradcheck(sin_of_bad_cos, [0.7], order=2)
    (first, second) = info.value.rows
    assert first["ok"] and not second["ok"]
    assert second["input"] == "∂²f/∂x0∂x0"
    assert second["analytic"] == pytest.approx(math.sin(0.7), rel=1e-9)
    assert second["numeric"] == pytest.approx(-math.sin(0.7), rel=1e-5)


def test_mixed_second_derivatives_are_checked():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: bad_square(x * y), [0.5, 2.0], order=2)
    names = [r["input"] for r in info.value.rows]
    assert names == ["∂f/∂x0", "∂f/∂x1", "∂²f/∂x0∂x0", "∂²f/∂x0∂x1", "∂²f/∂x1∂x0", "∂²f/∂x1∂x1"]
    assert gradcheck(lambda x, y: (x * y).tanh() + x ** 3 / y, [0.5, 2.0], order=2)


def test_kink_rule_accepts_a_one_sided_derivative_and_rejects_others():
    assert gradcheck(relu, [0.0], order=1)  # relu'(0) = 0, between the one-sided 0 and 1
    abs_op = define_op("abs_", abs, lambda x, out: 0.0 * x)  # subgradient 0 at 0 ...
    assert gradcheck(abs_op, [0.0])
    with pytest.raises(GradcheckError):
        gradcheck(abs_op, [0.5])  # ... but wrong away from the kink
    steep = define_op("steep", lambda x: max(x, 0.0), lambda x, out: 2.0 + 0.0 * x)
    with pytest.raises(GradcheckError):
        gradcheck(steep, [0.0])  # 2 is outside [0, 1]


def test_inputs_may_be_values_or_numbers():
    assert gradcheck(lambda x, y: x * y, [Value(2.0), 3])
    assert gradcheck(lambda x: x.exp(), 0.5)


def test_f_must_return_a_value():
    with pytest.raises(TypeError, match=r"f must return a Value, got float 2\.0"):
        gradcheck(lambda x: 2.0, [1.0])
    with pytest.raises(TypeError, match="f must return a Value, got list"):
        gradcheck(lambda x: [x], [1.0])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="order must be 1 or 2, got 3"):
        gradcheck(good_sin, [1.0], order=3)
    with pytest.raises(ValueError, match="eps must be > 0"):
        gradcheck(good_sin, [1.0], eps=0.0)
    with pytest.raises(TypeError, match="input 1 must be a number or a Value, got str 'a'"):
        gradcheck(lambda x, y: x, [1.0, "a"])
    with pytest.raises(ValueError, match="at least one"):
        gradcheck(good_sin, [])


def test_domain_error_while_perturbing_names_the_point():
    with pytest.raises(DomainError, match=r"gradcheck at \[0\.0\].*sqrt"):
        gradcheck(lambda x: x.sqrt(), [0.0])


def test_expressions_property_finds_the_wrong_derivative_and_shrinks_it():
    def wrong(e):
        return not gradcheck(e, e.inputs, raise_exception=False)

    smallest = find(expressions(ops=[bad_sin]), wrong,
                    settings=settings(database=None, max_examples=500, suppress_health_check=list(HealthCheck)))
    assert str(smallest) == "sin(x0)"
    assert smallest.n_inputs == 1 and len(smallest.program.equations) == 1

    smallest = find(expressions(ops=[bad_square]), wrong,
                    settings=settings(database=None, max_examples=500, suppress_health_check=list(HealthCheck)))
    assert str(smallest) == "square(x0)"


@given(expressions(ops=[good_sin, good_cos]))
def test_the_correct_version_passes_the_same_property(e):
    assert gradcheck(e, e.inputs, order=2)


def test_failing_property_reports_a_readable_falsifying_expression():
    @settings(database=None, max_examples=200)
    @given(expressions(ops=[bad_sin]))
    def check(e):
        assert gradcheck(e, e.inputs)

    with pytest.raises(GradcheckError) as info:
        check()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "<sin(x0) at x0=" in notes


def test_compare_derivatives_gives_the_rows_of_a_passing_check():
    from autograd_nn.testing import compare_derivatives, format_table
    rows = compare_derivatives(lambda x, y: x * y, [2.0, 3.0], order=2)
    assert [r["input"] for r in rows] == ["∂f/∂x0", "∂f/∂x1", "∂²f/∂x0∂x0", "∂²f/∂x0∂x1", "∂²f/∂x1∂x0",
                                          "∂²f/∂x1∂x1"]
    assert [r["analytic"] for r in rows] == [3.0, 2.0, 0.0, 1.0, 1.0, 0.0]
    assert all(r["ok"] for r in rows)
    table = format_table(rows).splitlines()
    assert table[0].split() == ["input", "value", "analytic", "numeric", "abs", "err", "rel", "err"]
    assert table[1].split()[:3] == ["∂f/∂x0", "2", "3"] and table[1].endswith("ok")


def test_rows_passed_only_by_the_kink_rule_are_marked_kink_and_summarised_as_such():
    from autograd_nn import step
    from autograd_nn.testing.gradcheck import compare_derivatives, format_table, summary_line

    rows = compare_derivatives(lambda x: step(x), [0.0])  # a jump: abs err 5e+05, shown as "ok" before
    (row,) = rows
    assert row["ok"] and row["kink"] and row["abs_err"] > 1e5
    assert format_table(rows).splitlines()[1].split()[-1] == "kink"
    assert summary_line(rows) == ("passed: 1 of 1 derivative(s) accepted by the one-sided rule at a kink (∂f/∂x0): "
                                  "f is not differentiable there, and the analytic value lies between the left and "
                                  "right difference quotients")

    rows = compare_derivatives(lambda x, y: relu(x) * y, [0.0, 2.0])
    assert [(r["ok"], r["kink"]) for r in rows] == [(True, True), (True, False)]
    assert [line.split()[-1] for line in format_table(rows).splitlines()[1:]] == ["kink", "ok"]
    assert summary_line(rows).startswith("passed: 1 of 2 derivative(s) accepted by the one-sided rule at a kink "
                                         "(∂f/∂x0)")
    assert summary_line(rows).endswith("; the other 1 agree with finite differences")


def test_summary_line_without_kinks_and_with_failures():
    from autograd_nn.testing.gradcheck import compare_derivatives, format_table, summary_line

    rows = compare_derivatives(lambda x, y: x * y, [2.0, 3.0])
    assert not any(r["kink"] for r in rows)
    assert summary_line(rows) == "passed: all 2 derivative(s) agree with finite differences"
    steep = define_op("steep", lambda x: max(x, 0.0), lambda x, out: 2.0 + 0.0 * x)  # 2 outside [0, 1]
    rows = compare_derivatives(lambda x, y: steep(x) + relu(y), [0.0, 0.0])
    assert [(r["ok"], r["kink"]) for r in rows] == [(False, True), (True, True)]
    assert [line.split()[-1] for line in format_table(rows).splitlines()[1:]] == ["FAIL", "kink"]
    assert summary_line(rows) == ("failed: 1 of 2 derivative(s) disagree with finite differences; "
                                  "1 accepted by the one-sided rule at a kink (∂f/∂x1)")


def test_a_mixed_second_derivative_row_shows_both_variables_values():
    rows = compare_derivatives(lambda x, y: x * x * y, [0.5, -1.25], order=2)
    mixed = {r["input"]: r for r in rows}
    assert mixed["∂²f/∂x0∂x1"]["point"] == (0.5, -1.25) and mixed["∂²f/∂x1∂x0"]["point"] == (-1.25, 0.5)
    assert "point" not in mixed["∂²f/∂x0∂x0"]
    lines = {line.split()[0]: line for line in format_table(rows).splitlines()[1:]}
    assert lines["∂²f/∂x0∂x1"].split()[1:3] == ["0.5,", "-1.25"]
    assert lines["∂²f/∂x0∂x0"].split()[1] == "0.5" and lines["∂²f/∂x1∂x1"].split()[1] == "-1.25"


def test_a_probe_outside_the_domain_is_retried_and_the_row_says_with_which_step():
    rows = compare_derivatives(lambda x: x.sqrt(), [1e-9])
    (row,) = rows
    assert row["ok"] and not row["kink"] and row["step"] < 1e-9
    assert "left f's domain" in row["note"] and "sqrt(" in row["note"]
    assert summary_line(rows).startswith("passed: all 1 derivative(s) agree") and row["note"] in summary_line(rows)
    assert gradcheck(lambda x: x.sqrt(), [1e-9])


def test_rows_checked_with_the_given_step_carry_no_note():
    rows = compare_derivatives(lambda x, y: (x * y).tanh(), [0.3, -0.7], order=2)
    assert all(r["step"] == 1e-6 and r["note"] is None for r in rows)
