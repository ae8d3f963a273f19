"""The exceptions (and the one warning) the engine adds to Python's own."""


class DomainError(ValueError):
    """An operation was asked for a value outside its domain, or its result would not be a finite float.

    Raised instead of returning NaN, ±inf or a complex number, in the forward pass (``log(-2.0)``) and in the
    backward pass (the derivative of ``0.0 ** 0.5``). The message names the operation and its operands.
    """


class StaleGraphError(ValueError):
    """A graph is differentiated after a Value in it was given new ``.data``.

    The nodes computed from that Value still hold numbers computed from its old data, so any gradient would be
    a mix of two points. Build the expression again from the new data (a Tape: call ``forward()`` first).
    """


class RedefinedOpWarning(UserWarning):
    """define_op was given a name an earlier define_op call already used: the two ops print alike (in pictures,
    messages and saved models) though they may compute different things."""
