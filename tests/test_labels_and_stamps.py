"""A label shares its slot with the write stamp (five slots a node): labels behave as an attribute, and stale-graph
detection works the same for labelled and unlabelled Values."""

import sys

import pytest

from autograd_nn.engine import StaleGraphError, Value, assign, grad
from autograd_nn.engine.value import stamp


def test_a_node_is_five_slots():
    assert len(Value.__slots__) == 5 and sys.getsizeof(Value(1.5)) <= 72  # 64-bit CPython: 72 with its GC header
    assert not hasattr(Value(1.0), "__dict__")


def test_label_reads_and_writes_as_an_attribute():
    x = Value(2.0, label="x")
    assert x.label == "x" and Value(1.0).label == ""
    x.label = "w₁"
    assert x.label == "w₁" and repr(x) == "Value(data=2.0, grad=0.0, label='w₁')"
    x.label = ""
    assert x.label == "" and type(x._t) is int
    with pytest.raises(TypeError, match="label must be a str"):
        x.label = 3
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=None)


def test_a_label_survives_assignments_and_the_stamp_moves():
    x, y = Value(2.0, label="x"), Value(3.0)
    before = stamp(x)
    x.data = 5.0
    assert x.label == "x" and stamp(x) > before
    assign([x, y], [6.0, 7.0])
    assert x.label == "x" and y.label == "" and stamp(x) == stamp(y) > before


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
