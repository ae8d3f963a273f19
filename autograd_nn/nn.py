"""Neuron, Layer and MLP built on `Value`: z = w·a + b as one fused node, then a = σ(z).

Parameters are ordered layer by layer, neuron by neuron: each neuron's weights w₁…wₙ, then its bias b.

Every parameter is labelled by its place, in the documents' notation (layer l = 1 … L counts the layers of
weights, a⁰ = x is the input): wˡⱼₖ is the weight from neuron k of layer l−1 (input k when l = 1) to neuron j of
layer l, bˡⱼ the bias of neuron j of layer l, and each forward pass labels that neuron's weighted sum zˡⱼ and its
activation aˡⱼ (a "linear" neuron's output is aˡⱼ). A Layer on its own drops the l (wⱼₖ, bⱼ), a Neuron on its own
the j too (wₖ, b, z, a). These are the labels every picture, explanation and step-through names the nodes by;
a label you set yourself (``w.label = "bias"``, ``neuron.a_label = "out"``) replaces the default. The label
strings are made once per neuron: the nodes of every forward pass share them.

Saving and loading an MLP is ``autograd_nn.serialize`` (save_mlp, load_mlp), which sits above this module.

``MLP.state_dict()`` / ``MLP.load_state_dict()`` use PyTorch's key names for the same network written as a
``torch.nn.Sequential`` (numpy arrays here; this module never imports torch). Moving to PyTorch and back is
``autograd_nn.torch_bridge.to_torch(mlp)`` and ``from_torch(module)``: functions, not methods, because the
bridge sits above this module (it imports nn), and a method here importing it would point upward, against
the layers that lint-imports checks, and make a cycle.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from itertools import repeat
from numbers import Real
from typing import Any, Protocol

import numpy as np

from .engine import Value
from .engine.ops import BUILTIN_OPS, RELU, SIGMOID, TANH, WEIGHTED_SUM, Op
from .engine.value import record

# The activations PyTorch, the command line and the written-out texts know by name. Any one-argument op is an
# activation too (see activation_op): a built-in by its name ("softplus") or the Op, or your own from define_op.
ACTIVATIONS: dict[str, Op | None] = {"tanh": TANH, "sigmoid": SIGMOID, "relu": RELU, "linear": None}
Activation = str | Op
INITS = ("uniform", "xavier", "he")
_PLAIN = {float, Value}


class Model(Protocol):
    """What training, the batch loss and the tape backend need of a model: call it on one input row, and its
    parameters (the Values the optimizer updates). Neuron, Layer and MLP are Models."""

    def __call__(self, x: Sequence[float | Value], /) -> Value | list[Value]: ...

    def parameters(self) -> list[Value]: ...


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def superscript(k: int) -> str:
    """k in superscript digits, the documents' layer index: 2 → ², 10 → ¹⁰."""
    return str(k).translate(_SUPERSCRIPT)


def subscript(k: int) -> str:
    """k in subscript digits: 12 → ₁₂."""
    return str(k).translate(_SUBSCRIPT)


def place_label(symbol: str, layer: int | None = None, *indices: int) -> str:
    """The name of a number by its place in a network, in the documents' notation: the layer as a superscript,
    the neuron indices (1-based) as subscripts. ``place_label("w", 2, 1, 3)`` is w²₁₃ (layer 2, to neuron 1 from
    neuron 3 of layer 1), ``place_label("b", 1, 4)`` is b¹₄, ``place_label("z")`` is z. Indices are run together
    while each is one digit and separated by commas otherwise: w¹₁₂,₃ is to neuron 12 from neuron 3."""
    sep = "," if any(i >= 10 for i in indices) else ""
    return symbol + ("" if layer is None else superscript(layer)) + sep.join(subscript(i) for i in indices)


_BY_NAME: dict[str, Op | None] = {**ACTIVATIONS, **{name: op for name, op in BUILTIN_OPS.items() if op.arity == 1}}


