"""engine.assign: many .data assignments as one, checked first, all or nothing (optimizers step with it)."""

import numpy as np
import pytest

from autograd_nn.engine import StaleGraphError, Value, assign, grad, write_clock, write_stamps


def test_assigns_every_value_and_ticks_the_clock():
    xs = [Value(1.0), Value(2.0), Value(3.0)]
    before = write_clock()
    assign(xs, [4.0, 5, np.float64(6.5)])
    assert [x.data for x in xs] == [4.0, 5.0, 6.5]
    assert all(type(x.data) is float for x in xs)
    assert write_clock() > before


def test_write_stamps_show_which_values_were_assigned_since_a_time():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    d = a * b  # making a node reads the clock: not an assignment
    t = write_clock()
    assert all(s <= t for s in write_stamps([a, b, c, d]))
    b.data = 5.0
    assign([c], [6.0])
    assert [s > t for s in write_stamps([a, b, c, d])] == [False, True, True, False]
    assert write_stamps(x for x in [a]) == write_stamps([a])  # any iterable


@pytest.mark.parametrize("bad, match", [(float("nan"), r"numbers\[1\].*finite"), (float("inf"), r"numbers\[1\]"),
                                        ("2.0", r"numbers\[1\].*str"), (True, r"numbers\[1\].*bool"),
                                        (10**400, r"numbers\[1\].*too large")])
def test_a_bad_number_is_named_and_nothing_is_written(bad, match):
    xs = [Value(1.0), Value(2.0), Value(3.0)]
    with pytest.raises((ValueError, TypeError), match=match):
        assign(xs, [7.0, bad, 8.0])
    assert [x.data for x in xs] == [1.0, 2.0, 3.0]


def test_refuses_what_is_not_a_value_and_a_length_mismatch():
    with pytest.raises(TypeError, match=r"values\[1\] is float"):
        assign([Value(1.0), 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="2 Values but 1 numbers"):
        assign([Value(1.0), Value(2.0)], [1.0])


def test_an_assigned_leaf_makes_its_old_graph_stale():
    x, w = Value(2.0), Value(3.0)
    y = x * w
    assign([x], [4.0])
    with pytest.raises(StaleGraphError):
        grad(y, [x])
    assert grad(x * w, [x]) == [3.0]  # a graph built after the assignment is fine
