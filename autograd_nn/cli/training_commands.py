"""``demo`` and ``train``: train an MLP on a 2-D toy data set with ``autograd_nn.train.fit`` and draw it."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from .. import data, optim
from ..engine import DomainError, Value
from ..nn import MLP, Model, place_label
from ..serialize import ModelFileError, save_mlp
from ..train import LOSSES, Batch, History, batch_loss, fit
from .args import UsageError, output_dir, output_file

# plots (matplotlib) and viz (graphviz) are imported inside the commands that draw: they are slow to load.

# Sizes are limited so that a run finishes in minutes. Measured here (Value engine, one core): training costs
# about 0.4-2.5 µs per sample, epoch and parameter (the most for one wide layer, whose neurons have few inputs),
# drawing the decision boundary about 0.2-1 µs per grid point and parameter.
CLASSES = {"moons": 2, "circles": 2, "xor": 2, "spiral": 2, "blobs": 3}  # a data set needs a point per class
MAX_SAMPLES = 100_000  # the scatter plots stay readable and quick to draw
MAX_PARAMETERS = 20_000  # --layers 1000 is 4,001; --layers 100000 (400,001) would take hours per epoch
MAX_TRAINING_WORK = 500_000_000  # samples × epochs × parameters: about 3-20 minutes here
GRID = 80  # the decision boundary's grid is GRID × GRID points for a network of up to GRID_WORK / GRID² parameters
GRID_WORK = GRID * GRID * 1_000  # (the default 337 has it), coarser for a larger one: 40 × 40 for --layers 1000,
MIN_GRID = 20  # 20 × 20 from 16,000 parameters on; drawing then takes at most about 10-20 s here
DIVERGED = 10  # training diverged when its last epoch's loss is this many times the untrained network's


def parameter_count(hidden: list[int], outputs: int) -> int:
    """Weights and biases of an MLP with 2 inputs, these hidden layers and ``outputs`` outputs."""
    sizes = [2, *hidden, outputs]
    return sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(sizes) - 1))


def check_sizes(dataset: str, samples: int, hidden: list[int], loss: str, epochs: int, demo: bool = False) -> int:
    """Refuse sizes too small to train on or too large to finish in reasonable time; returns the parameter count."""
    least = CLASSES[dataset]
    if samples < least:
        raise UsageError(f"--samples {samples}: the {dataset} data set needs at least {least} points (one per class)")
    if samples > MAX_SAMPLES:
        raise UsageError(f"--samples {samples:,}: at most {MAX_SAMPLES:,}")
    outputs = CLASSES[dataset] if loss == "cross_entropy" else 1
    params = parameter_count(hidden, outputs)
    if params > MAX_PARAMETERS:
        shape = "-".join(str(n) for n in [2, *hidden, outputs]) if len(hidden) <= 8 else f"{len(hidden)}-layer"
        raise UsageError(f"--layers {_short_layers(hidden)}: a {shape} network has {params:,} parameters, "
                         f"at most {MAX_PARAMETERS:,} can be trained and drawn in reasonable time "
                         "(one scalar Value each; about 1 µs per parameter per sample and per grid point)")
    work = samples * epochs * params
    if work > MAX_TRAINING_WORK and demo:
        raise UsageError(f"--epochs {epochs:,}: the demo trains at most {MAX_TRAINING_WORK // (samples * params):,} "
                         f"epochs ({samples:,} samples × {params:,} parameters × epochs ≤ {MAX_TRAINING_WORK:,}, "
                         "minutes of training)")
    if work > MAX_TRAINING_WORK:
        raise UsageError(f"--epochs {epochs:,} × --samples {samples:,} × {params:,} parameters = {work:,}: at most "
                         f"{MAX_TRAINING_WORK:,} (minutes of training); use fewer epochs, samples or parameters")
    return params


def _short_layers(hidden: list[int]) -> str:
    text = ",".join(map(str, hidden))
    return text if len(text) <= 40 else f"{text[:40]}… ({len(hidden):,} layers)"


def grid_size(params: int) -> int:
    """The side of the decision boundary's grid: GRID, or fewer points for a large network (see GRID_WORK)."""
    return max(MIN_GRID, min(GRID, math.isqrt(GRID_WORK // max(params, 1))))


def _phase(options: argparse.Namespace, text: str) -> None:
    """One line on stderr before a phase that can take a while (hidden by --no-progress)."""
    if not options.no_progress:
        print(text, file=sys.stderr, flush=True)


def _train(dataset: str, samples: int, hidden: list[int], activation: str, loss: str, optimizer: str, lr: float,
           epochs: int, batch_size: int, seed: int,
           progress: bool | None, demo: bool = False) -> tuple[MLP, np.ndarray, np.ndarray, History]:
    """Make the data, the model and the optimizer, and run ``fit``; returns (model, X, y, history). A warning on
    stderr says when the loss ends far above the untrained network's (a learning rate too large)."""
    X, y = getattr(data, dataset)(n=samples, seed=seed)
    classes = int(np.max(y)) + 1
    if classes > 2 and loss != "cross_entropy":
        raise UsageError(f"--dataset {dataset} has {classes} classes: --loss {loss} is for two classes, "
                         "use --loss cross_entropy")
    outputs = classes if loss == "cross_entropy" else 1
    # binary_cross_entropy reads the output as a probability: a sigmoid output unit (bce takes the logit instead)
    output_activation = "sigmoid" if loss == "binary_cross_entropy" else "linear"
    model = MLP(2, [*hidden, outputs], activation=activation, output_activation=output_activation, seed=seed)
    opt = optim.Adam(model.parameters(), lr=lr) if optimizer == "adam" else optim.SGD(model.parameters(), lr=lr)
    loss_fn, target, _ = LOSSES[loss]
    untrained = batch_loss(model, Batch(X, y, loss_fn, target, None, 0.0))[0].data  # one forward pass, no step
    try:
        history = fit(model, X, y, loss=loss, optimizer=opt, epochs=epochs, batch_size=batch_size,
                      progress=progress, seed=seed)
    except (DomainError, FloatingPointError) as exc:  # the weights blew up: say what to change
        raise UsageError(f"training diverged ({exc}); try a smaller --lr than {lr:g}") from None
    except ValueError as exc:
        if not str(exc).startswith("binary_cross_entropy: probability"):
            raise
        raise UsageError(f"the sigmoid output reached exactly 0 or 1, where --loss binary_cross_entropy is infinite "
                         f"({exc}); use --loss bce (the same loss from the logit, finite everywhere) or a smaller "
                         f"--lr than {lr:g}") from None
    if history.loss[-1] > DIVERGED * untrained:  # finite, but far worse than where it started: say so
        print(f"autograd-nn {'demo' if demo else 'train'}: warning: training diverged: the loss went from "
              f"{untrained:.4g} (untrained) to {history.loss[-1]:.4g} after {epochs:,} epoch(s); try a smaller "
              f"--lr than {lr:g}", file=sys.stderr)
    return model, X, y, history


def _scores(model: Model, points: np.ndarray) -> np.ndarray:
    """What plot_decision_boundary shades: one output's score; two outputs' logit difference (class 1 vs 0);
    with more outputs, the class index (argmax)."""
    out: list[float] = []
    for p in points:
        o = model([float(p[0]), float(p[1])])
        if isinstance(o, list):
            d = [v.data for v in o]
            out.append(d[0] if len(d) == 1 else d[1] - d[0] if len(d) == 2 else int(np.argmax(d)))
        else:
            out.append(o.data)
    return np.asarray(out)


def _draw_training(model: MLP, X: np.ndarray, y: np.ndarray, history: History, out: Path, title: str,
                   options: argparse.Namespace) -> list[Path]:
    params = len(model.parameters())
    side = grid_size(params)
    _phase(options, f"drawing the loss curve and the decision boundary ({side}×{side} grid: {side * side:,} forward "
                    f"passes of the {params:,}-parameter network)")
    from ..plots import plot_decision_boundary, plot_loss_curve

    loss_png = plot_loss_curve(history.loss, out / "loss_curve.png", accuracy=getattr(history, "accuracy", None),
                               title=f"{title}: loss per epoch")
    threshold = 0.5 if model.output_activation == "sigmoid" else 0.0  # a probability, or a score/logit
    boundary_png = plot_decision_boundary(lambda pts: _scores(model, pts), X, y, out / "decision_boundary.png",
                                          threshold=threshold, resolution=side, title=f"{title}: decision boundary")
    return [loss_png, boundary_png]


def _summary(history: History) -> str:
    acc = getattr(history, "accuracy", None)
    text = f"final loss {history.loss[-1]:.4f}"
    return text + (f", accuracy {acc[-1]:.1%}" if acc else "")


def train(options: argparse.Namespace) -> int:
    params = check_sizes(options.dataset, options.samples, options.layers, options.loss, options.epochs)
    out = output_dir(options.out)
    # checked before training: a place that cannot take the file would otherwise fail only after it
    save = output_file(options.save, (".json",), "--save", replaced=True) if options.save else None
    shape = _short_layers([2, *options.layers]).replace(",", "-")
    outputs = CLASSES[options.dataset] if options.loss == "cross_entropy" else 1
    _phase(options, f"training a {shape}-{outputs} {options.activation} MLP ({params:,} parameters) on "
                    f"{options.samples:,} {options.dataset} points: {options.epochs:,} epoch(s), {options.optimizer} "
                    f"lr {options.lr:g}, batch size {min(options.batch_size, options.samples):,}")
    model, X, y, history = _train(options.dataset, options.samples, options.layers, options.activation,
                                  options.loss, options.optimizer, options.lr, options.epochs, options.batch_size,
                                  options.seed, False if options.no_progress else None)
    print(_summary(history))
    written = _draw_training(model, X, y, history, out, options.dataset, options)
    if save:
        _phase(options, f"saving the model to {save}")
        try:
            save_mlp(model, save)
        except ModelFileError as exc:  # the folder changed since it was checked
            raise UsageError(f"--save: {exc} (the pictures are written in {str(out)!r})") from None
        written.append(save)
    for path in written:
        print(f"wrote {path}")
    return 0


def _neuron_graph(model: MLP, X: np.ndarray, y: np.ndarray, path: Path, sample: int = 0) -> Path:
    """One neuron of the trained network on one training sample: the first neuron of layer 1 that the sample
    turns on (z > 0; neuron 1 if none), a¹ⱼ = f(z¹ⱼ), z¹ⱼ = w¹ⱼ₁x₁ + w¹ⱼ₂x₂ + b¹ⱼ, every node named by its place,
    with ∂a¹ⱼ/∂(each node) and the chain a¹ⱼ → w¹ⱼ₁ highlighted; the caption says which neuron and which sample.
    (The sample's cost would show zeros: after training every sample is beyond the hinge margin.)"""
    from ..viz import draw_graph, render

    x = [Value(float(v), label=place_label("x", None, k)) for k, v in enumerate(X[sample], 1)]
    neurons = model.layers[0].neurons
    outputs = [n(x) for n in neurons]  # the trained neurons' own forward pass: nodes labelled z¹ⱼ, a¹ⱼ
    j = next((j for j, a in enumerate(outputs) if a.parents and a.parents[0].data > 0), 0)
    a, neuron = outputs[j], neurons[j]
    a.backward()
    graph = draw_graph(a, highlight=neuron.w[0])
    x_text = ", ".join(f"{v:.3g}" for v in X[sample])
    graph.attr(label=f"neuron {j + 1} of layer 1 of the trained network, {a.label} = {neuron.activation}"
                     f"({neuron.z_label}), on training sample {sample} (x = ({x_text}), class {int(y[sample])}); "
                     f"grads are ∂{a.label}/∂(each node)", labelloc="t", fontname="Helvetica", fontsize="12")
    return render(graph, path)


def demo(options: argparse.Namespace) -> int:
    check_sizes("moons", 100, [16, 16], "hinge", options.epochs, demo=True)
    out = output_dir(options.out)
    from ..viz import draw_network, render

    print("Training a 2-16-16-1 ReLU MLP on 100 moons points (hinge loss, Adam, lr 0.05)")
    model, X, y, history = _train("moons", 100, [16, 16], "relu", "hinge", "adam", 0.05, options.epochs, 32, 0,
                                  False if options.no_progress else None, demo=True)
    print(_summary(history))
    written = _draw_training(model, X, y, history, out, "moons", options)
    _phase(options, "drawing the network diagram and one of its neurons' computation graph, on sample 0")
    written.append(render(draw_network(model, inputs=[float(v) for v in X[0]]), out / "network.svg"))
    written.append(_neuron_graph(model, X, y, out / "neuron_graph.svg"))
    for path in written:
        print(f"wrote {path}")
    return 0