def activation_op(activation: Activation, who: str = "activation") -> tuple[str, Op | None]:
    """An activation as (its name, its op): "linear" is (``"linear"``, None); the name of a one-argument built-in
    op ("tanh", "softplus") or any one-argument :class:`Op` (a built-in such as ``autograd_nn.softplus``, or
    your own from ``define_op``) is (its name, the op). The op's own forward and derivative are what a neuron,
    the tape, explain_layers' f′ and every picture use; save_mlp writes its name."""
    if isinstance(activation, Op):
        if activation.arity != 1:
            takes = "any number of arguments" if activation.arity is None else f"{activation.arity} arguments"
            raise ValueError(f"{who}: {activation!r} takes {takes}; an activation is an op of one argument "
                             "(such as tanh, or one made with define_op from a function of one argument)")
        if _BY_NAME.get(activation.name, activation) is not activation:
            raise ValueError(f"{who}: {activation!r} is not the built-in op of that name; give it a name of its "
                             "own (a saved model names its activation)")
        return activation.name, activation
    if isinstance(activation, str) and activation in _BY_NAME:
        return activation, _BY_NAME[activation]
    raise ValueError(f"unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)}, another "
                     f"one-argument built-in op's name ({', '.join(sorted(set(_BY_NAME) - set(ACTIVATIONS)))}) or "
                     "a one-argument Op (made with define_op, for one of your own)")


def _rng(seed: Any) -> np.random.Generator:
    # A local Generator: the same seed gives the same network whatever the global random state is.
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _initial_weights(nin: int, nout: int, init: str, rng: np.random.Generator) -> list[float]:
    if init == "uniform":  # U(-1, 1), as micrograd
        bound = 1.0
    elif init == "xavier":  # Glorot: U(-√(6/(nin+nout)), +√(6/(nin+nout)))
        bound = math.sqrt(6.0 / (nin + nout))
    elif init == "he":  # He/Kaiming uniform: U(-√(6/nin), +√(6/nin))
        bound = math.sqrt(6.0 / nin)
    else:
        raise ValueError(f"unknown init {init!r}; expected one of {list(INITS)}")
    return [float(v) for v in rng.uniform(-bound, bound, nin)]


def _check_input(x: Any, nin: int, who: str) -> list[Any]:
    if isinstance(x, (str, bytes)) or not isinstance(x, (Sequence, np.ndarray)):
        raise TypeError(f"{who}: input must be a list of numbers or Values, got {type(x).__name__}")
    x = list(x)
    if len(x) != nin:
        raise ValueError(f"{who}: expected an input of length {nin}, got length {len(x)}")
    if set(map(type, x)) <= _PLAIN:  # the common rows (floats or Values), in C; the loop names a wrong one
        return x
    for i, v in enumerate(x):
        if type(v) is not Value and (not isinstance(v, Real) or isinstance(v, bool)):
            raise TypeError(f"{who}: input[{i}] = {v!r} is not a number or Value")
    return x


def _as_values(x: list[Any], who: str) -> list[Value]:
    """A checked input row with its plain numbers made Values once, so that every neuron of the first layer reads
    the same leaf (left as numbers, each neuron's weighted sum would make its own constant of each: a graph 16×
    larger for a layer of 16). The same floats either way."""
    if all(map(isinstance, x, repeat(Value))):  # a hidden layer's input: the previous layer's Values
        return x
    for i, v in enumerate(x):
        try:
            finite = type(v) is Value or math.isfinite(v)
        except OverflowError:  # an integer beyond floats: Value() names it
            finite = True
        if not finite:
            raise ValueError(f"{who}: input[{i}] = {v!r} is not a finite number")
    return [v if type(v) is Value else Value(v) for v in x]


