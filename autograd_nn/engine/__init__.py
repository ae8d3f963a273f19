"""The engine: `Value`, the op table and the chain rule. Everything else in autograd_nn is built on it."""

from .value import Value, zero_grad  # first: ops and autodiff import Value
from .autodiff import backward, grad, local_derivatives, topological_order
from .errors import DomainError
from .ops import (
    BUILTIN_OPS,
    Op,
    define_op,
    exp,
    log,
    relu,
    sigmoid,
    sqrt,
    step,
    tanh,
    weighted_sum,
)

__all__ = [
    "Value", "zero_grad", "backward", "grad", "local_derivatives", "topological_order", "DomainError",
    "BUILTIN_OPS", "Op", "define_op", "exp", "log", "relu", "sigmoid", "sqrt", "step", "tanh", "weighted_sum",
]
