"""An MLP's backprop read layer by layer from the scalar graph, for m samples, and the matrix form of δ.

Layer l computes zˡ = Wˡ aˡ⁻¹ + bˡ and aˡ = f(zˡ) (a⁰ = x); with one column per sample these are the matrices
Zˡ, Aˡ (nˡ × m). For the cost C of the samples (the sum of the per-sample losses, or their mean (1/m) Σ):

    δˡ = ∂C/∂zˡ          δᴸ = ∇ₐC ⊙ f'(zᴸ),   δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f'(zˡ)
    ∂C/∂Wˡ = Σᵢ δˡ⁽ⁱ⁾ (aˡ⁻¹⁽ⁱ⁾)ᵀ = Δˡ (Aˡ⁻¹)ᵀ,   ∂C/∂bˡ = Σᵢ δˡ⁽ⁱ⁾

:func:`read_backprop` runs the samples through the model's own forward pass and reads every number from the
graph it records: Z and A are the nodes' data, Δ the engine's gradient of C at each z node (one ``grad`` walk),
∂C/∂W and ∂C/∂b what ``backward()`` leaves in the parameters' ``.grad``. :func:`derivative`,
:func:`loss_gradient` and :func:`delta_recursion` write the matrix formulas out with numpy, beside them.
``viz.explain_layers`` (one sample, shown) and ``testing.check_backprop`` (a learner's numpy backprop, diagnosed)
both read the network through this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import Value, grad, local_derivatives, sum_of
from .engine.ops import WEIGHTED_SUM
from .losses import binary_cross_entropy, hinge, mean_loss, mse, softmax_cross_entropy, squared_error
from .nn import MLP

# The losses whose ∇ₐC is written out (a = the network's output row, y the target).
LOSSES: dict[str, Callable[..., Any]] = {
    "squared_error": squared_error, "mse": mse, "binary_cross_entropy": binary_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy, "hinge": hinge,
}
REDUCTIONS = ("mean", "sum")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def sup(k: int) -> str:
    """k as superscript digits, the documents' layer index: 2 → ², 10 → ¹⁰."""
    return str(k).translate(_SUP)


def derivative(activation: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f'(z) for a layer's activation, written out (a = f(z) given too): σ' = a(1 − a), tanh' = 1 − a²,
    relu' = [z > 0], id' = 1."""
    if activation == "sigmoid":
        out: np.ndarray = a * (1.0 - a)
    elif activation == "tanh":
        out = 1.0 - a * a
    elif activation == "relu":
        out = (z > 0).astype(float)
    elif activation == "linear":
        out = np.ones_like(z)
    else:  # an op of the user's own: its f' is its op-table rule (read_backprop's f_prime), not written out here
        raise ValueError(f"the written-out f' covers sigmoid, tanh, relu and linear layers, not {activation!r}")
    return out


def softmax(a: np.ndarray) -> np.ndarray:
    """softmax of one output row (the largest logit subtracted first, as losses.softmax does)."""
    e = np.exp(a - a.max())
    out: np.ndarray = e / e.sum()
    return out


def loss_gradient(name: str, a: np.ndarray, target: Any) -> np.ndarray:
    """∇ₐC of one sample written out for the named loss, at the output row a."""
    if name == "softmax_cross_entropy":
        onehot = np.zeros_like(a)
        onehot[int(target)] = 1.0
        return softmax(a) - onehot
    y = np.broadcast_to(np.asarray(target, dtype=float).reshape(-1), a.shape)
    if name == "squared_error":
        return a - y
    if name == "mse":
        return 2.0 * (a - y) / a.size
    if name == "binary_cross_entropy":
        return (a - y) / (a * (1.0 - a))
    if name == "hinge":
        return np.where(1.0 - y * a > 0, -y, 0.0)
    raise ValueError(f"no written-out ∇ₐC for loss {name!r}; expected one of {sorted(LOSSES)}")


def resolve_loss(loss: str | Callable[..., Any], who: str) -> tuple[str, Callable[..., Any]]:
    """(name, function) of a loss given by name or as one of the functions in LOSSES (or a function of
    (prediction row, target) -> Value, named by its __name__)."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"{who}: unknown loss {loss!r}; expected one of {sorted(LOSSES)} or a "
                             "function (prediction, target) -> Value")
        return loss, LOSSES[loss]
    if not callable(loss):
        raise TypeError(f"{who}: loss must be a loss name or a function, got {type(loss).__name__}")
    for name, f in LOSSES.items():
        if f is loss:
            return name, f
    return getattr(loss, "__name__", "custom loss"), loss


