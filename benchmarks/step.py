"""Time one full-batch training step in micrograd 0.1.0, the plain engine, the Tape, numpy by hand and PyTorch.

    python benchmarks/step.py [--reps 7] [--workload moons|spiral|both] [--threads N] [--before PACKAGE] [--arrays-only]

moons (micrograd's demo): 100 samples (noise 0.1), MLP 2-16-16-1 (ReLU hidden, linear output),
mean hinge max(0, 1 − y·s) + 1e-4·Σp², SGD.
spiral (ten times larger): 300 samples, 3 classes, MLP 2-32-32-3 (ReLU hidden, linear output), mean softmax
cross-entropy + 1e-4·Σp², SGD. micrograd is left out there: micrograd 0.1.0 has no exp or log, so it cannot
write softmax cross-entropy (and at its moons speed one step would take about 40 s).

A step is forward + backward + the SGD update. Every system starts from the same data and initial weights; the
first step of each is checked to give the same loss and gradients (1e-12, relative to max(1, |x|)), outside the
timing; then the systems are timed round-robin in one run and the medians compared, with a gc.collect() before
each system's turn (so that none pays for collecting another's garbage, e.g. micrograd's reference cycles).
The plain engine and the Tape run in several ways of writing the step: the model called on plain floats as the
README does (``model(list(x))``) or on Value inputs, the loss as ``losses.mean_loss`` (+ α·weighted_sum(p, p)) or
micrograd-style with ``sum()``. A Tape is recorded once, before timing (as fit's TapeBackend does), and stepped in
two ways:

- "Value API": ``tape.forward()``, every ``p.grad = 0``, ``tape.backward()`` (which adds to every ``p.grad``), then
  ``p.data -= lr * p.grad`` for every parameter, as a loop over Values would;
- "bound": the parameters bound to one float64 array (``bound = tape.bind(params)``) and stepped by the library's
  optimizer over it, ``opt = optim.SGD(bound, lr)``: a step is ``tape.forward(); tape.gradient(); opt.step()``,
  a few numpy operations on the array the tape reads, and no Value is read or written.

PyTorch (optional: ``pip install -e .[bench]``, torch==2.13.0; its rows are skipped without it) runs eager on
CPU in float64: ``nn.Sequential`` of ``nn.Linear``/``nn.ReLU``, ``torch.optim.SGD``, with
``torch.set_num_threads`` set to numpy's BLAS thread count. JAX (optional, ``pip install jax``; its row is skipped
without it) runs the same step as one ``jax.jit``-compiled function in float64 on CPU (``jax_enable_x64``).

``--threads N`` runs every system with N threads: numpy's BLAS (through threadpoolctl), PyTorch's intra-op
threads and XLA's CPU threads (set before jax is imported).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_nn import data
from autograd_nn.engine import Value, weighted_sum
from autograd_nn.losses import hinge, mean_loss, softmax_cross_entropy
from autograd_nn.nn import MLP
from autograd_nn.optim import SGD
from autograd_nn.tape import Tape

try:
    from micrograd import engine as mg_engine
    from micrograd import nn as mg_nn
except ImportError:  # a test dependency: its row is skipped without it
    mg_engine = mg_nn = None

try:
    import torch
except ImportError:
    torch = None

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # a dependency of autograd_nn; without it --threads does not bound numpy's BLAS
    threadpool_limits = None

jax: Any = None  # imported by load_jax(), after the thread settings that XLA reads at import

ALPHA, LR = 1e-4, 0.05
NAME = 34  # the width of the system column


@dataclass
class Workload:
    name: str
    sizes: list[int]
    X: np.ndarray
    y: np.ndarray  # moons: ±1 floats; spiral: class indices
    kind: str  # "hinge" or "cross_entropy"
    micrograd: bool


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    half = n // 2
    t_out, t_in = np.linspace(0, np.pi, n - half), np.linspace(0, np.pi, half)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    y = np.r_[np.ones(n - half), -np.ones(half)]
    return X + rng.normal(scale=noise, size=X.shape), y


def workloads() -> dict[str, Workload]:
    Xm, ym = moons()
    Xs, ys = data.spiral(300, 0.1, seed=0, classes=3)
    return {"moons": Workload("moons", [2, 16, 16, 1], Xm, ym, "hinge", True),
            "spiral": Workload("spiral", [2, 32, 32, 3], Xs, ys.astype(int), "cross_entropy", False)}


def initial_weights(sizes: list[int], seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer (W of shape (nout, nin), b), as PyTorch lays them out; U(-1, 1) as micrograd's init."""
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-1, 1, (nout, nin)), rng.uniform(-1, 1, nout)) for nin, nout in zip(sizes, sizes[1:])]


