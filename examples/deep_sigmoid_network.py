"""A deep sigmoid network (from “Machine learning on biology S2”, 2019; see README, References):
4 inputs, sigmoid hidden layers 15-14-15-16, 2 sigmoid outputs, 3 training samples.

    python examples/deep_sigmoid_network.py [--out DIR]

The cost is ½ squared error summed over the three samples; each step is one gradient-descent update from the
gradients backward() accumulates over all samples. Prints the cost as it falls and a prediction for a new
input close to the first sample; writes the loss curve into DIR.
"""

import argparse
from pathlib import Path

from autograd_nn import MLP, Value, losses
from autograd_nn.optim import SGD
from autograd_nn.plots import plot_loss_curve

X = [[0.2, 0.5, 0.5, 0.3], [0.1, 0.2, 0.15, 0.1], [0.7, 0.9, 0.4, 0.8]]
Y = [[0.5, 0.4], [0.9, 0.1], [0.3, 0.5]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    model = MLP(4, [15, 14, 15, 16, 2], activation="sigmoid", output_activation="sigmoid", seed=0)
    opt = SGD(model.parameters(), lr=0.5, momentum=0.9)
    costs = []
    for step in range(args.steps):
        opt.zero_grad()
        cost = Value(0.0)
        for x, y in zip(X, Y):
            cost = cost + losses.squared_error(model(x), y)
        cost.backward()
        opt.step()
        costs.append(cost.data)
        if step % (args.steps // 10) == 0 or step == args.steps - 1:
            print(f"step {step:4d}  cost {cost.data:.6f}")
    for x, y in zip(X, Y):
        print(f"x = {x} → {[round(o.data, 3) for o in model(x)]}  (target {y})")
    print("new input [0.19, 0.51, 0.49, 0.29] →", [round(o.data, 3) for o in model([0.19, 0.51, 0.49, 0.29])])
    print("wrote", plot_loss_curve(costs, args.out / "deep_sigmoid_network_cost.png",
                                     title="4-15-14-15-16-2 sigmoid network: ½ Σ squared error"))


if __name__ == "__main__":
    main()
