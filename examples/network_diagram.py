"""A network diagram of a small MLP trained on the moons data: weights as coloured edges, with ∂C/∂w.

    python examples/network_diagram.py [--out DIR]

Trains a 2-6-1 tanh MLP for a few seconds (hinge loss, full batch), then draws it for one input row: blue
edges are positive weights, red negative, thicker is larger |w|; each edge shows w and ∂C/∂w from the last
training step; each neuron shows its activation, bias and its output a for that row.
Writes network_diagram.svg and network_diagram.png into DIR.
"""

import argparse
from pathlib import Path

from autograd_nn import MLP, fit
from autograd_nn.data import moons
from autograd_nn.optim import Adam
from autograd_nn.viz import draw_network, render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out_dir = parser.parse_args().out
    out_dir.mkdir(parents=True, exist_ok=True)

    X, y = moons(n=80, noise=0.1, seed=0)
    model = MLP(2, [6, 1], activation="tanh", seed=0)
    history = fit(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05), epochs=60,
                  progress=False)
    print(f"trained 2-6-1 MLP on moons: loss {history.loss[0]:.3f} -> {history.loss[-1]:.3f}, "
          f"accuracy {history.accuracy[-1]:.0%}")
    graph = draw_network(model, inputs=list(X[0]))
    for fmt in ("svg", "png"):
        print("wrote", render(graph, out_dir / f"network_diagram.{fmt}", format=fmt))


if __name__ == "__main__":
    main()