def set_weights(model: Any, weights: list[tuple[np.ndarray, np.ndarray]]) -> Any:
    """Give a model (autograd_nn's or micrograd's: both have layers → neurons → w, b) the shared weights."""
    for layer, (W, B) in zip(model.layers, weights):
        for neuron, row, b in zip(layer.neurons, W, B):
            for p, w in zip(neuron.w, row):
                p.data = float(w)
            neuron.b.data = float(b)
    return model


# -- autograd_nn: the plain engine and the tape -------------------------------------------------------------

def library_model(w: Workload, weights: list[tuple[np.ndarray, np.ndarray]]) -> MLP:
    return set_weights(MLP(w.sizes[0], w.sizes[1:], activation="relu", output_activation="linear"), weights)


def loss_graph(model: MLP, w: Workload, inputs: str, style: str) -> Value:
    """The workload's loss on Values. inputs: "floats" (``model(list(x))``, as the README) or "values" (Value
    inputs, as micrograd's demo); style: "mean_loss" (losses.mean_loss + α·weighted_sum(p, p), as fit) or "sum"
    (micrograd's ``sum(losses) * (1/n) + α·sum(p*p)``)."""
    rows = w.X.tolist()
    xs = rows if inputs == "floats" else [[Value(v) for v in row] for row in rows]
    outs = [model(list(x)) for x in xs]
    if w.kind == "hinge":
        per = [hinge(o, yi) for o, yi in zip(outs, w.y.tolist())]
    else:
        per = [softmax_cross_entropy(o, int(k)) for o, k in zip(outs, w.y.tolist())]
    ps = model.parameters()
    if style == "mean_loss":
        return mean_loss(per) + ALPHA * weighted_sum(ps, ps)
    return sum(per) * (1.0 / len(per)) + ALPHA * sum(p * p for p in ps)


def value_system(w: Workload, weights: Any, inputs: str, style: str) -> tuple[Callable[[], float], Callable]:
    model = library_model(w, weights)
    params = model.parameters()

    def step() -> float:
        loss = loss_graph(model, w, inputs, style)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.data

    return step, lambda: [p.grad for p in params]


def tape_system(w: Workload, weights: Any, inputs: str, style: str) -> tuple[Callable[[], float], Callable]:
    """The Tape through the Value API: every parameter's .grad zeroed, accumulated and read, its .data assigned."""
    model = library_model(w, weights)
    params = model.parameters()
    tape = Tape(loss_graph(model, w, inputs, style))

    def step() -> float:
        loss = tape.forward()  # reads the parameters' current .data
        for p in params:
            p.grad = 0.0
        tape.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss

    return step, lambda: [p.grad for p in params]


def tape_bound_system(w: Workload, weights: Any, inputs: str, style: str) -> tuple[Callable[[], float], Callable]:
    """The Tape with the parameters bound to one float64 array, stepped by the library's SGD over that array."""
    model = library_model(w, weights)
    params = model.parameters()
    tape = Tape(loss_graph(model, w, inputs, style))
    bound = tape.bind(params)  # the parameters' numbers now live in bound.data (a view of the tape's array)
    opt = SGD(bound, lr=LR)

    def step() -> float:
        loss = tape.forward()
        tape.gradient()  # ∂loss/∂p into bound.grad (overwritten, not accumulated)
        opt.step()  # bound.data updated in place: a few numpy operations on the array the tape reads
        return loss

    return step, lambda: bound.grad_of(params).tolist()


def before_system(package: str, w: Workload, weights: Any, style: str) -> tuple[Callable[[], float], Callable]:
    """The bound Tape step of another copy of the library, importable as ``package`` (e.g. an older commit's
    ``autograd_nn`` copied under another name, its imports renamed), to compare before and after in one run."""
    import importlib
    nn_, losses_, tape_, optim_, engine_ = (importlib.import_module(f"{package}.{m}")
                                            for m in ("nn", "losses", "tape", "optim", "engine"))
    model = set_weights(nn_.MLP(w.sizes[0], w.sizes[1:], activation="relu", output_activation="linear"), weights)
    outs = [model(list(x)) for x in w.X.tolist()]
    if w.kind == "hinge":
        per = [losses_.hinge(o, yi) for o, yi in zip(outs, w.y.tolist())]
    else:
        per = [losses_.softmax_cross_entropy(o, int(k)) for o, k in zip(outs, w.y.tolist())]
    ps = model.parameters()
    if style == "mean_loss":
        loss = losses_.mean_loss(per) + ALPHA * engine_.weighted_sum(ps, ps)
    else:
        loss = sum(per) * (1.0 / len(per)) + ALPHA * sum(p * p for p in ps)
    tape = tape_.Tape(loss)
    bound = tape.bind(ps)
    opt = optim_.SGD(bound, lr=LR)

    def step() -> float:
        value = tape.forward()
        tape.gradient()
        opt.step()
        return value

    return step, lambda: bound.grad_of(ps).tolist()


