"""Every examples/*.py script runs to the end (``python examples/NAME.py --out DIR``) and writes only into DIR."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))


def _environment() -> dict[str, str]:
    """This environment, with the venv's scripts (graphviz-pure) on PATH even if the venv is not activated."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "MPLBACKEND": "Agg"}


@pytest.mark.skipif(not EXAMPLES, reason="no examples/*.py yet")
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    out, cwd = tmp_path / "out", tmp_path / "cwd"
    cwd.mkdir()
    result = subprocess.run([sys.executable, str(script), "--out", str(out)], capture_output=True, text=True,
                            timeout=120, cwd=cwd, env=_environment())
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    assert result.stdout.strip(), f"{script.name} printed nothing (examples print what they show)"
    assert not any(cwd.iterdir()), f"{script.name} wrote outside --out: {sorted(p.name for p in cwd.iterdir())}"
