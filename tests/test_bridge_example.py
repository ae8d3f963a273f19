"""examples/to_pytorch.py: training moved to PyTorch continues from where it was, the shared step equal to 1e-12.

Skips without torch, except in CI (CI=true), where the [torch] extra is installed and this must run.
"""

import importlib.util
import os
from pathlib import Path

import pytest

if os.environ.get("CI", "").lower() == "true":
    import torch  # noqa: F401  (CI installs the [torch] extra: a missing torch is a failure there, never a skip)
else:
    pytest.importorskip("torch", reason='PyTorch is not installed (pip install -e ".[torch]")')

PATH = Path(__file__).resolve().parent.parent / "examples" / "to_pytorch.py"


def _example():
    spec = importlib.util.spec_from_file_location("to_pytorch_example", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["SGD (momentum 0.9)", "Adam"])
def test_the_step_taken_in_both_is_the_same_and_training_goes_on(name):
    example = _example()
    r = example.run(example.SETTINGS[name], steps_here=4, steps_there=6)
    assert len(r["here"]) == 4 and len(r["there"]) == 6
    assert r["check"]["loss"] <= 1e-12 and r["check"]["parameters"] <= 1e-12
    # the curve continues: PyTorch's first loss is within one step's change of the last loss here,
    # and training there keeps lowering it
    last_change = abs(r["here"][-1] - r["here"][-2])
    assert abs(r["there"][0] - r["here"][-1]) <= 2 * last_change
    assert r["there"][-1] < r["there"][0] < r["here"][0]


def test_the_plot_is_written(tmp_path):
    example = _example()
    runs = {name: example.run(make, 3, 3) for name, make in example.SETTINGS.items()}
    path = example.plot(runs, tmp_path / "curve.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
