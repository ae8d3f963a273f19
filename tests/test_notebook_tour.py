"""examples/tour.ipynb: committed without outputs, and run end to end in a real Jupyter kernel (nbclient +
ipykernel), every code cell producing what it is there to show (SVG, LaTeX, PNG, HTML, a widget, a progress bar).

Skips without the [notebook] and [torch] extras, except in CI (CI=true), where they are installed and this must run.
"""

import base64
import json
import os
import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "tour.ipynb"

if os.environ.get("CI", "").lower() == "true":
    import ipykernel  # noqa: F401  (CI installs the [notebook] and [torch] extras: missing ones fail there)
    import nbclient
    import nbformat
    import torch  # noqa: F401
else:
    for _name in ("ipykernel", "ipywidgets", "torch"):
        pytest.importorskip(_name, reason='needs pip install -e ".[notebook,torch]"')
    nbclient = pytest.importorskip("nbclient", reason='needs pip install -e ".[notebook]"')
    nbformat = pytest.importorskip("nbformat", reason='needs pip install -e ".[notebook]"')

# cell id -> the MIME types its outputs must include
EXPECTED = {
    "value": {"image/svg+xml"},        # a Value displays as its graph
    "graph": {"image/svg+xml"},        # draw_graph
    "explain": {"text/latex"},         # explain's derivation as maths
    "plots": {"image/png"},            # loss curve and decision boundary
    "steps": {"text/html"},            # the step-through page, inline
    "explore": {"application/vnd.jupyter.widget-view+json"},  # the sliders
    "flow": {"image/png"},             # the lab: gradient_flow's four panels
    "race": {"image/png"},             # optimizers over the contours
    "derivatives": {"image/png"},      # f, f′, f″ with the kinks' gaps
}


def _mimes(cell):
    return {mime for out in cell.outputs for mime in out.get("data", {})}


def _stream(cell, name):
    return "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream" and out.name == name)


def test_the_committed_notebook_is_valid_and_has_no_outputs():
    raw = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    nb = nbformat.from_dict(raw)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids) and set(EXPECTED) | {"train", "torch"} <= set(ids)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tour")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(workdir)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    return {c.id: c for c in nb.cells if c.cell_type == "code"}, workdir


def test_every_cell_ran_without_an_error(executed):
    cells, _ = executed
    counts = [c.execution_count for c in cells.values()]
    assert counts == list(range(1, len(cells) + 1))
    for cid, cell in cells.items():
        assert not [o for o in cell.outputs if o.output_type == "error"], cid


@pytest.mark.parametrize("cid", sorted(EXPECTED))
def test_each_cell_shows_its_mime_types(executed, cid):
    cells, _ = executed
    missing = EXPECTED[cid] - _mimes(cells[cid])
    assert not missing, f"cell {cid!r} produced {_mimes(cells[cid])}, missing {missing}"


def test_what_the_cells_show(executed):
    cells, workdir = executed
    assert "<svg" in cells["graph"].outputs[0]["data"]["image/svg+xml"]
    latex = next(o["data"]["text/latex"] for o in cells["explain"].outputs if "data" in o)
    assert r"\frac{\partial C}{\partial w}" in latex
    pngs = [base64.b64decode(o["data"]["image/png"]) for o in cells["plots"].outputs if "data" in o]
    assert len(pngs) == 2 and all(p[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    page = next(o["data"]["text/html"] for o in cells["steps"].outputs if "data" in o)
    assert "<iframe srcdoc=" in page and "&lt;svg" in page and "<script" not in page  # the page, escaped inside
    bar = _stream(cells["train"], "stderr")
    assert "fit:" in bar and "epoch" in bar  # tqdm's progress bar
    assert re.search(r"accuracy \d+%", _stream(cells["train"], "stdout"))
    assert "sigmoid + xavier: the gradient vanishes towards the input" in _stream(cells["flow"], "stdout")
    assert "race on rosenbrock" in _stream(cells["race"], "stdout")
    assert "kink of relu at x = 0" in _stream(cells["derivatives"], "stdout")
    for name in ("loss.png", "boundary.png", "backward.html", "flow.png", "race.png", "race.html", "derivatives.png"):
        assert (workdir / "tour_output" / name).stat().st_size > 0


def test_the_move_to_pytorch_agrees(executed):
    cells, _ = executed
    text = _stream(cells["torch"], "stdout")
    assert "Sequential(" in text and "(4): Linear(in_features=16, out_features=1" in text
    diff = float(re.search(r"largest difference between the two networks' outputs: (\S+)", text).group(1))
    assert diff <= 1e-12
    losses = [float(v) for v in re.findall(r"PyTorch step \d+: loss (\S+)", text)]
    assert len(losses) == 3 and losses[-1] < losses[0]
    table = text[text.index("input "):].splitlines()
    assert len(table) == 1 + 7 and all(line.endswith("ok") for line in table[1:])


def test_what_the_notebook_writes_is_ignored_by_git():
    import shutil
    import subprocess

    root = NOTEBOOK.parent.parent
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    for where in ("examples/tour_output/loss.png", "tour_output/backward.html"):
        result = subprocess.run(["git", "check-ignore", "-q", where], cwd=root, timeout=30)
        assert result.returncode == 0, f"{where} would show as untracked after running the notebook"
