"""One studio session: the data, the network, its optimizer and the run so far, and every view of them the page
shows (the boundary, the neurons' heatmaps, one sample's forward, backward and update, the chain rule for one
weight). The server turns the page's requests into calls of these methods and their results into JSON.

A training step is ``train.fit``'s: zero the gradients, the batch loss L = (1/n) Σ loss(model(xᵢ), yᵢ) + λ·Σp²
and its gradients (replayed on a recorded Tape by ``tape.TapeBackend``), then the optimizer's step. The initial
weights and the seed of the batches' order are kept, so that ``rewind()`` runs the same steps again, bit for bit.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from .. import data
from ..engine import Value, assign, write_clock
from ..engine.ops import Op
from ..lab import layer_gradient_sizes  # the gradient-size panel: lab.gradient_flow's per-layer figure
from ..nn import MLP
from ..optim import SGD, Adam, Optimizer
from ..tape import TapeBackend
from ..train import LOSSES, Batch, batch_loss
from ..viz.explain import explain
from .forward import LayeredForward
from .grid import GRID, HEAT_EVERY, Extent, PlaneGrid
from .names import input_name, parameter_names
from .settings import MAX_POINTS, MOMENTUM, OUTPUTS, Settings

DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "moons": data.moons, "circles": data.circles, "xor": data.xor, "spiral": data.spiral,
    "blobs": lambda n, noise, seed: data.blobs(n, noise, seed, centers=2),
}
NOISE = {"moons": 0.1, "circles": 0.05, "xor": 0.0, "spiral": 0.1, "blobs": 0.5}
MAX_NOISE = 2.0
MAX_FRAMES = 2000  # frames kept for the exported replay: past this, every other one is dropped (stride doubles)
MAX_STEPS_PER_REQUEST = 100
BINARY = ("bce", "binary_cross_entropy", "hinge", "mse")


def _b64(values: np.ndarray) -> str:
    """Numbers in [0, 1] as bytes 0…255, base64: the page's compact form of an image."""
    return base64.b64encode(np.round(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8).tobytes()).decode("ascii")


def _extent(X: np.ndarray) -> Extent:
    """A square around the points with a margin, so that the boundary shows around them."""
    lo, hi = X.min(0), X.max(0)
    mid, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 0.5) * 1.2
    return (float(mid[0] - half), float(mid[0] + half), float(mid[1] - half), float(mid[1] + half))