def _check_size(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return int(n)


def _state_array(value: Any, key: str, shape: tuple[int, ...]) -> np.ndarray:
    """One entry of a state dict as a float64 array of the expected shape, or an error naming the key.

    A masked array is refused (np.asarray would load the numbers under its mask); a number beyond float64's
    range (a long double 1e400) is named as given, with no numpy warning."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"load_state_dict: {key!r} is a masked array; its masked entries would be loaded as "
                        "numbers: pass a plain array (e.g. .filled(value) or np.asarray(...) if you mean that)")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # e.g. ragged lists, or a tensor that still requires grad
        raise TypeError(f"load_state_dict: {key!r} could not be read as an array ({exc})") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"load_state_dict: {key!r} holds {arr.dtype} values; expected real numbers")
    if arr.shape != shape:
        raise ValueError(f"load_state_dict: {key!r} has shape {arr.shape}, expected {shape}")
    with np.errstate(over="ignore"):  # a long double beyond float64's range becomes inf: named below
        wide = arr.astype(np.float64)
    bad = ~np.isfinite(wide)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        given = arr[index]
        if np.isfinite(given):
            # str(): formatting a long double goes through float, which would print inf
            raise ValueError(f"load_state_dict: {key!r}{list(index)} = {str(given)} ({arr.dtype}) is beyond float64's "
                             "range (at most about 1.8e308)")
        raise ValueError(f"load_state_dict: {key!r}{list(index)} = {float(given)!r} is not finite")
    return wide


class Module:
    """Common parts: zero_grad() and the parameter count."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set every parameter's .grad to 0 before the next backward()."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One neuron: z = w·a + b (one WEIGHTED_SUM node), then its activation (none for "linear")."""

    def __init__(self, nin: int, activation: Activation = "tanh", seed: Any = None, init: str = "uniform") -> None:
        self.nin = _check_size(nin, "Neuron: nin")
        self.activation, self.activation_op = activation_op(activation, "Neuron")
        self.init = init
        rng = _rng(seed)
        self.w = [Value(v) for v in _initial_weights(self.nin, 1, init, rng)]
        self.b = Value(0.0)
        self._checked = True
        self.z_label = self.a_label = ""
        self._place(None, None)

    def _place(self, layer: int | None, j: int | None) -> None:
        """Label the parameters, and the z and a this neuron records, by its place (see the module doc)."""
        at = () if j is None else (j,)
        for k, w in enumerate(self.w, 1):
            w.label = place_label("w", layer, *at, k)
        self.b.label = place_label("b", layer, *at)
        self.z_label, self.a_label = place_label("z", layer, *at), place_label("a", layer, *at)

    def __call__(self, x: Sequence[float | Value]) -> Value:
        if self._checked:
            x = _check_input(x, self.nin, "Neuron")
        z = record(WEIGHTED_SUM, *self.w, *x, self.b)  # zⱼ = Σₖ wⱼₖ·aₖ + bⱼ as one node
        if self.activation_op is None:
            z.label = self.a_label
            return z
        z.label = self.z_label
        a = record(self.activation_op, z)  # aⱼ = σ(zⱼ)
        a.label = self.a_label
        return a

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron(nin={self.nin}, activation={self.activation!r})"


class Layer(Module):
    """nout neurons reading the same input; returns a list of their activations."""

    def __init__(self, nin: int, nout: int, activation: Activation = "tanh", seed: Any = None,
                 init: str = "uniform") -> None:
        self.nin = _check_size(nin, "Layer: nin")
        self.nout = _check_size(nout, "Layer: nout")
        self.activation, self.activation_op = activation_op(activation, "Layer")
        rng = _rng(seed)
        self.neurons = []
        for _ in range(self.nout):
            n = Neuron(self.nin, self.activation_op or "linear", seed=rng, init=init)
            n._checked = False  # the layer checks its input once for all neurons
            self.neurons.append(n)
        self._place(None)
        if init in ("xavier",):  # Glorot's bound uses fan-out as well: re-draw with the layer's shape
            for n in self.neurons:
                for w, v in zip(n.w, _initial_weights(self.nin, self.nout, init, rng)):
                    w.data = v

    def _place(self, layer: int | None) -> None:
        """Label every neuron's parameters (and the z and a it records) by its place: neuron j of this layer."""
        for j, n in enumerate(self.neurons, 1):
            n._place(layer, j)

    def __call__(self, x: Sequence[float | Value]) -> list[Value]:
        row = _as_values(_check_input(x, self.nin, "Layer"), "Layer")
        return [n(row) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use `activation`, the last layer `output_activation`."""

    def __init__(self, nin: int, nouts: Sequence[int] | int, activation: Activation = "tanh",
                 output_activation: Activation = "linear", seed: Any = None, init: str = "uniform") -> None:
        self.nin = _check_size(nin, "MLP: nin")
        sizes_out: Sequence[Any] = [nouts] if isinstance(nouts, (int, np.integer)) else nouts
        self.nouts = [_check_size(n, "MLP: each layer size") for n in sizes_out]
        if not self.nouts:
            raise ValueError("MLP: nouts must list at least one layer size")
        self.activation, hidden = activation_op(activation, "MLP: activation")
        self.output_activation, output = activation_op(output_activation, "MLP: output_activation")
        self.init = init
        rng = _rng(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], (output if i == last else hidden) or "linear", seed=rng,
                             init=init) for i in range(len(self.nouts))]
        for index, layer in enumerate(self.layers, 1):
            layer._place(index)

    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        a = self.layers[0](_check_input(x, self.nin, "MLP"))
        for layer in self.layers[1:]:  # aˡ = σ(zˡ) with zˡ = wˡ·aˡ⁻¹ + bˡ, layer after layer
            a = layer(a)
        return a[0] if len(a) == 1 else a

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def module_indices(self) -> list[int]:
        """Where each layer's Linear sits in the equivalent ``torch.nn.Sequential``: a Linear is followed by its
        activation module (Tanh, Sigmoid, ReLU), except for "linear", which adds no module (as one writes
        ``Sequential(Linear(2, 16), ReLU(), Linear(16, 1))``). So 2-16-16-1 with relu hidden layers and a linear
        output gives [0, 2, 4]; with every layer "linear", [0, 1, 2]."""
        indices, i = [], 0
        for layer in self.layers:
            indices.append(i)
            i += 1 if layer.activation == "linear" else 2
        return indices

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """The parameters as PyTorch names them for the equivalent Sequential (see module_indices): per layer
        ``"<i>.weight"`` of shape (nout, nin), row k holding neuron k's weights, and ``"<i>.bias"`` of shape
        (nout,). New float64 arrays (copies): load_state_dict of them gives back the same bits."""
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        for i, layer in zip(self.module_indices(), self.layers):
            out[f"{i}.weight"] = np.array([[w.data for w in n.w] for n in layer.neurons], dtype=np.float64)
            out[f"{i}.bias"] = np.array([n.b.data for n in layer.neurons], dtype=np.float64)
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Set every parameter from arrays keyed as state_dict() keys them (numpy arrays, nested lists, or
        anything numpy reads, such as CPU tensors from ``torch``'s state_dict()).

        Refused, naming the key, with nothing changed: a missing or unexpected key, a shape other than this
        network's (the shape found and the shape expected), values that are not real numbers, NaN or ±inf.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of names to arrays, got {type(state_dict).__name__}")
        shapes = {f"{i}.{kind}": (layer.nout, layer.nin) if kind == "weight" else (layer.nout,)
                  for i, layer in zip(self.module_indices(), self.layers) for kind in ("weight", "bias")}
        missing = [k for k in shapes if k not in state_dict]
        unexpected = [k for k in state_dict if k not in shapes]
        if missing or unexpected:
            parts = ([f"missing key(s) {missing}"] if missing else []) + (
                [f"unexpected key(s) {unexpected}"] if unexpected else [])
            raise ValueError(f"load_state_dict: {'; '.join(parts)}; this {self!r} has keys {list(shapes)}")
        arrays = {key: _state_array(state_dict[key], key, shape) for key, shape in shapes.items()}
        for i, layer in zip(self.module_indices(), self.layers):
            weight, bias = arrays[f"{i}.weight"], arrays[f"{i}.bias"]
            for k, n in enumerate(layer.neurons):
                for w, v in zip(n.w, weight[k]):
                    w.data = float(v)
                n.b.data = float(bias[k])

    def __repr__(self) -> str:
        return (f"MLP(nin={self.nin}, nouts={self.nouts}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r})")
