"""The engine: `Value`, the op table and the chain rule. Everything else in autograd_nn is built on it."""

from .value import Value, assign, write_clock, zero_grad  # first: ops and autodiff import Value
from .autodiff import Visit, backward, check_fresh, grad, local_derivatives, topological_order, walk
from .errors import DomainError, StaleGraphError
from .ops import (
    BUILTIN_OPS,
    FUNCTIONS,
    Domain,
    Op,
    absolute,
    define_op,
    eq,
    exp,
    gt,
    log,
    lt,
    maximum,
    minimum,
    relu,
    sigmoid,
    softplus,
    sqrt,
    step,
    sum_of,
    tanh,
    weighted_sum,
)

__all__ = [
    "Value", "assign", "write_clock", "zero_grad", "Visit", "backward", "check_fresh", "grad", "local_derivatives",
    "topological_order", "walk",
    "DomainError", "StaleGraphError", "BUILTIN_OPS", "FUNCTIONS", "Domain", "Op", "define_op", "sum_of", "weighted_sum",
    "absolute", "eq", "exp", "gt", "log", "lt", "maximum", "minimum", "relu", "sigmoid", "softplus", "sqrt", "step",
    "tanh",
]
