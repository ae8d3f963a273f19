"""The micrograd demo, run in autograd_nn and in micrograd 0.1.0 on the same data and the same initial weights.

    python benchmarks/moons_demo.py [--repeats 1] [--seed 0]

Workload (micrograd's demo notebook): moons, 100 samples, noise 0.1; MLP 2-16-16-1, ReLU hidden layers, linear
output; loss = mean hinge max(0, 1 − y·s) + 1e-4·Σp²; full-batch SGD, lr = 1.0 − 0.9·k/100, 100 steps.
Prints, for each library, the final accuracy, the first step with 100% accuracy and the best wall time of
`--repeats` runs, and the time ratio. Both start from the same weights (copied parameter by parameter).
"""

import argparse
import time

from micrograd.engine import Value as MgValue
from micrograd.nn import MLP as MgMLP

from autograd_nn import MLP, data
from autograd_nn.optim import linear_decay
from autograd_nn.train import fit

STEPS = 100


def micrograd_run(weights, X, y):
    model = MgMLP(2, [16, 16, 1])
    for p, w in zip(model.parameters(), weights):
        p.data = w
    ys = [1 if t == 1 else -1 for t in y]
    inputs = [[MgValue(float(a)) for a in row] for row in X]
    accuracy = []
    start = time.perf_counter()
    for k in range(STEPS):
        scores = [model(x) for x in inputs]
        losses = [(1 + -yi * s).relu() for yi, s in zip(ys, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        accuracy.append(sum((yi > 0) == (s.data > 0) for yi, s in zip(ys, scores)) / len(ys))
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / STEPS
        for p in model.parameters():
            p.data -= lr * p.grad
    return accuracy, time.perf_counter() - start, [p.data for p in model.parameters()]


def autograd_nn_run(weights, X, y):
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    for p, w in zip(model.parameters(), weights):
        p.data = w
    history = fit(model, X, y, loss="hinge", l2=1e-4, lr=1.0, lr_schedule=linear_decay(1.0, 0.1, STEPS),
                  epochs=STEPS, progress=False)
    return history.accuracy, history.seconds, [p.data for p in model.parameters()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    X, y = data.moons(100, noise=0.1, seed=args.seed)
    weights = [p.data for p in MLP(2, [16, 16, 1], activation="relu", seed=args.seed).parameters()]
    results = {}
    for name, run in (("micrograd 0.1.0", micrograd_run), ("autograd_nn", autograd_nn_run)):
        best = None
        for _ in range(args.repeats):
            accuracy, seconds, final = run(weights, X, y)
            best = (accuracy, seconds, final) if best is None or seconds < best[1] else best
        results[name] = best
    print(f"micrograd demo: moons n=100 noise=0.1 seed={args.seed}, MLP 2-16-16-1, {STEPS} steps, "
          f"best of {args.repeats}")
    print(f"{'library':<16} {'final acc':>9} {'first 100% at step':>19} {'wall time':>10}")
    for name, (accuracy, seconds, _) in results.items():
        first = next((k + 1 for k, a in enumerate(accuracy) if a >= 1.0), None)
        print(f"{name:<16} {accuracy[-1]:>9.0%} {str(first):>19} {seconds:>9.2f}s")
    mg, ours = results["micrograd 0.1.0"], results["autograd_nn"]
    print(f"speed-up (micrograd time / autograd_nn time): {mg[1] / ours[1]:.2f}x")
    gap = max(abs(a - b) for a, b in zip(mg[2], ours[2]))
    print(f"largest difference between the two final parameter sets: {gap:.1e}")


if __name__ == "__main__":
    main()