def check_points(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Data for the plane: X of shape (n, 2) with finite numbers, y one class index 0, 1, … per row."""
    Xa = np.asarray(X, dtype=float) if not isinstance(X, np.ndarray) else X.astype(float)
    if Xa.ndim != 2 or Xa.shape[1] != 2 or len(Xa) < 2:
        raise ValueError(f"Studio: X must have shape (n, 2) with n >= 2 (points of the plane), got {Xa.shape}")
    if len(Xa) > MAX_POINTS:
        raise ValueError(f"Studio: at most {MAX_POINTS} points, got {len(Xa)}")
    if not np.isfinite(Xa).all():
        raise ValueError("Studio: X holds a number that is not finite")
    ya = np.asarray(y)
    if ya.shape != (len(Xa),):
        raise ValueError(f"Studio: y must hold one label per row of X ({len(Xa)}), got shape {ya.shape}")
    if ya.dtype.kind not in "iub" and not (ya.dtype.kind == "f" and np.all(ya == np.floor(ya))):
        raise ValueError("Studio: y must hold class indices 0, 1, 2, … (whole numbers)")
    ya = ya.astype(int)
    if ya.min() < 0 or ya.max() > 9:
        raise ValueError(f"Studio: class indices must lie in 0…9, got {int(ya.min())}…{int(ya.max())}")
    return Xa, ya


class Session:
    """The studio's state; see the module doc. ``model`` (an MLP with 2 inputs) gives the first network and its
    initial weights; ``X``, ``y`` the first data (else the moons data set); ``activations`` extra one-argument
    ops offered as the hidden layers' activation."""

    def __init__(self, model: MLP | None = None, X: Any = None, y: Any = None, settings: Settings | None = None,
                 activations: Sequence[Op] = ()) -> None:
        extra = {}
        for op in activations:
            if not isinstance(op, Op) or op.arity != 1:
                raise TypeError(f"Studio: activations must be one-argument ops (engine.ops.define_op), got {op!r}")
            extra[op.name] = op
        base = settings or Settings()
        kept = {f.name: getattr(base, f.name) for f in fields(base) if f.name != "extra_activations"}
        self.settings = Settings(**kept, extra_activations=extra)
        if model is not None:
            if not isinstance(model, MLP) or model.nin != 2:
                raise TypeError(f"Studio: model must be an MLP with 2 inputs (the plane's x₁, x₂), got {model!r}")
            loss = "cross_entropy" if model.nouts[-1] > 1 else (
                "binary_cross_entropy" if model.output_activation == "sigmoid" else self.settings.loss)
            self.settings = self.settings.changed({"hidden": tuple(model.nouts[:-1]),
                                                   "activation": model.activation, "loss": loss})
        self.settings.check()
        self.dataset = "custom" if X is not None else "moons"
        self.noise = NOISE["moons"]
        self.data_seed = 0
        if X is not None:
            self.X, self.y = check_points(X, y)
        else:
            self.X, self.y = data.moons(100, self.noise, 0)
        self.extent = _extent(self.X)
        self.sample = 0
        self._fit_loss_to_classes()
        self._build(model)

    # -- the network and the run -------------------------------------------------------------------------------

    def _classes(self) -> int:
        return max(2, int(self.y.max()) + 1)

    def _fit_loss_to_classes(self) -> str | None:
        """More than two classes need one output per class: the loss becomes cross_entropy (said in the note)."""
        if self._classes() > 2 and self.settings.loss != "cross_entropy":
            self.settings = self.settings.changed({"loss": "cross_entropy"})
            return "more than two classes: the loss is now cross_entropy (one output per class)"
        return None

    def _outputs(self) -> int:
        return self._classes() if self.settings.loss == "cross_entropy" else 1

    def _new_mlp(self) -> MLP:
        s = self.settings
        sizes = [*s.hidden, self._outputs()]
        out_act = OUTPUTS[s.loss][0]
        custom = s.extra_activations.get(s.activation)
        return MLP(2, sizes, custom or s.activation, out_act, seed=s.seed)  # a user's op is an activation too

    def _build(self, model: MLP | None = None) -> None:
        """A new network from the settings (or ``model``), its initial weights kept for rewind."""
        self.model = model if model is not None else self._new_mlp()
        self.params = self.model.parameters()
        self.names = parameter_names(self.model)
        self.initial = [p.data for p in self.params]
        self.backend = TapeBackend()
        self.grid: PlaneGrid | None = None
        self._boundary_key: tuple[Any, ...] | None = None
        self._boundary: dict[str, Any] = {}
        self.run = getattr(self, "run", 0)
        self.rewind()

    def _new_optimizer(self) -> Optimizer:
        s = self.settings
        if s.optimizer == "adam":
            return Adam(self.params, lr=s.lr)
        return SGD(self.params, lr=s.lr, momentum=MOMENTUM if s.optimizer == "momentum" else 0.0)

    def rewind(self) -> None:
        """Back to the initial weights, a fresh optimizer and the first batch order: the same run again."""
        assign(self.params, self.initial)
        self.optimizer = self._new_optimizer()
        self.rng = np.random.default_rng(self.settings.seed)
        self._order: np.ndarray | None = None
        self._pos = 0
        self.steps = 0
        self.losses: list[float] = []
        self.accuracies: list[float] = []
        self.gradient_sizes: list[list[float]] = []
        self.frames: list[dict[str, Any]] = []
        self.stride = 1
        self.run += 1
        self._record_frame(None, None)

    def new_seed(self) -> None:
        self.settings = self.settings.changed({"seed": (self.settings.seed + 1) % (2**32)})
        self._build()

    def change(self, changes: dict[str, Any]) -> str | None:
        """Apply settings from the page. The network's shape (layers, activation, loss) or the seed make a new
        network; the optimizer starts afresh when it is changed; η, batch size and λ act from the next step."""
        if "hidden" in changes and isinstance(changes["hidden"], list):
            changes = {**changes, "hidden": tuple(changes["hidden"])}
        old = self.settings
        self.settings = new = old.changed(changes)
        note = self._fit_loss_to_classes()
        new = self.settings
        if (new.hidden, new.activation, new.loss, new.seed) != (old.hidden, old.activation, old.loss, old.seed):
            self._build()
        elif new.optimizer != old.optimizer:
            self.optimizer = self._new_optimizer()
        else:
            self.optimizer.lr = new.lr
        return note

    def _batch(self, rows: np.ndarray) -> Batch:
        loss_fn, target, predict = LOSSES[self.settings.loss]
        return Batch(self.X[rows], self.y[rows], loss_fn, target, predict, self.settings.l2)

    def _next_rows(self) -> np.ndarray:
        n = len(self.X)
        size = min(self.settings.batch_size, n)
        if size == n:
            return np.arange(n)
        if self._order is None or self._pos >= n:
            self._order, self._pos = self.rng.permutation(n), 0
        rows = self._order[self._pos:self._pos + size]
        self._pos += size
        return rows

    def step(self, n: int = 1) -> None:
        """n training steps (as fit takes them: zero_grad, the batch loss and its gradients, optimizer.step)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_STEPS_PER_REQUEST:
            raise ValueError(f"step: n must be an integer from 1 to {MAX_STEPS_PER_REQUEST}, got {n!r}")
        for _ in range(n):
            rows = self._next_rows()
            self.optimizer.zero_grad()
            loss, correct = self.backend(self.model, self._batch(rows))
            if not math.isfinite(loss):
                raise FloatingPointError(f"step {self.steps + 1}: the loss became {loss!r}; rewind and try a smaller "
                                         "learning rate")
            self.gradient_sizes.append(layer_gradient_sizes(self.model))
            self.optimizer.step()
            self.steps += 1
            self.losses.append(loss)
            self.accuracies.append(correct / len(rows))
            self._record_frame(loss, correct / len(rows))

    def evaluate(self) -> tuple[float, float]:
        """The full-data loss and accuracy at the current weights, no step taken (after a weight set by hand)."""
        self.optimizer.zero_grad()
        loss, correct = self.backend(self.model, self._batch(np.arange(len(self.X))))
        return loss, correct / len(self.X)

    # -- data ---------------------------------------------------------------------------------------------------

    def load_dataset(self, name: str, n: int = 100, noise: float | None = None, seed: int = 0) -> str | None:
        if name not in DATASETS:
            raise ValueError(f"data: unknown data set {name!r}; expected one of {list(DATASETS)}")
        if isinstance(n, bool) or not isinstance(n, int) or not 4 <= n <= MAX_POINTS:
            raise ValueError(f"data: the number of points must be an integer from 4 to {MAX_POINTS}, got {n!r}")
        noise = NOISE[name] if noise is None else noise
        if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise <= MAX_NOISE:
            raise ValueError(f"data: noise must be a number from 0 to {MAX_NOISE}, got {noise!r}")
        self.X, self.y = DATASETS[name](n, float(noise), seed)
        self.dataset, self.noise, self.data_seed = name, float(noise), seed
        self.extent = _extent(self.X)
        self.sample = min(self.sample, len(self.X) - 1)
        note = self._fit_loss_to_classes()
        self._build()
        return note

    def _data_changed(self) -> None:
        self._order, self._pos = None, 0
        self.sample = min(self.sample, len(self.X) - 1)
        if self._outputs() != self.model.nouts[-1]:  # a new class: one more output
            self._build()

    def add_point(self, x1: float, x2: float, label: int) -> None:
        for name, v in (("x1", x1), ("x2", x2)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"add_point: {name} must be a finite number, got {v!r}")
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
            raise ValueError(f"add_point: label must be a class index 0…9, got {label!r}")
        if len(self.X) >= MAX_POINTS:
            raise ValueError(f"add_point: at most {MAX_POINTS} points")
        self.X = np.vstack([self.X, [[float(x1), float(x2)]]])
        self.y = np.append(self.y, label)
        self._fit_loss_to_classes()
        self._data_changed()

    def remove_point(self, index: int) -> None:
        self._check_index(index, len(self.X), "remove_point: index")
        if len(self.X) <= 2:
            raise ValueError("remove_point: the data keeps at least 2 points")
        self.X, self.y = np.delete(self.X, index, 0), np.delete(self.y, index)
        self._data_changed()

    @staticmethod
    def _check_index(i: Any, n: int, what: str) -> int:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n:
            raise ValueError(f"{what} must be an integer from 0 to {n - 1}, got {i!r}")
        return i

    # -- views --------------------------------------------------------------------------------------------------

    def _plane(self) -> PlaneGrid:
        if self.grid is None or self.grid.extent != self.extent:
            self.grid = PlaneGrid(self.model, self.extent)
        self.grid.refresh()
        return self.grid

    def boundary(self) -> dict[str, Any]:
        """The output over the plane as the page colours it: for two classes the probability of class 1 (from the
        output as the loss reads it), for more the winning class and its softmax probability."""
        key = (write_clock(), self.run, self.settings.loss, self.extent, len(self.X))
        if self._boundary_key == key:
            return self._boundary
        out = self._plane().outputs()
        loss = self.settings.loss
        if loss == "cross_entropy":
            shifted = np.exp(out - out.max(1, keepdims=True))
            probs = shifted / shifted.sum(1, keepdims=True)
            shown = {"kind": "classes", "size": GRID, "classes": base64.b64encode(
                     out.argmax(1).astype(np.uint8).tobytes()).decode("ascii"), "confidence": _b64(probs.max(1))}
        else:
            o = out[:, 0]
            if loss == "bce":
                p = 1.0 / (1.0 + np.exp(-np.clip(o, -50, 50)))
            elif loss == "hinge":
                p = 0.5 + 0.5 * np.tanh(o)
            else:  # σ output (binary_cross_entropy) or a linear output read with the threshold ½ (mse)
                p = o
            shown = {"kind": "binary", "size": GRID, "values": _b64(p)}
        self._boundary_key, self._boundary = key, shown
        return shown

    def heatmaps(self) -> list[list[str]]:
        """Per layer, per neuron, its output over the plane, scaled by its largest |a| to [−1, 1] → [0, 1]."""
        out = []
        for layer in self._plane().activations():
            shown = []
            for a in layer:
                top = float(np.abs(a).max()) or 1.0
                shown.append(_b64((a / top + 1.0) / 2.0))
            out.append(shown)
        return out

    def _record_frame(self, loss: float | None, acc: float | None) -> None:
        """Keep this step's weights, loss and boundary for the exported replay (every stride-th step)."""
        if self.steps % self.stride:
            return
        self.frames.append({"step": self.steps, "loss": loss, "accuracy": acc,
                            "weights": np.array([p.data for p in self.params]), "boundary": self.boundary()})
        if len(self.frames) > MAX_FRAMES:
            self.frames = self.frames[::2]
            self.stride *= 2

    def structure(self) -> dict[str, Any]:
        s = self.settings
        return {"sizes": [2, *self.model.nouts], "names": self.names, "activation": s.activation,
                "loss": s.loss, "settings": {k: getattr(s, k) for k in ("hidden", "activation", "loss", "optimizer",
                                                                         "lr", "batch_size", "l2", "seed")},
                "activations": s.activations(), "losses": {k: v[1] for k, v in OUTPUTS.items()},
                "heat_size": GRID // HEAT_EVERY}

    def points(self) -> dict[str, Any]:
        return {"X": self.X.tolist(), "y": self.y.tolist(), "extent": list(self.extent), "dataset": self.dataset,
                "noise": self.noise, "classes": self._classes(), "sample": self.sample}

    def frame(self, since: int = 0, heat: bool = False) -> dict[str, Any]:
        """What the page redraws after a step: the weights, the boundary, the curves from step ``since`` on."""
        since = since if 0 <= since <= len(self.losses) else 0
        out = {"run": self.run, "step": self.steps, "weights": [p.data for p in self.params],
               "boundary": self.boundary(), "since": since, "losses": self.losses[since:],
               "accuracies": self.accuracies[since:], "gradient_sizes": self.gradient_sizes[since:],
               "lr": self.optimizer.lr}
        if heat:
            out["heat"] = self.heatmaps()
        return out

    # -- one sample: forward, backward, update; the chain rule for one parameter ---------------------------------

    def _sample_cost(self, i: int) -> tuple[Value, list[Value], list[tuple[list[Value], list[Value]]]]:
        """C for sample i (its loss, plus λ·Σp² when L2 is on) on a fresh graph, with its inputs x₁, x₂ and every
        layer's (z, a) nodes (labelled zˡⱼ, aˡⱼ by the MLP's forward pass)."""
        i = self._check_index(i, len(self.X), "sample")
        x = [Value(float(v), label=input_name(k + 1)) for k, v in enumerate(self.X[i])]
        forward = LayeredForward(self.model)
        cost, _ = batch_loss(forward, self._batch(np.array([i])), rows=[x])
        cost.label = "C"
        return cost, x, forward.calls[0]

    def phases(self, i: int) -> dict[str, Any]:
        """Sample i's forward pass (each zˡⱼ, aˡⱼ), backward pass (each δˡⱼ = ∂C/∂zˡⱼ and ∂C/∂w) and the update
        −η·∂C/∂w a plain gradient step on it would make (not applied: see ``apply_update``)."""
        cost, x, layers = self._sample_cost(i)
        self.sample = i
        for p in self.params:
            p.grad = 0.0
        cost.backward()
        lr = self.optimizer.lr
        grads = [p.grad for p in self.params]
        return {"sample": i, "x": [v.data for v in x], "label": int(self.y[i]), "cost": cost.data,
                "z": [[z.data for z in zs] for zs, _ in layers], "a": [[a.data for a in acts] for _, acts in layers],
                "delta": [[z.grad for z in zs] for zs, _ in layers], "grads": grads,
                "updates": [-lr * g for g in grads], "lr": lr}

    def apply_update(self, i: int) -> None:
        """The update phase: one plain gradient step θ ← θ − η·∂C/∂θ on sample i alone."""
        self.phases(i)
        assign(self.params, [p.data - self.optimizer.lr * p.grad for p in self.params])

    def explain_parameter(self, index: int, i: int) -> dict[str, Any]:
        """explain(C, w) for parameter ``index`` on sample i: the chain rule with its numbers, as text, LaTeX and
        the paths (for the page's maths), and ∂C/∂w as backward() leaves it in .grad."""
        index = self._check_index(index, len(self.params), "parameter")
        cost, _, _ = self._sample_cost(i)
        self.sample = i
        for p in self.params:
            p.grad = 0.0
        cost.backward()
        w = self.params[index]
        found = explain(cost, w, fold_unlabelled=True)
        return {"index": index, "name": self.names[index], "value": w.data, "grad": w.grad, "cost": cost.data,
                "sample": i, "text": str(found), "latex": found.latex(), "root": found.root_name,
                "w": found.w_name, "paths": [[[c, p, v] for c, p, v in path] for path in found.paths],
                "n_paths": found.n_paths, "total": found.total, "blocked": found.blocked}

    def set_parameter(self, index: int, value: float) -> None:
        index = self._check_index(index, len(self.params), "parameter")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or abs(value) > 100:
            raise ValueError(f"set_parameter: value must be a finite number from -100 to 100, got {value!r}")
        self.params[index].data = float(value)

    def replay(self) -> dict[str, Any]:
        """Everything the exported page replays: the structure, the data and the kept frames."""
        frames = [{**f, "weights": [float(f"{w:.6g}") for w in f["weights"].tolist()]} for f in self.frames]
        return {"structure": self.structure(), "points": self.points(), "frames": frames,
                "losses": self.losses, "accuracies": self.accuracies, "stride": self.stride}
