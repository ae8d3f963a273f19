"""autograd_nn: a scalar autograd engine for learning, teaching and checking backpropagation.

``Value`` records every operation; ``backward()`` applies the chain rule through the recorded graph;
``grad(..., create_graph=True)`` gives derivatives that can be differentiated again.
"""

from . import data, losses, optim, train, viz  # viz also lets a notebook show a Value as its graph
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
from .nn import MLP, Layer, Neuron
from .testing import GradcheckError, gradcheck  # testing imports only the engine: no cycle
from .train import fit
from .viz import animate_backward, draw_graph, draw_network, explain, render

__version__ = "0.1.0"

__all__ = [
    "BUILTIN_OPS", "DomainError", "Op", "Value", "define_op", "exp", "grad", "log", "relu", "sigmoid", "sqrt",
    "step", "tanh", "topological_order", "weighted_sum", "zero_grad", "__version__",
    "Neuron", "Layer", "MLP", "fit", "data", "losses", "optim", "train",
    "viz", "draw_graph", "draw_network", "animate_backward", "explain", "render", "gradcheck", "GradcheckError",
]
