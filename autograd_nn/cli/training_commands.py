"""``demo`` and ``train``: train an MLP on a 2-D toy data set with ``autograd_nn.train.fit`` and draw it."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .. import data, optim
from ..engine import DomainError, Value
from ..nn import MLP, Model, Neuron
from ..serialize import save_mlp
from ..train import History, fit
from .args import UsageError, output_dir, output_file

# plots (matplotlib) and viz (graphviz) are imported inside the commands that draw: they are slow to load.


def _train(dataset: str, samples: int, hidden: list[int], activation: str, loss: str, optimizer: str, lr: float,
           epochs: int, batch_size: int, seed: int,
           progress: bool | None) -> tuple[MLP, np.ndarray, np.ndarray, History]:
    """Make the data, the model and the optimizer, and run ``fit``; returns (model, X, y, history)."""
    X, y = getattr(data, dataset)(n=samples, seed=seed)
    classes = int(np.max(y)) + 1
    if classes > 2 and loss != "cross_entropy":
        raise UsageError(f"--dataset {dataset} has {classes} classes: --loss {loss} is for two classes, "
                         "use --loss cross_entropy")
    outputs = classes if loss == "cross_entropy" else 1
    model = MLP(2, [*hidden, outputs], activation=activation, seed=seed)
    opt = optim.Adam(model.parameters(), lr=lr) if optimizer == "adam" else optim.SGD(model.parameters(), lr=lr)
    try:
        history = fit(model, X, y, loss=loss, optimizer=opt, epochs=epochs, batch_size=batch_size,
                      progress=progress, seed=seed)
    except (DomainError, FloatingPointError) as exc:  # the weights blew up: say what to change
        raise UsageError(f"training diverged ({exc}); try a smaller --lr than {lr:g}") from None
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


def _draw_training(model: Model, X: np.ndarray, y: np.ndarray, history: History, out: Path, title: str) -> list[Path]:
    from ..plots import plot_decision_boundary, plot_loss_curve

    loss_png = plot_loss_curve(history.loss, out / "loss_curve.png", accuracy=getattr(history, "accuracy", None),
                               title=f"{title}: loss per epoch")
    boundary_png = plot_decision_boundary(lambda pts: _scores(model, pts), X, y, out / "decision_boundary.png",
                                          resolution=80, title=f"{title}: decision boundary")
    return [loss_png, boundary_png]


def _summary(history: History) -> str:
    acc = getattr(history, "accuracy", None)
    text = f"final loss {history.loss[-1]:.4f}"
    return text + (f", accuracy {acc[-1]:.1%}" if acc else "")


def train(options: argparse.Namespace) -> int:
    out = output_dir(options.out)
    save = output_file(options.save, (".json",)) if options.save else None  # checked before training
    model, X, y, history = _train(options.dataset, options.samples, options.layers, options.activation,
                                  options.loss, options.optimizer, options.lr, options.epochs, options.batch_size,
                                  options.seed, False if options.no_progress else None)
    print(_summary(history))
    written = _draw_training(model, X, y, history, out, options.dataset)
    if save:
        save_mlp(model, save)
        written.append(save)
    for path in written:
        print(f"wrote {path}")
    return 0


def demo(options: argparse.Namespace) -> int:
    out = output_dir(options.out)
    from ..viz import draw_graph, draw_network, render

    print("Training a 2-16-16-1 ReLU MLP on 100 moons points (hinge loss, Adam, lr 0.05)")
    model, X, y, history = _train("moons", 100, [16, 16], "relu", "hinge", "adam", 0.05, options.epochs, 32, 0,
                                  False if options.no_progress else None)
    print(_summary(history))
    written = _draw_training(model, X, y, history, out, "moons")
    written.append(render(draw_network(model, inputs=[float(v) for v in X[0]]), out / "network.svg"))

    # One neuron's cost C = (a - y)², a = tanh(z), z = w·x + b, every node named, the chain C → w1 highlighted.
    neuron = Neuron(2, activation="tanh", seed=0)
    for i, w in enumerate(neuron.w, 1):
        w.label = f"w{i}"
    neuron.b.label = "b"
    x = [Value(float(v), label=f"x{i}") for i, v in enumerate(X[0], 1)]
    a = neuron(x)
    a.label, a.parents[0].label = "a", "z"
    target = Value(1.0 if y[0] > 0 else -1.0, label="y")
    error = a - target
    error.label = "a - y"
    cost = error ** 2
    cost.label = "C"
    cost.backward()
    graph = draw_graph(cost, show_local_grads=True, highlight=neuron.w[0])
    written.append(render(graph, out / "neuron_cost_graph.svg"))
    for path in written:
        print(f"wrote {path}")
    return 0
