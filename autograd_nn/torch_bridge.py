"""When you outgrow scalars: an MLP to a ``torch.nn.Sequential`` and back, its losses and optimizers there.

``to_torch(mlp)`` builds the Sequential (float64) that computes the same function: per layer a ``Linear`` and,
unless the activation is "linear", its ``Tanh``/``Sigmoid``/``ReLU``; the parameters are
``mlp.state_dict()``, whose keys are the Sequential's own (see ``MLP.module_indices``). ``from_torch(module)``
builds an MLP from such a Sequential. ``torch_loss(name)`` is the PyTorch counterpart of ``fit(loss=name)``,
and ``torch_optimizer(optimizer, mlp, module)`` a torch.optim.SGD or Adam with the same settings and the same
state (momentum buffers, Adam's moments and step count), so training continues there step for step.

torch is imported when one of these functions is first called, never by ``import autograd_nn``: install it
with ``pip install -e ".[torch]"`` (the CPU build, pinned). This module sits above ``nn``, ``losses`` and
``optim`` (it imports them; they never import it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .engine import Value
from .nn import MLP
from .optim import SGD, Adam, Optimizer
from .optional import require

TORCH_VERSION = "2.13.0"  # the version the [torch] extra pins; others are not tested

# activation name -> torch.nn module class name; "linear" has no module (Identity is accepted on the way back)
MODULES = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "ReLU"}
KNOWN = ("Linear", "Tanh", "Sigmoid", "ReLU", "Identity")


def torch_module() -> Any:
    """``import torch``, or an ImportError that says how to install it."""
    return require("torch", "autograd_nn.torch_bridge")


def to_torch(mlp: MLP) -> Any:
    """A ``torch.nn.Sequential`` of float64 Linear and activation modules computing what ``mlp`` computes.

    Its ``state_dict()`` has the same keys, shapes and numbers as ``mlp.state_dict()``. The two are separate
    from then on: training one does not change the other. Draws nothing from torch's random generator.
    An activation other than tanh, sigmoid, relu and linear (softplus, an op of your own) is refused, naming
    the layer and the op: torch.nn has no module here that computes it.
    """
    if not isinstance(mlp, MLP):
        raise TypeError(f"to_torch: expected an MLP, got {type(mlp).__name__}")
    for k, layer in enumerate(mlp.layers, 1):
        if layer.activation != "linear" and layer.activation not in MODULES:
            raise ValueError(f"to_torch: layer {k}'s activation {layer.activation!r} has no torch.nn module that "
                             f"to_torch carries it to (it knows {', '.join(MODULES)} and linear); a network with an "
                             "activation of your own stays in autograd_nn")
    torch = torch_module()
    modules: list[Any] = []
    for layer in mlp.layers:
        # skip_init: no random initialisation (the weights are about to be copied in; torch's RNG is left alone)
        modules.append(torch.nn.utils.skip_init(torch.nn.Linear, layer.nin, layer.nout, dtype=torch.float64))
        if layer.activation != "linear":
            modules.append(getattr(torch.nn, MODULES[layer.activation])())
    seq = torch.nn.Sequential(*modules)
    seq.load_state_dict({k: torch.from_numpy(v) for k, v in mlp.state_dict().items()}, strict=True)
    return seq


def _floats(tensor: Any, where: str) -> np.ndarray:
    torch = torch_module()
    if not tensor.dtype.is_floating_point:
        raise TypeError(f"from_torch: {where} has dtype {tensor.dtype}; expected floating-point numbers")
    arr = tensor.detach().to("cpu", torch.float64).numpy().copy()  # float16/32 widen to float64 exactly
    bad = ~np.isfinite(arr)
    if bad.any():
        index = [int(i) for i in np.argwhere(bad)[0]]
        raise ValueError(f"from_torch: {where}{index} = {float(arr[tuple(index)])!r} is not finite")
    return arr


def from_torch(module: Any) -> MLP:
    """An MLP computing what ``module`` computes: a ``torch.nn.Sequential`` of Linear layers (with bias), each
    followed by at most one of Tanh, Sigmoid, ReLU or Identity (none, or Identity: a "linear" layer).

    Every position of the Sequential is read, also when one module object sits at several positions
    (``named_children()`` would yield it once): one activation module used after several Linears is fine (it
    holds no parameters), one Linear at two positions is refused (its weights would be shared, which an MLP's
    layers never are). Every hidden layer must have the same activation (an MLP has one hidden activation and
    one for its output). Anything else is refused, naming the module: another module type (Dropout,
    LeakyReLU, a nested Sequential, a subclass of these), two activations in a row, a Linear without bias,
    sizes that do not chain, parameters that are not finite real numbers.
    """
    torch = torch_module()
    nn = torch.nn
    if type(module) is not nn.Sequential:
        raise TypeError(f"from_torch: expected a torch.nn.Sequential of {', '.join(KNOWN)} modules, "
                        f"got {type(module).__name__}")
    layers: list[dict[str, Any]] = []  # per Linear: the module, its name, its activation (None until one follows)
    linear_at: dict[int, str] = {}  # id of each Linear met -> the name of its first position
    # the Sequential's own (name, module) table, every position in order; named_children() drops repeats
    for name, child in list(module._modules.items()):
        kind = type(child).__name__
        if type(child) is nn.Linear:
            if id(child) in linear_at:
                raise ValueError(f"from_torch: module {name} (Linear) is the same Linear object as module "
                                 f"{linear_at[id(child)]}; an MLP's layers do not share weights (give each "
                                 "position its own Linear)")
            linear_at[id(child)] = name
            if child.bias is None:
                raise ValueError(f"from_torch: module {name} (Linear) has no bias; every MLP neuron has one")
            if layers and child.in_features != layers[-1]["linear"].out_features:
                prev = layers[-1]
                raise ValueError(f"from_torch: module {name} (Linear) takes {child.in_features} inputs but module "
                                 f"{prev['name']} (Linear) gives {prev['linear'].out_features} outputs")
            layers.append({"linear": child, "name": name, "act": None})
        elif kind in KNOWN and type(child) is getattr(nn, kind):
            if not layers:
                raise ValueError(f"from_torch: module {name} ({kind}) comes before any Linear")
            if layers[-1]["act"] is not None:
                raise ValueError(f"from_torch: module {name} ({kind}) follows another activation; an MLP layer is "
                                 "a Linear and at most one activation")
            layers[-1]["act"] = "linear" if kind == "Identity" else kind.lower()
        else:
            raise TypeError(f"from_torch: module {name} is {kind}; from_torch knows {', '.join(KNOWN)} "
                            "(exactly these classes, not subclasses)")
    if not layers:
        raise ValueError("from_torch: the Sequential has no Linear module")
    acts = [layer["act"] or "linear" for layer in layers]
    hidden = acts[:-1]
    if len(set(hidden)) > 1:
        described = ", ".join(f"module {layer['name']}: {act}" for layer, act in zip(layers, hidden))
        raise ValueError(f"from_torch: the hidden layers have different activations ({described}); an MLP has "
                         "one activation for its hidden layers")
    first = layers[0]["linear"]
    mlp = MLP(first.in_features, [layer["linear"].out_features for layer in layers],
              activation=hidden[0] if hidden else acts[-1], output_activation=acts[-1], seed=0)
    state = {}
    for i, layer in zip(mlp.module_indices(), layers):
        state[f"{i}.weight"] = _floats(layer["linear"].weight, f"module {layer['name']} (Linear) weight")
        state[f"{i}.bias"] = _floats(layer["linear"].bias, f"module {layer['name']} (Linear) bias")
    mlp.load_state_dict(state)
    return mlp


def gradients(mlp: MLP) -> OrderedDict[str, np.ndarray]:
    """Every parameter's ``.grad``, keyed and shaped as ``mlp.state_dict()``: what a Sequential's
    ``{name: p.grad for name, p in named_parameters()}`` holds after the same backward pass."""
    out: OrderedDict[str, np.ndarray] = OrderedDict()
    for i, layer in zip(mlp.module_indices(), mlp.layers):
        out[f"{i}.weight"] = np.array([[w.grad for w in n.w] for n in layer.neurons], dtype=np.float64)
        out[f"{i}.bias"] = np.array([n.b.grad for n in layer.neurons], dtype=np.float64)
    return out


def _per_output(outputs: Any, labels: Any, torch: Any) -> tuple[Any, Any]:
    """Outputs as (n, k) and float targets of the same shape (one label per row is one target per row)."""
    out = outputs if outputs.dim() == 2 else outputs.reshape(len(outputs), -1)
    y = torch.as_tensor(np.asarray(labels, dtype=np.float64), dtype=out.dtype, device=out.device)
    return out, y.reshape(out.shape)


def torch_loss(name: str) -> Callable[[Any, Any], Any]:
    """The PyTorch counterpart of ``fit(loss=name)``: ``f(outputs, labels)`` → the batch loss, a 0-d tensor.

    ``outputs`` is the Sequential's (n, k) output, ``labels`` the rows' labels as fit takes them. Each is the
    mean over the batch of the per-sample loss fit uses, summed over the outputs as the loss there is:

    - "hinge": max(0, 1 − y·s) with y = 2·label − 1 (PyTorch has no binary hinge loss: ``relu(1 - y*s)``);
    - "bce": ``binary_cross_entropy_with_logits`` (the model's output is a logit);
    - "binary_cross_entropy": ``binary_cross_entropy`` on probabilities (a sigmoid output);
    - "mse": ``mse_loss`` (mean over the outputs too); "squared_error": ½ Σ (a − y)², ½·``mse_loss(sum)``/n;
    - "cross_entropy": ``cross_entropy`` on the logits with integer class labels.
    """
    torch = torch_module()
    F = torch.nn.functional

    def hinge(outputs: Any, labels: Any) -> Any:
        s, y = _per_output(outputs, labels, torch)
        return torch.relu(1.0 - (2.0 * y - 1.0) * s).sum(dim=1).mean()

    def bce(outputs: Any, labels: Any) -> Any:
        z, y = _per_output(outputs, labels, torch)
        return F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(dim=1).mean()

    def bce_probabilities(outputs: Any, labels: Any) -> Any:
        a, y = _per_output(outputs, labels, torch)
        return F.binary_cross_entropy(a, y, reduction="none").sum(dim=1).mean()

    def mse(outputs: Any, labels: Any) -> Any:
        a, y = _per_output(outputs, labels, torch)
        return F.mse_loss(a, y, reduction="mean")

    def squared_error(outputs: Any, labels: Any) -> Any:
        a, y = _per_output(outputs, labels, torch)
        return 0.5 * F.mse_loss(a, y, reduction="sum") / len(a)

    def cross_entropy(outputs: Any, labels: Any) -> Any:
        k = torch.as_tensor(np.asarray(labels), device=outputs.device).long()
        return F.cross_entropy(outputs, k)

    table: Mapping[str, Callable[[Any, Any], Any]] = {
        "hinge": hinge, "bce": bce, "binary_cross_entropy": bce_probabilities, "mse": mse,
        "squared_error": squared_error, "cross_entropy": cross_entropy}
    if name not in table:
        raise ValueError(f"torch_loss: unknown loss {name!r}; expected one of {sorted(table)}")
    return table[name]


def _arrays_by_key(mlp: MLP, params: list[Value], values: list[float]) -> dict[str, np.ndarray]:
    """Per-parameter numbers (aligned with ``params``) laid out as mlp.state_dict() lays out the parameters."""
    where: dict[int, tuple[str, tuple[int, ...]]] = {}
    shapes: dict[str, tuple[int, ...]] = {}
    for i, layer in zip(mlp.module_indices(), mlp.layers):
        shapes[f"{i}.weight"], shapes[f"{i}.bias"] = (layer.nout, layer.nin), (layer.nout,)
        for k, n in enumerate(layer.neurons):
            for j, w in enumerate(n.w):
                where[id(w)] = (f"{i}.weight", (k, j))
            where[id(n.b)] = (f"{i}.bias", (k,))
    out = {key: np.zeros(shape) for key, shape in shapes.items()}
    for p, v in zip(params, values):
        key, index = where[id(p)]
        out[key][index] = v
    return out


def torch_optimizer(optimizer: Optimizer, mlp: MLP, module: Any) -> Any:
    """A ``torch.optim.SGD`` or ``Adam`` over ``module`` (``to_torch(mlp)``) with the settings and the state of
    ``optimizer`` (an autograd_nn SGD or Adam over exactly mlp's parameters), so that the next step there
    is the step ``optimizer`` would take here: lr, momentum and weight decay (SGD); lr, betas, eps, weight
    decay, both moments and the step count (Adam)."""
    torch = torch_module()
    if not isinstance(optimizer, (SGD, Adam)):
        raise TypeError(f"torch_optimizer: expected an autograd_nn.optim SGD or Adam, got {type(optimizer).__name__}")
    if optimizer.arrays is not None:
        raise ValueError("torch_optimizer: this optimizer steps a Tape's bound arrays; call bound.write_back() and "
                         "make the optimizer over mlp.parameters() to carry its settings to PyTorch")
    ours = {id(p) for p in mlp.parameters()}
    if {id(p) for p in optimizer.params} != ours or len(optimizer.params) != len(ours):
        raise ValueError("torch_optimizer: the optimizer must hold exactly the MLP's parameters, each once")
    names = dict(module.named_parameters())
    expected = mlp.state_dict()
    if list(names) != list(expected) or any(tuple(names[k].shape) != v.shape for k, v in expected.items()):
        raise ValueError(f"torch_optimizer: module's parameters {[(k, tuple(p.shape)) for k, p in names.items()]} "
                         f"are not the MLP's {[(k, v.shape) for k, v in expected.items()]}; pass to_torch(mlp)")
    params = list(names.values())
    state: dict[str, dict[str, np.ndarray]] = {}
    if isinstance(optimizer, SGD):
        made = torch.optim.SGD(params, lr=optimizer.lr, momentum=optimizer.momentum,
                               weight_decay=optimizer.weight_decay)
        buffers = optimizer._buffers
        if optimizer.momentum and buffers is not None:
            state["momentum_buffer"] = _arrays_by_key(mlp, optimizer.params, buffers)
    else:
        made = torch.optim.Adam(params, lr=optimizer.lr, betas=optimizer.betas, eps=optimizer.eps,
                                weight_decay=optimizer.weight_decay)
        if optimizer.steps:
            state["exp_avg"] = _arrays_by_key(mlp, optimizer.params, optimizer._m)
            state["exp_avg_sq"] = _arrays_by_key(mlp, optimizer.params, optimizer._v)
    for key, p in names.items():
        entry = {what: torch.tensor(arrays[key], dtype=p.dtype, device=p.device) for what, arrays in state.items()}
        if isinstance(optimizer, Adam) and optimizer.steps:
            entry["step"] = torch.tensor(float(optimizer.steps))
        if entry:
            made.state[p] = entry
    return made


__all__ = ["from_torch", "gradients", "to_torch", "torch_loss", "torch_module", "torch_optimizer"]
