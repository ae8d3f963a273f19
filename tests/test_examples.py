"""Every examples/*.py script runs to the end (``python examples/NAME.py --out DIR``), writes only into DIR, and
every file it writes reads back with the ordinary reader of its kind (csv + float(), json, PNG, SVG, HTML, PDF)."""

import csv
import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

# distributed_training.py starts two processes under torchrun: tests/test_distributed_example.py runs it (once)
# and reads back what it writes with read_back below
EXAMPLES = sorted(p for p in (Path(__file__).resolve().parent.parent / "examples").glob("*.py")
                  if p.name != "distributed_training.py")


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
    for path in sorted(out.rglob("*")) if out.exists() else []:
        # a dot-folder is a tool's cache (custom_op.py points Hypothesis' there), not what the example shows
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(out).parts):
            read_back(path)


def _read_csv(path: Path) -> None:
    """A header, then rows of plain numbers that float() reads (not numpy's np.float64(...) repr)."""
    with path.open(newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    assert rows and all(len(row) == len(header) for row in rows), path.name
    for row in rows:
        for cell in row:
            try:
                number = float(cell)
            except ValueError:
                raise AssertionError(f"{path.name}: {cell!r} in row {row} is not a plain number") from None
            assert math.isfinite(number), (path.name, cell)


def _read_png(path: Path) -> None:
    import matplotlib.image

    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) >= 50, (path.name, image.shape)


def _read_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag.rsplit("}", 1)[-1] == "svg", (path.name, root.tag)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)


def _read_html(path: Path) -> None:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert {"html", "body"} <= parser.tags, (path.name, sorted(parser.tags))


def _read_pdf(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:], path.name


READERS = {
    ".csv": _read_csv,
    ".json": lambda path: json.loads(path.read_text(encoding="utf-8")),
    ".png": _read_png,
    ".svg": _read_svg,
    ".html": _read_html,
    ".pdf": _read_pdf,
    ".txt": lambda path: path.read_text(encoding="utf-8").strip() or pytest.fail(f"{path.name} is empty"),
}


def read_back(path: Path) -> None:
    """Read a file an example wrote with the reader of its kind; a kind with no reader here is a failure."""
    reader = READERS.get(path.suffix.lower())
    assert reader is not None, f"{path.name}: no reader for {path.suffix!r} files (add one to READERS)"
    reader(path)


def test_a_csv_of_numpy_reprs_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("step,x\n0,np.float64(-1.2)\n")
    with pytest.raises(AssertionError, match="not a plain number"):
        read_back(bad)
