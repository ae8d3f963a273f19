"""The micrograd demo on autograd_nn: an MLP 2-16-16-1 learns the two moons with hinge loss + L2 and SGD.

    python examples/micrograd_moons.py [--out DIR]

Same workload as micrograd's demo notebook: 100 points, noise 0.1, ReLU hidden layers, a linear output score,
loss = mean max(0, 1 − y·s) + 1e-4·Σp², full-batch SGD with lr = 1.0 − 0.9·k/100 for 100 steps.
Writes the loss curve, the decision boundary and the trained model (JSON) into DIR.
"""

import argparse
from pathlib import Path

import numpy as np

from autograd_nn import MLP, data, save_mlp
from autograd_nn.optim import linear_decay
from autograd_nn.plots import plot_decision_boundary, plot_loss_curve
from autograd_nn.train import fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out_dir = parser.parse_args().out
    out_dir.mkdir(parents=True, exist_ok=True)

    X, y = data.moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    print(f"{model}: {len(model.parameters())} parameters")
    history = fit(model, X, y, loss="hinge", l2=1e-4, lr=1.0, lr_schedule=linear_decay(1.0, 0.1, 100),
                  epochs=100, progress=False)
    for k in range(0, 100, 10):
        print(f"step {k:3d}  loss {history.loss[k]:.4f}  accuracy {history.accuracy[k]:.0%}")
    print(f"100% training accuracy first reached at step {history.first_epoch_reaching(1.0)}; "
          f"{history.seconds:.2f} s for {history.steps} steps")

    def scores(points: np.ndarray) -> np.ndarray:
        return np.array([model(list(p)).data for p in points])

    print("wrote", plot_loss_curve(history.loss, out_dir / "moons_loss.png", accuracy=history.accuracy,
                                   title="micrograd demo: hinge + L2"))
    print("wrote", plot_decision_boundary(scores, X, y, out_dir / "moons_boundary.png", resolution=60,
                                          title="MLP 2-16-16-1 on the moons"))
    save_mlp(model, out_dir / "moons_mlp.json")
    print("wrote", out_dir / "moons_mlp.json")


if __name__ == "__main__":
    main()
