"""The names the page shows for a network's numbers, as the documents write them: wˡⱼₖ the weight from neuron k of
layer l−1 to neuron j of layer l, bˡⱼ the bias of neuron j of layer l (layers from 1, the inputs x₁, x₂ being
layer 0). They are the MLP's own labels (``nn.place_label``); a parameter whose label was cleared is named by its
place all the same."""

from __future__ import annotations

from ..nn import MLP, place_label


def parameter_names(model: MLP) -> list[str]:
    """One name per parameter, in ``model.parameters()`` order (layer by layer, neuron by neuron: its weights,
    then its bias)."""
    names = []
    for at, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            names += [w.label or place_label("w", at, j, k) for k, w in enumerate(neuron.w, start=1)]
            names.append(neuron.b.label or place_label("b", at, j))
    return names


def input_name(k: int) -> str:
    return place_label("x", None, k)