BEFORE: str | None = None  # --before PACKAGE
ARRAYS_ONLY = False  # --arrays-only: no micrograd and no plain-engine rows (seconds a step on a busy machine)


# -- micrograd 0.1.0 ----------------------------------------------------------------------------------------

def micrograd_system(w: Workload, weights: Any) -> tuple[Callable[[], float], Callable]:
    model = set_weights(mg_nn.MLP(w.sizes[0], w.sizes[1:]), weights)  # ReLU hidden, linear output
    params = model.parameters()

    def step() -> float:
        inputs = [[mg_engine.Value(v) for v in xi] for xi in w.X.tolist()]
        scores = [model(x) for x in inputs]
        losses = [(1 + -yi * s).relu() for yi, s in zip(w.y.tolist(), scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        loss = data_loss + ALPHA * sum(p * p for p in params)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.data

    return step, lambda: [p.grad for p in params]


# -- numpy by hand: matrix backprop -------------------------------------------------------------------------

def numpy_system(w: Workload, weights: Any) -> tuple[Callable[[], float], Callable]:
    Ws = [(W.copy(), b.copy()) for W, b in weights]
    X, y, n = w.X, w.y, len(w.y)
    last: list[Any] = []
    onehot = np.eye(w.sizes[-1])[y] if w.kind == "cross_entropy" else None

    def step() -> float:
        acts, zs, a = [X], [], X
        for k, (W, b) in enumerate(Ws):
            z = a @ W.T + b
            zs.append(z)
            a = np.maximum(z, 0.0) if k < len(Ws) - 1 else z
            acts.append(a)
        l2 = ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in Ws)
        if onehot is None:
            margin = 1.0 - y * a[:, 0]
            loss = np.maximum(margin, 0.0).sum() / n + l2
            delta = ((margin > 0) * -y / n)[:, None]
        else:
            m = a.max(axis=1, keepdims=True)
            e = np.exp(a - m)
            s = e.sum(axis=1, keepdims=True)
            loss = (np.log(s) + m - (a * onehot).sum(axis=1, keepdims=True)).sum() / n + l2
            delta = (e / s - onehot) / n
        grads: list[Any] = [None] * len(Ws)
        for k in range(len(Ws) - 1, -1, -1):
            W, b = Ws[k]
            grads[k] = (delta.T @ acts[k] + 2 * ALPHA * W, delta.sum(0) + 2 * ALPHA * b)
            if k:
                delta = (delta @ W) * (zs[k - 1] > 0)
        for (W, b), (gW, gb) in zip(Ws, grads):
            W -= LR * gW
            b -= LR * gb
        last[:] = grads
        return float(loss)

    return step, lambda: [g for gW, gb in last for row, gbi in zip(gW, gb) for g in (*row, gbi)]


# -- PyTorch eager, float64, CPU ----------------------------------------------------------------------------

def torch_mlp(weights: Any) -> Any:
    """The same MLP in PyTorch (float64): Linear layers with these weights, ReLU between them."""
    nn = torch.nn
    layers: list[Any] = []
    for k, (W, b) in enumerate(weights):
        linear = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear] if k == len(weights) - 1 else [linear, nn.ReLU()]
    return nn.Sequential(*layers)


def torch_system(w: Workload, weights: Any) -> tuple[Callable[[], float], Callable]:
    model = torch_mlp(weights)
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=LR)
    X = torch.from_numpy(w.X)
    y = torch.from_numpy(w.y)
    kind = w.kind

    def step() -> float:
        out = model(X)
        if kind == "hinge":
            data_loss = torch.relu(1.0 - y * out[:, 0]).mean()
        else:
            data_loss = torch.nn.functional.cross_entropy(out, y)
        loss = data_loss + ALPHA * sum((p * p).sum() for p in params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.detach())

    def grads() -> list[float]:
        out = []
        for lin in model[::2]:
            for row, gb in zip(lin.weight.grad.numpy(), lin.bias.grad.numpy()):
                out += [*row.tolist(), float(gb)]
        return out

    return step, grads


