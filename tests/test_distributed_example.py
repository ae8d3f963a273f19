"""examples/distributed_training.py: two processes under torchrun (gloo, CPU) train the moved MLP data-parallel,
end with identical parameters, and those equal one process stepping the same batches on Values.

Skips without torch, except in CI (CI=true), where the [torch] extra is installed and this must run.
"""

import importlib.util
import json
import os
import subprocess
import sys
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


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out, cwd = tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("cwd")
    result = subprocess.run([sys.executable, str(PATH), "--out", str(out), "--steps", str(STEPS)], cwd=cwd,
                            capture_output=True, text=True, timeout=240, env=_environment())
    assert result.returncode == 0, f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    assert not any(cwd.iterdir())
    for path in out.iterdir():
        read_back(path)
    return json.loads((out / "distributed_parameters.json").read_text()), result.stdout


def test_both_processes_end_with_identical_parameters(report):
    data, printed = report
    assert data["world_size"] == 2 and data["steps"] == STEPS and len(data["ranks"]) == 2
    first, second = data["ranks"]
    assert first.keys() == second.keys() == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert all(first[k] == second[k] for k in first)  # bit for bit: both took the same averaged gradient
    assert "largest difference between the processes 0.0e+00" in printed


def test_they_equal_one_process_stepping_the_same_batches_on_values(report):
    data, _ = report
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
