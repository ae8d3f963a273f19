"""Beyond one machine: a trained MLP moved to PyTorch and trained data-parallel by two processes.

    python examples/distributed_training.py [--out DIR] [--steps 8]      (starts the two processes itself)
    torchrun --standalone --nproc-per-node 2 examples/distributed_training.py [--out DIR] [--steps 8]

A 2-8-1 tanh MLP is trained here first (a few epochs of fit on 64 moons points), then `to_torch` turns it
into a float64 torch.nn.Sequential that torch.distributed trains on two CPU processes (the gloo backend), each
wrapped in DistributedDataParallel. Every step draws one global batch of 32 points; process r takes rows
r, r + 2, … of it (16 each), computes the mean hinge loss of its half, and DistributedDataParallel averages
the two gradients, which is the gradient of the mean over the whole batch. Both processes then take the same
SGD step, so their parameters stay identical. At the end each process reads its parameters back into an MLP
(`model.load_state_dict(net.module.state_dict())`, checked against `from_torch(net.module)`), the processes
gather them, and process 0 compares them with one process stepping the same batches on Values here, with
autograd_nn's own SGD: they agree to about 1e-16. Writes DIR/distributed_parameters.json and
DIR/distributed_loss.csv. Needs PyTorch (pip install "autograd-nn[torch]"); without it the script says so.

Run as a plain script, it starts the two processes itself (torch.multiprocessing, spawn) and they meet through
a file in a temporary directory (init_method="file://…", a FileStore): no TCP store at all, and gloo is pinned
to the loopback device (GLOO_SOCKET_IFNAME=lo), so the only sockets the run listens on are gloo's, on
127.0.0.1. Under torchrun the processes meet through torchrun's rendezvous store instead, which is PyTorch's:
it listens on all interfaces while the run lasts (PyTorch 2.13 has no option to bind it to one address), so
the plain-script launcher is the one to use on a machine whose other interfaces are reachable.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from autograd_nn import MLP, Value, data, fit, losses
from autograd_nn.optim import SGD, Adam

WORLD_SIZE = 2
SAMPLES, BATCH, LR = 64, 32, 0.1


def trained_model(seed: int = 0) -> tuple[MLP, np.ndarray, np.ndarray]:
    """The network every process starts from: the same seed, the same few epochs of fit, the same numbers."""
    X, y = data.moons(SAMPLES, noise=0.1, seed=seed)
    model = MLP(2, [8, 1], activation="tanh", seed=seed)
    fit(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05), epochs=5, batch_size=16,
        progress=False, seed=seed)
    return model, X, y


def global_batches(steps: int, seed: int = 0) -> list[np.ndarray]:
    """The rows of each step's global batch: drawn once from a seed, so every process draws the same ones."""
    rng = np.random.default_rng(seed + 1)
    return [rng.choice(SAMPLES, size=BATCH, replace=False) for _ in range(steps)]


def single_process(steps: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The reference: one process, the whole global batch each step, on Values with autograd_nn's SGD."""
    model, X, y = trained_model(seed)
    opt = SGD(model.parameters(), lr=LR)
    for rows in global_batches(steps, seed):
        loss = losses.mean_loss([losses.hinge(model([Value(float(v)) for v in X[i]]), 2 * int(y[i]) - 1)
                                 for i in rows])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.state_dict()


def largest_difference(a: dict[str, np.ndarray], b: dict[str, Any]) -> float:
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a)


