"""What a learner can set in the studio, each checked with a message that names the setting and its limits.

The limits bound the work one request can cause (the server is local, but a page or a script could still ask
for a network that would take minutes a step): at most MAX_LAYERS hidden layers of at most MAX_WIDTH neurons,
at most MAX_POINTS points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from typing import Any

from ..engine.ops import Op
from ..nn import ACTIVATIONS

MAX_LAYERS = 4
MAX_WIDTH = 32
MAX_POINTS = 1000
MAX_SEED = 2**32 - 1
MAX_LR = 10.0
MAX_L2 = 1.0

# loss name -> (the output layer's activation, what the page calls it)
OUTPUTS: dict[str, tuple[str, str]] = {
    "bce": ("linear", "logit z, binary cross-entropy on σ(z)"),
    "binary_cross_entropy": ("sigmoid", "σ output, binary cross-entropy"),
    "hinge": ("linear", "score, hinge max(0, 1 − y·s)"),
    "mse": ("linear", "linear output, mean squared error"),
    "cross_entropy": ("linear", "one logit per class, softmax cross-entropy"),
}
OPTIMIZERS = ("sgd", "momentum", "adam")
MOMENTUM = 0.9


@dataclass(frozen=True)
class Settings:
    """The network and its training: hidden layer sizes, hidden activation, loss (which fixes the output),
    optimizer, learning rate η, batch size (at least the number of points: the full batch), L2 factor λ, seed of
    the initial weights and of the batches' order."""

    hidden: tuple[int, ...] = (16, 16)
    activation: str = "tanh"
    loss: str = "bce"
    optimizer: str = "adam"
    lr: float = 0.03
    batch_size: int = 100
    l2: float = 0.0
    seed: int = 0
    extra_activations: dict[str, Op] = field(default_factory=dict, compare=False, repr=False)

    def activations(self) -> list[str]:
        return [*ACTIVATIONS, *self.extra_activations]

    def changed(self, changes: dict[str, Any]) -> Settings:
        """A copy with ``changes`` (from the page's JSON) applied, every value checked; unknown keys refused."""
        known = {"hidden", "activation", "loss", "optimizer", "lr", "batch_size", "l2", "seed"}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"settings: unknown setting(s) {unknown}; expected some of {sorted(known)}")
        new = replace(self, **changes)
        new.check()
        return new

    def check(self) -> None:
        hidden = self.hidden
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, (tuple, list)):
            raise ValueError(f"settings: hidden must be a list of layer sizes such as [16, 16], got {hidden!r}")
        if len(hidden) > MAX_LAYERS:
            raise ValueError(f"settings: at most {MAX_LAYERS} hidden layers, got {len(hidden)}")
        for n in hidden:
            if isinstance(n, bool) or not isinstance(n, Integral) or not 1 <= int(n) <= MAX_WIDTH:
                raise ValueError(f"settings: a hidden layer has 1 to {MAX_WIDTH} neurons, got {n!r}")
        object.__setattr__(self, "hidden", tuple(int(n) for n in hidden))
        if self.activation not in self.activations():
            raise ValueError(f"settings: unknown activation {self.activation!r}; expected one of "
                             f"{self.activations()}")
        if self.loss not in OUTPUTS:
            raise ValueError(f"settings: unknown loss {self.loss!r}; expected one of {list(OUTPUTS)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"settings: unknown optimizer {self.optimizer!r}; expected one of {list(OPTIMIZERS)}")
        object.__setattr__(self, "lr", _number(self.lr, "lr", 0.0, MAX_LR, strict=True))
        object.__setattr__(self, "l2", _number(self.l2, "l2", 0.0, MAX_L2))
        for name, top in (("batch_size", MAX_POINTS), ("seed", MAX_SEED)):
            v = getattr(self, name)
            low = 1 if name == "batch_size" else 0
            if isinstance(v, bool) or not isinstance(v, Integral) or not low <= int(v) <= top:
                raise ValueError(f"settings: {name} must be an integer from {low} to {top}, got {v!r}")
            object.__setattr__(self, name, int(v))


def _number(x: Any, name: str, low: float, high: float, strict: bool = False) -> float:
    ok = not isinstance(x, bool) and isinstance(x, Real) and math.isfinite(x) and low <= float(x) <= high
    if not ok or (strict and x == low):
        rel = ">" if strict else ">="
        raise ValueError(f"settings: {name} must be a number {rel} {low:g} and <= {high:g}, got {x!r}")
    return float(x)
