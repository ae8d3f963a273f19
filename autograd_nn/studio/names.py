"""The names the studio gives a network's numbers, as the documents write them: wˡⱼₖ is the weight from neuron k
of layer l−1 to neuron j of layer l, bˡⱼ the bias of neuron j of layer l, zˡⱼ its weighted input, aˡⱼ its output
(layers counted from 1, the inputs x₁, x₂ being layer 0).

Every parameter name the page shows comes from :func:`parameter_names`: the one place to switch to labels that
the MLP itself may give its parameters.
"""

from __future__ import annotations

from ..nn import MLP
from ..viz.names import subscript

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(k: int) -> str:
    """k in superscript digits: 12 → ¹²."""
    return str(k).translate(_SUPERSCRIPT)


def _pair(j: int, k: int) -> str:
    """The subscript jk, with a comma between the two when either has more than one digit (w²₁₀,₃)."""
    sep = "," if j > 9 or k > 9 else ""
    return subscript(j) + sep + subscript(k)


def weight_name(layer: int, j: int, k: int) -> str:
    return f"w{superscript(layer)}{_pair(j, k)}"


def bias_name(layer: int, j: int) -> str:
    return f"b{superscript(layer)}{subscript(j)}"


def neuron_names(layer: int, j: int) -> tuple[str, str]:
    """(zˡⱼ, aˡⱼ) of neuron j of layer l."""
    return f"z{superscript(layer)}{subscript(j)}", f"a{superscript(layer)}{subscript(j)}"


def input_name(k: int) -> str:
    return f"x{subscript(k)}"


def parameter_names(model: MLP) -> list[str]:
    """One name per parameter, in ``model.parameters()`` order (layer by layer, neuron by neuron: its weights,
    then its bias), 1-based as the documents count."""
    names = []
    for at, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            names += [weight_name(at, j, k) for k in range(1, len(neuron.w) + 1)]
            names.append(bias_name(at, j))
    return names