# -- JAX, jit-compiled, float64, CPU ------------------------------------------------------------------------

def load_jax(threads: int | None) -> None:
    """Import jax (if installed) in float64, with ``threads`` CPU threads for XLA when given."""
    global jax
    if threads is not None:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false "
                                   f"intra_op_parallelism_threads={threads}").strip()
    try:
        import jax as jax_module
    except ImportError:
        return
    jax_module.config.update("jax_enable_x64", True)
    jax_module.config.update("jax_platform_name", "cpu")
    jax = jax_module


def jax_system(w: Workload, weights: Any) -> tuple[Callable[[], float], Callable]:
    """One jit-compiled function: the loss, its gradients (jax.value_and_grad) and the SGD update."""
    jnp = jax.numpy
    X, y = jnp.asarray(w.X), jnp.asarray(w.y)
    kind, n_layers = w.kind, len(weights)

    def loss_of(params: Any) -> Any:
        a = X
        for k, (W, b) in enumerate(params):
            z = a @ W.T + b
            a = jnp.maximum(z, 0.0) if k < n_layers - 1 else z
        if kind == "hinge":
            data_loss = jnp.maximum(1.0 - y * a[:, 0], 0.0).mean()
        else:
            m = a.max(axis=1, keepdims=True)
            lse = jnp.log(jnp.exp(a - m).sum(axis=1)) + m[:, 0]
            data_loss = (lse - jnp.take_along_axis(a, y[:, None], axis=1)[:, 0]).mean()
        return data_loss + ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in params)

    @jax.jit
    def update(params: Any) -> Any:
        loss, grads = jax.value_and_grad(loss_of)(params)
        return loss, [(W - LR * gW, b - LR * gb) for (W, b), (gW, gb) in zip(params, grads)], grads

    state: list[Any] = [[(jnp.asarray(W), jnp.asarray(b)) for W, b in weights], None]

    def step() -> float:
        loss, state[0], state[1] = update(state[0])
        return float(loss)  # waits for the result

    def grads() -> list[float]:
        return [g for gW, gb in state[1] for row, gbi in zip(np.asarray(gW), np.asarray(gb))
                for g in (*row.tolist(), float(gbi))]

    return step, grads


def numpy_threads() -> int:
    """numpy's BLAS thread count: threadpoolctl's reading, else the *_NUM_THREADS variables OpenBLAS reads, else the
    CPUs it may use."""
    if threadpool_limits is not None:
        from threadpoolctl import threadpool_info
        blas = [lib["num_threads"] for lib in threadpool_info() if lib.get("user_api") == "blas"]
        if blas:
            return min(blas)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def systems_for(w: Workload) -> dict[str, tuple[Callable[[], float], Callable]]:
    weights = initial_weights(w.sizes)
    out: dict[str, tuple[Callable[[], float], Callable]] = {}
    if w.micrograd and mg_nn is not None and not ARRAYS_ONLY:
        out["micrograd 0.1.0"] = micrograd_system(w, weights)
    if not ARRAYS_ONLY:
        out["Value, floats, mean_loss"] = value_system(w, weights, "floats", "mean_loss")
        out["Value, Values, mean_loss"] = value_system(w, weights, "values", "mean_loss")
        out["Value, floats, sum()"] = value_system(w, weights, "floats", "sum")
    out["Tape, floats, mean_loss, Value API"] = tape_system(w, weights, "floats", "mean_loss")
    out["Tape, Values, sum(), Value API"] = tape_system(w, weights, "values", "sum")
    out["Tape, floats, mean_loss, bound"] = tape_bound_system(w, weights, "floats", "mean_loss")
    out["Tape, floats, sum(), bound"] = tape_bound_system(w, weights, "floats", "sum")
    if BEFORE is not None:
        out["Tape before, floats, mean_loss, bound"] = before_system(BEFORE, w, weights, "mean_loss")
        out["Tape before, floats, sum(), bound"] = before_system(BEFORE, w, weights, "sum")
    out["numpy by hand"] = numpy_system(w, weights)
    if torch is not None:
        out["PyTorch eager f64"] = torch_system(w, weights)
    if jax is not None:
        out["JAX jit f64"] = jax_system(w, weights)
    return out