def train_here(rank: int, steps: int, seed: int = 0) -> tuple[dict[str, np.ndarray], list[float]]:
    """This process's part: DistributedDataParallel on its half of each global batch; its parameters back in an
    MLP at the end, and the loss of its half at each step."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from autograd_nn.torch_bridge import from_torch, to_torch, torch_loss

    model, X, y = trained_model(seed)
    net = DistributedDataParallel(to_torch(model))  # gloo on CPU: no device_ids
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    hinge = torch_loss("hinge")
    losses_here = []
    for rows in global_batches(steps, seed):
        mine = rows[rank::dist.get_world_size()]
        opt.zero_grad()
        loss = hinge(net(torch.from_numpy(X[mine])), y[mine])
        loss.backward()  # DistributedDataParallel averages the gradients of all processes here
        opt.step()
        losses_here.append(loss.item())
    model.load_state_dict(net.module.state_dict())  # the trained numbers back into the MLP, bit for bit
    assert largest_difference(model.state_dict(), from_torch(net.module).state_dict()) == 0.0
    return model.state_dict(), losses_here


def worker(out: Path, steps: int, init_method: str = "env://", rank: int = -1, world_size: int = -1) -> None:
    """One process of the run: join the group (from torchrun's environment by default, or through
    `init_method` with an explicit rank and world size), train, gather; process 0 checks and writes."""
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size)
    rank, world = dist.get_rank(), dist.get_world_size()
    try:
        params, losses_here = train_here(rank, steps)
        gathered: list[Any] = [None] * world
        dist.all_gather_object(gathered, {"rank": rank, "parameters": params, "losses": losses_here})
    finally:
        dist.destroy_process_group()
    if rank != 0:
        return
    reference = single_process(steps)
    between = max(largest_difference(gathered[0]["parameters"], g["parameters"]) for g in gathered)
    to_reference = max(largest_difference(reference, g["parameters"]) for g in gathered)
    print(f"{world} processes (gloo, CPU), {steps} steps of SGD lr {LR}, global batches of {BATCH} "
          f"({BATCH // world} per process)")
    for step in range(steps):
        halves = [g["losses"][step] for g in gathered]
        print(f"  step {step + 1}: hinge loss of each half " + ", ".join(f"{v:.6f}" for v in halves)
              + f"; of the batch {sum(halves) / world:.6f}")
    print(f"parameters: largest difference between the processes {between:.1e}, "
          f"to one process stepping the same batches on Values {to_reference:.1e}")
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "world_size": world, "steps": steps, "lr": LR, "batch": BATCH,
        "ranks": [{k: v.tolist() for k, v in g["parameters"].items()} for g in gathered],
        "single_process": {k: v.tolist() for k, v in reference.items()},
        "largest_difference_between_ranks": between, "largest_difference_to_single_process": to_reference,
    }
    (out / "distributed_parameters.json").write_text(json.dumps(report, indent=1) + "\n")
    rows = "".join(f"{s + 1}," + ",".join(repr(float(g["losses"][s])) for g in gathered) + "\n" for s in range(steps))
    (out / "distributed_loss.csv").write_text("step," + ",".join(f"loss_rank{r}" for r in range(world)) + "\n"
                                               + rows)
    print("wrote", out / "distributed_parameters.json")
    print("wrote", out / "distributed_loss.csv")


def spawned(rank: int, init_file: str, out: Path, steps: int) -> None:
    """What torch.multiprocessing.spawn runs in each new process (its first argument is the process index)."""
    worker(out, steps, init_method=Path(init_file).as_uri(), rank=rank, world_size=WORLD_SIZE)


def launch(out: Path, steps: int) -> int:
    """Start the two processes here, meeting through a file (no TCP store) and talking over the loopback device."""
    import torch.multiprocessing as mp

    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # the spawned processes inherit this environment
    os.environ["OMP_NUM_THREADS"] = "1"
    with tempfile.TemporaryDirectory(prefix="autograd_nn_dist_") as meeting:
        mp.spawn(spawned, args=(str(Path(meeting) / "store"), out, steps), nprocs=WORLD_SIZE, join=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    parser.add_argument("--steps", type=int, default=8, help="data-parallel SGD steps (default 8)")
    args = parser.parse_args()
    if importlib.util.find_spec("torch") is None:
        print('This example needs PyTorch: pip install "autograd-nn[torch]" (in a clone: pip install -e ".[torch]"), '
              "the pinned CPU build. Nothing was run.")
        return 0
    if "LOCAL_RANK" not in os.environ:  # run as a plain script: start the two processes here
        return launch(args.out, args.steps)
    worker(args.out, args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
