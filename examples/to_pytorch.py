"""When you outgrow scalars: train micrograd's moons demo here, move it to PyTorch, keep training there.

    python examples/to_pytorch.py [--out DIR] [--here 15] [--there 60]

The demo's network (MLP 2-16-16-1, ReLU, a linear score, hinge loss on 100 moons points) takes `--here`
full-batch steps on Values, with SGD (momentum 0.9) and, in a second run, Adam; weight decay 2e-4 is the
demo's L2 term 1e-4·Σp². Then `to_torch` turns it into a float64 torch.nn.Sequential and `torch_optimizer`
into a torch.optim.SGD / Adam with the same settings and state. The first step is taken in both, from the same
numbers, and compared (they agree to about 1e-16); training goes on in PyTorch for `--there` steps. The
loss curve continues without a jump: it is written to DIR/to_pytorch_loss.png. Needs PyTorch
(pip install "autograd-nn[torch]", or -e ".[torch]" in a clone); without it the script says so and stops.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from autograd_nn import MLP, data, losses
from autograd_nn.optim import SGD, Adam

SETTINGS = {
    "SGD (momentum 0.9)": lambda params: SGD(params, lr=0.05, momentum=0.9, weight_decay=2e-4),
    "Adam": lambda params: Adam(params, lr=0.02, weight_decay=2e-4),
}


def value_loss(model: MLP, X: np.ndarray, y: np.ndarray) -> Any:
    """The demo's batch loss on Values: mean hinge max(0, 1 − y·s) with labels mapped to ±1."""
    return losses.mean_loss([losses.hinge(model(list(map(float, x))), 2 * int(t) - 1) for x, t in zip(X, y)])


def run(make_optimizer: Any, steps_here: int, steps_there: int, seed: int = 0) -> dict[str, Any]:
    """Train here, move, compare the first step taken in both, train there. Returns the losses and the check."""
    import torch

    from autograd_nn.torch_bridge import to_torch, torch_loss, torch_optimizer

    X, y = data.moons(100, noise=0.1, seed=seed)
    model = MLP(2, [16, 16, 1], activation="relu", seed=seed)
    opt = make_optimizer(model.parameters())

    here = []
    for _ in range(steps_here):
        loss = value_loss(model, X, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        here.append(loss.data)

    net = to_torch(model)                       # the same function, as a float64 torch.nn.Sequential
    net_opt = torch_optimizer(opt, model, net)  # the same settings, momentum buffers / Adam moments and step count
    hinge = torch_loss("hinge")                 # fit(loss="hinge") in PyTorch
    inputs = torch.from_numpy(X)

    # One step in both, from the same numbers: the same loss and the same parameters after it.
    loss = value_loss(model, X, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    net_opt.zero_grad()
    net_loss = hinge(net(inputs), y)
    net_loss.backward()
    net_opt.step()
    step_check = {"loss": abs(loss.data - net_loss.item()),
                  "parameters": max(float(np.abs(v - net.state_dict()[k].numpy()).max())
                                    for k, v in model.state_dict().items())}

    there = [net_loss.item()]
    for _ in range(steps_there - 1):
        net_opt.zero_grad()
        out = net(inputs)
        value = hinge(out, y)
        value.backward()
        net_opt.step()
        there.append(value.item())
    with torch.no_grad():
        accuracy = float(((net(inputs)[:, 0] > 0).numpy() == (y == 1)).mean())
    return {"here": here, "there": there, "check": step_check, "accuracy": accuracy, "net": net}


def plot(runs: dict[str, dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
    for (name, r), color in zip(runs.items(), ("tab:blue", "tab:orange")):
        k = len(r["here"])
        ax.plot(np.arange(1, k + 1), r["here"], color=color, lw=2, label=f"{name}: autograd_nn (Values)")
        ax.plot(np.arange(k + 1, k + 1 + len(r["there"])), r["there"], color=color, lw=2, ls="--",
                label=f"{name}: PyTorch")
    ax.axvline(len(next(iter(runs.values()))["here"]) + 0.5, color="grey", lw=1)
    ax.text(len(next(iter(runs.values()))["here"]) + 1, ax.get_ylim()[1] * 0.95, "to_torch", color="grey",
            va="top")
    ax.set_xlabel("step (full batch, 100 points)")
    ax.set_ylabel("hinge loss")
    ax.set_title("Moons, MLP 2-16-16-1: training moves to PyTorch and goes on")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    parser.add_argument("--here", type=int, default=15, help="steps on Values before the move (default 15)")
    parser.add_argument("--there", type=int, default=60, help="steps in PyTorch after it (default 60)")
    args = parser.parse_args()
    if importlib.util.find_spec("torch") is None:
        print('This example needs PyTorch: pip install "autograd-nn[torch]" (in a clone: pip install -e ".[torch]"), '
              "the pinned CPU build. Nothing was run.")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {}
    for name, make in SETTINGS.items():
        r = runs[name] = run(make, args.here, args.there)
        print(f"{name}: {len(r['here'])} steps here, loss {r['here'][0]:.4f} -> {r['here'][-1]:.4f}")
        print(f"  the first step in both: loss differs by {r['check']['loss']:.1e}, "
              f"parameters after it by at most {r['check']['parameters']:.1e}")
        print(f"  {len(r['there'])} steps in PyTorch, loss {r['there'][0]:.4f} -> {r['there'][-1]:.4f}, "
              f"training accuracy {r['accuracy']:.0%}")
    print("the network in PyTorch:", runs["Adam"]["net"], sep="\n")
    print("wrote", plot(runs, args.out / "to_pytorch_loss.png"))


if __name__ == "__main__":
    main()
