"""examples/distributed_training.py: two processes started by its own launcher (gloo, CPU, a FileStore) train
the moved MLP data-parallel, end with identical parameters, and those equal one process stepping the same
batches on Values; while they run, every socket they listen on is bound to the loopback address.

Skips without torch, except in CI (CI=true), where the [torch] extra is installed and this must run.
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_examples import _environment, read_back

from autograd_nn import Value, losses

if os.environ.get("CI", "").lower() == "true":
    import torch  # noqa: F401  (CI installs the [torch] extra: a missing torch is a failure there, never a skip)
else:
    pytest.importorskip("torch", reason='PyTorch is not installed (pip install -e ".[torch]")')

PATH = Path(__file__).resolve().parent.parent / "examples" / "distributed_training.py"
STEPS = 4


def _example():
    spec = importlib.util.spec_from_file_location("distributed_training_example", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _listening_sockets() -> dict[str, tuple[str, int]]:
    """Every TCP socket in LISTEN state on this machine, by inode: its local address and port."""
    found = {}
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A":  # 0A is TCP_LISTEN
                continue
            address, port = fields[1].split(":")
            raw = bytes.fromhex(address)  # 32-bit words in host (little-endian) order
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found[fields[9]] = (socket.inet_ntop(family, raw), int(port, 16))
    return found


def _process_tree(root: int) -> set[int]:
    """root and every process descended from it."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    return tree


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    except OSError:  # the process has ended
        pass
    return inodes


def _run_watching_listeners(command, logs: Path, **kwargs):
    """Run command (its output to files in logs); while it runs, note every LISTEN socket owned by it or by a
    process it started, as (pid, address, port)."""
    listeners: set[tuple[int, str, int]] = set()
    with open(logs / "stdout", "w") as stdout, open(logs / "stderr", "w") as stderr:
        proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True, **kwargs)
        deadline = time.monotonic() + 240
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                pytest.fail(f"{command} did not finish in 240 s")
            listening = _listening_sockets()
            for pid in _process_tree(proc.pid):
                listeners |= {(pid, *listening[i]) for i in _socket_inodes(pid) if i in listening}
            time.sleep(0.05)
    return proc.returncode, (logs / "stdout").read_text(), (logs / "stderr").read_text(), listeners


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp: the listening sockets cannot be read here")
    out, cwd, logs = (tmp_path_factory.mktemp(name) for name in ("out", "cwd", "logs"))
    returncode, stdout, stderr, listeners = _run_watching_listeners(
        [sys.executable, str(PATH), "--out", str(out), "--steps", str(STEPS)], logs, cwd=cwd, env=_environment())
    assert returncode == 0, f"{stdout[-2000:]}\n{stderr[-4000:]}"
    assert not any(cwd.iterdir())
    for path in out.iterdir():
        read_back(path)
    return json.loads((out / "distributed_parameters.json").read_text()), stdout, listeners


def test_the_processes_listen_on_the_loopback_address_only(report):
    *_, listeners = report
    # gloo listens once per process while the group is up: seeing none would mean the watch missed the run
    assert len({pid for pid, _, _ in listeners}) >= 2, listeners
    assert {address for _, address, _ in listeners} <= {"127.0.0.1", "::1"}, listeners


def test_both_processes_end_with_identical_parameters(report):
    data, printed, _ = report
    assert data["world_size"] == 2 and data["steps"] == STEPS and len(data["ranks"]) == 2
    first, second = data["ranks"]
    assert first.keys() == second.keys() == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert all(first[k] == second[k] for k in first)  # bit for bit: both took the same averaged gradient
    assert "largest difference between the processes 0.0e+00" in printed


def test_they_equal_one_process_stepping_the_same_batches_on_values(report):
    data, *_ = report
    example = _example()
    model, X, y = example.trained_model()
    start = model.state_dict()
    for rows in example.global_batches(STEPS):  # the whole global batch, plain gradient descent by hand
        loss = losses.mean_loss([losses.hinge(model([Value(float(v)) for v in X[i]]), 2 * int(y[i]) - 1)
                                 for i in rows])
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= example.LR * p.grad
    mine = model.state_dict()
    assert max(float(np.max(np.abs(mine[k] - start[k]))) for k in mine) > 1e-3  # the steps moved it
    for rank in data["ranks"]:
        for k, v in mine.items():
            np.testing.assert_allclose(np.asarray(rank[k]), v, rtol=0, atol=1e-12)
    assert data["largest_difference_to_single_process"] <= 1e-12
