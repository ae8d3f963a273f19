"""The engine: `Value`, the op table and the chain rule. Everything else in autograd_nn is built on it.

Its modules, bottom to top: ``errors``, ``checks`` (the one finite-number check), ``arithmetic`` (the one left
fold), ``clock`` (the write clock); ``ops`` (the op table); ``autodiff`` (the topological order and the one
chain-rule walk); ``value`` (``Value``, which records ops and calls the walk in ``backward()`` and ``grad()``).
"""

from .autodiff import Visit, check_fresh, local_derivatives, topological_order, walk
from .errors import DomainError, RedefinedOpWarning, StaleGraphError
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
from .value import Value, assign, backward, grad, write_clock, write_stamps, zero_grad

__all__ = [
    "Value", "assign", "write_clock", "write_stamps", "zero_grad", "Visit", "backward", "check_fresh", "grad",
    "local_derivatives", "topological_order", "walk",
    "DomainError", "RedefinedOpWarning", "StaleGraphError", "BUILTIN_OPS", "FUNCTIONS", "Domain", "Op", "define_op",
    "sum_of", "weighted_sum",
    "absolute", "eq", "exp", "gt", "log", "lt", "maximum", "minimum", "relu", "sigmoid", "softplus", "sqrt", "step",
    "tanh",
]