def neurons_of(model: MLP, outputs: list[Value], who: str) -> list[tuple[list[Value], list[Value]]]:
    """Each layer's (z nodes, a nodes) from the graph the model's forward pass recorded, first layer first,
    found from the outputs backwards: a = f(z), z = weighted_sum(w, a_prev, b) with the layer's own w and b."""
    found: list[tuple[list[Value], list[Value]]] = []
    row = outputs
    for layer in reversed(model.layers):
        zs = [a if layer.activation == "linear" else a.parents[0] for a in row]
        for z, neuron in zip(zs, layer.neurons):
            n = len(neuron.w)
            ok = z.op is WEIGHTED_SUM and len(z.parents) == 2 * n + 1 and z.parents[-1] is neuron.b and all(
                p is w for p, w in zip(z.parents[:n], neuron.w))
            if not ok:
                raise TypeError(f"{who}: the model's forward pass did not record z = w·a + b, a = f(z) "
                                "per neuron as an MLP does")
        found.append((zs, row))
        row = list(zs[0].parents[len(layer.neurons[0].w):-1])
    return found[::-1]


@dataclass(frozen=True)
class LayerNumbers:
    """Layer l (``index``, 1 … L) for m samples, one column per sample, every number read from the graph.

    ``W`` (nˡ × nˡ⁻¹, row j = neuron j's weights wˡⱼₖ), ``b`` (nˡ,), ``A_in`` = Aˡ⁻¹ (nˡ⁻¹ × m), ``Z``, ``A``
    (nˡ × m), ``Delta`` = ∂C/∂Zˡ (the engine's gradient at each z node), ``dW`` = ∂C/∂Wˡ and ``db`` = ∂C/∂bˡ
    (backward()'s ``.grad``).
    """

    index: int
    activation: str
    W: np.ndarray
    b: np.ndarray
    A_in: np.ndarray
    Z: np.ndarray
    A: np.ndarray
    Delta: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    f_prime: np.ndarray  # f'(Zˡ): the op table's derivative of the layer's activation at each a node (1: linear)


@dataclass(frozen=True)
class Backprop:
    """The graph's numbers of one backward pass: ``layers`` (LayerNumbers, layer 1 first), the cost ``cost``,
    ``grad_a`` = ∂C/∂Aᴸ (nᴸ × m), the loss's ``loss_name``, ``targets`` (one per sample) and ``reduction``
    ("mean": C = (1/m) Σᵢ Cᵢ, "sum": C = Σᵢ Cᵢ)."""

    layers: list[LayerNumbers]
    cost: float
    grad_a: np.ndarray
    loss_name: str
    targets: list[Any]
    reduction: str

    @property
    def scale(self) -> float:
        """The factor of each sample's loss in C: 1/m for the mean, 1 for the sum."""
        return 1.0 / len(self.targets) if self.reduction == "mean" else 1.0

    def written_grad_a(self) -> np.ndarray:
        """∂C/∂Aᴸ by the written-out ∇ₐC of each sample (times the scale), nᴸ × m; the graph's for a loss of
        one's own."""
        if self.loss_name not in LOSSES:
            return self.grad_a
        a = self.layers[-1].A
        return self.scale * np.stack([loss_gradient(self.loss_name, a[:, i], t)
                                      for i, t in enumerate(self.targets)], axis=1)


