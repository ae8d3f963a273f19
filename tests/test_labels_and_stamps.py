"""Labels behave as an attribute, and stale-graph detection works the same for labelled and unlabelled Values."""

import pytest

from autograd_nn.engine import StaleGraphError, Value, assign, grad


def test_label_reads_and_writes_as_an_attribute():
    x = Value(2.0, label="x")
    assert x.label == "x" and Value(1.0).label == ""
    x.label = "w₁"
    assert x.label == "w₁" and repr(x) == "Value(data=2.0, grad=0.0, label='w₁')"
    x.label = ""
    assert x.label == "" and repr(x) == "Value(data=2.0, grad=0.0)"
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=None)


def test_a_label_survives_assignments_and_an_assignment_makes_older_graphs_stale():
    x, y = Value(2.0, label="x"), Value(3.0)
    before = x * y
    x.data = 5.0
    assert x.label == "x"
    with pytest.raises(StaleGraphError, match="'x'"):
        before.backward()
    again = x * y
    assign([x, y], [6.0, 7.0])
    assert x.label == "x" and y.label == "" and (x.data, y.data) == (6.0, 7.0)
    with pytest.raises(StaleGraphError, match="'x'"):
        again.backward()
    assert grad(x * y, [x, y]) == [7.0, 6.0]


@pytest.mark.parametrize("labelled", [False, True])
def test_stale_graphs_are_found_with_or_without_labels(labelled):
    x = Value(2.0, label="x" if labelled else "")
    w = Value(3.0)
    y = x * w
    if labelled:
        y.label = "y"
    assert grad(y, [x, w]) == [3.0, 2.0]  # fresh: labelled op nodes too
    x.data = 4.0
    with pytest.raises(StaleGraphError, match="'x'" if labelled else "a leaf"):
        grad(y, [x])
    z = x * w
    z.label = "z"
    z.backward()
    assert x.grad == 3.0