def tape_memory(w: Workload) -> str:
    """The arrays a Tape of the workload's step keeps (model(list(x)), mean_loss): values and gradients (one float64
    per place each), and the index arrays of the kernels that gather."""
    tape = Tape(loss_graph(library_model(w, initial_weights(w.sizes)), w, "floats", "mean_loss"))
    slots = [getattr(k, name) for k in tape.plan.kernels for name in ("rows", "block", "w", "a", "b", "A", "W")
             if hasattr(k, name)]
    flat = [s for x in slots for s in (x if isinstance(x, list) else [x])]
    index = sum(s.index.nbytes for s in flat if isinstance(s.index, np.ndarray))
    arrays = tape.values.nbytes + tape.gradients.nbytes
    return (f"Tape arrays: {tape.plan.size} places ({tape.n_nodes} nodes recorded, {len(tape.leaves)} leaves), "
            f"values + gradients {arrays / 1024:.1f} KiB, gather indices {index / 1024:.1f} KiB, "
            f"{len(tape.plan.kernels)} kernels")


def round_robin(systems: dict[str, Any], reps: int) -> dict[str, float]:
    """The median seconds of one step of each system (name -> (step, …)), timed round-robin so that every system
    sees the same machine load; a fast step is repeated until about 20 ms have passed."""
    times: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(reps):
        for name, (step, *_) in systems.items():
            gc.collect()  # the garbage of the system timed before (micrograd's cycles) is not this one's to collect
            t0 = time.perf_counter()
            inner = 0
            while True:
                step()
                inner += 1
                elapsed = time.perf_counter() - t0
                if elapsed > 0.02:
                    break
            times[name].append(elapsed / inner)
    return {name: statistics.median(ts) for name, ts in times.items()}

def run(w: Workload, reps: int) -> None:
    print(f"\n== {w.name}: {len(w.X)} samples, MLP {'-'.join(map(str, w.sizes))}, "
          f"{'mean hinge' if w.kind == 'hinge' else 'mean softmax cross-entropy'} + {ALPHA}·Σp², SGD lr {LR}")
    systems = systems_for(w)
    first = {name: (step(), grads()) for name, (step, grads) in systems.items()}
    ref_name = "numpy by hand"
    ref_loss, ref_grads = first[ref_name]
    for name, (loss, grads) in first.items():
        err = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip([loss, *grads], [ref_loss, *ref_grads]))
        print(f"check {name:{NAME}s} first-step loss {loss:.15f}  max rel diff vs {ref_name} {err:.1e}")
        assert len(grads) == len(ref_grads) and err < 1e-12, name

    med = round_robin(systems, reps)
    base = "micrograd 0.1.0" if "micrograd 0.1.0" in med else "Value, floats, mean_loss" \
        if "Value, floats, mean_loss" in med else "numpy by hand"
    torch_t = med.get("PyTorch eager f64")
    faster = "× faster than " + base.split(",")[0].split(" 0")[0]
    print(f"\n{'system':{NAME}s} {'median step':>12s} {faster:>26s} {'× numpy time':>13s} {'× PyTorch time':>15s}")
    for name, t in med.items():
        vs_torch = f"{t / torch_t:15.2f}" if torch_t else f"{'-':>15s}"
        print(f"{name:{NAME}s} {t * 1e3:9.3f} ms {med[base] / t:26.1f} {t / med['numpy by hand']:13.2f} {vs_torch}")
    print(tape_memory(w))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--workload", choices=["moons", "spiral", "both"], default="both")
    parser.add_argument("--threads", type=int, default=None,
                        help="PyTorch's intra-op threads (default: numpy's BLAS thread count)")
    parser.add_argument("--before", default=None, metavar="PACKAGE",
                        help="also time the bound Tape of this importable copy of the library (an older commit)")
    parser.add_argument("--arrays-only", action="store_true",
                        help="leave out micrograd and the plain engine (the slow rows)")
    args = parser.parse_args()
    global BEFORE, ARRAYS_ONLY
    BEFORE, ARRAYS_ONLY = args.before, args.arrays_only
    load_jax(args.threads)
    if args.threads is not None and threadpool_limits is not None:
        threadpool_limits(args.threads)  # numpy's BLAS, for the rest of the run
    if jax is None:
        print("JAX is not installed: its row is skipped (pip install jax)")
    if torch is None:
        print("PyTorch is not installed: its rows are skipped (pip install -e '.[bench]' for torch==2.13.0)")
    else:
        torch.set_num_threads(args.threads or numpy_threads())
        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s) (numpy's BLAS: {numpy_threads()}); "
              "float64 on CPU")
    if mg_nn is None:
        print("micrograd is not installed: its row is skipped (pip install micrograd==0.1.0)")
    for name, w in workloads().items():
        if args.workload in (name, "both"):
            run(w, args.reps)


if __name__ == "__main__":
    main()
