"""The per-layer gradient-size panel's numbers: how large ∂L/∂w is in each layer, so that vanishing gradients
(the first layers' sizes falling towards 0) and exploding ones (growing without bound) show as they happen."""

from __future__ import annotations

import math

from ..engine.arithmetic import fold_sum
from ..nn import MLP


def layer_gradient_sizes(mlp: MLP) -> list[float]:
    """Per layer l, the root mean square of ∂L/∂wˡⱼₖ over its weights (biases left out), from the parameters'
    current ``.grad``."""
    sizes = []
    for layer in mlp.layers:
        grads = [w.grad for n in layer.neurons for w in n.w]
        sizes.append(math.sqrt(fold_sum([g * g for g in grads]) / len(grads)))
    return sizes
