"""autograd_nn: a scalar autograd engine for learning, teaching and checking backpropagation.

``Value`` records every operation; ``backward()`` applies the chain rule through the recorded graph;
``grad(..., create_graph=True)`` gives derivatives that can be differentiated again.
"""

from .engine import (
    BUILTIN_OPS,
    DomainError,
    Op,
    Value,
    define_op,
    exp,
    grad,
    log,
    relu,
    sigmoid,
    sqrt,
    step,
    tanh,
    topological_order,
    weighted_sum,
    zero_grad,
)

__version__ = "0.1.0"

__all__ = [
    "BUILTIN_OPS", "DomainError", "Op", "Value", "define_op", "exp", "grad", "log", "relu", "sigmoid", "sqrt",
    "step", "tanh", "topological_order", "weighted_sum", "zero_grad", "__version__",
]