def read_backprop(model: MLP, xs: Sequence[Sequence[float]], targets: Sequence[Any],
                  loss: str | Callable[..., Any] = "squared_error", reduction: str = "mean",
                  who: str = "read_backprop") -> Backprop:
    """Run every sample xs[i] (target targets[i]) through ``model``, build C (module doc) and read the layers.

    Sets the model's gradients to C's: zero_grad(), then backward() from C.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"{who}: model must be an MLP, got {type(model).__name__}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"{who}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if len(xs) != len(targets) or not len(xs):
        raise ValueError(f"{who}: expected as many targets as samples (at least one), got {len(xs)} samples and "
                         f"{len(targets)} targets")
    name, loss_fn = resolve_loss(loss, who)
    per_sample = []
    costs = []
    for x, target in zip(xs, targets):
        out = model(list(x))
        outputs = out if isinstance(out, list) else [out]
        cost = loss_fn(outputs, target)
        if not isinstance(cost, Value):
            raise TypeError(f"{who}: the loss must return a Value, got {type(cost).__name__}")
        per_sample.append((outputs, neurons_of(model, outputs, who)))
        costs.append(cost)
    total = mean_loss(costs) if reduction == "mean" and len(costs) > 1 else sum_of(costs)
    zs = [z for _, per_layer in per_sample for z_nodes, _ in per_layer for z in z_nodes]
    outs = [o for outputs, _ in per_sample for o in outputs]
    # The engine's gradients of C at every z and output node (one walk), then backward() for the .grad.
    found = grad(total, zs + outs)
    delta_of = dict(zip(zs, found[:len(zs)]))
    n_out = len(per_sample[0][0])
    grad_a = np.array(found[len(zs):], dtype=float).reshape(len(xs), n_out).T
    model.zero_grad()
    total.backward()

    first_w = len(model.layers[0].neurons[0].w)
    A_in = np.array([[v.data for v in per_layer[0][0][0].parents[first_w:-1]] for _, per_layer in per_sample]).T
    layers: list[LayerNumbers] = []
    for k, layer in enumerate(model.layers):
        cols = [per_layer[k] for _, per_layer in per_sample]
        Z = np.array([[z.data for z in z_nodes] for z_nodes, _ in cols]).T
        A = np.array([[a.data for a in a_nodes] for _, a_nodes in cols]).T
        layers.append(LayerNumbers(
            index=k + 1, activation=layer.activation, W=np.array([[w.data for w in n.w] for n in layer.neurons]),
            b=np.array([n.b.data for n in layer.neurons]), A_in=A_in, Z=Z, A=A,
            Delta=np.array([[delta_of[z] for z in z_nodes] for z_nodes, _ in cols], dtype=float).T,
            dW=np.array([[w.grad for w in n.w] for n in layer.neurons]),
            db=np.array([n.b.grad for n in layer.neurons]),
            f_prime=np.ones_like(Z) if layer.activation_op is None else np.array(
                [[float(local_derivatives(a)[0]) for a in a_nodes] for _, a_nodes in cols]).T))
        A_in = A
    return Backprop(layers, float(total.data), grad_a, name, list(targets), reduction)


def delta_recursion(top: np.ndarray, f_primes: Sequence[np.ndarray],
                    back: Callable[[int, np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """The recursion on δ in matrix form, layer 1's δ first: δᴸ = top ⊙ f'ᴸ, then δˡ = back(l + 1, δˡ⁺¹) ⊙ f'ˡ.

    ``back(k, δᵏ)`` carries δᵏ one layer down; backprop's is (Wᵏ)ᵀ δᵏ. (testing.check_backprop passes other
    ``back`` and ``top`` to replay a learner's mistakes.)
    """
    L = len(f_primes)
    deltas = [top * f_primes[L - 1]]
    for k in range(L, 1, -1):
        deltas.append(back(k, deltas[-1]) * f_primes[k - 2])
    return deltas[::-1]
