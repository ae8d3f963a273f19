"""The package's metadata (pyproject.toml): the version written once, every file the package serves shipped.

Building and installing the wheel is checked for real by .ci/wheel-check (a fresh environment, the demo and a
smoke test from the installed wheel); these are the fast checks of the same rules.
"""

import re
import tomllib
from pathlib import Path

import autograd_nn

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _glob(pattern: str) -> re.Pattern[str]:
    """setuptools' package-data pattern as a regex: ``*`` within one folder, ``**/`` any number of folders."""
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern)
    tokens = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(tokens.get(p, re.escape(p)) for p in parts) + r"\Z")


def test_the_version_is_written_once_and_read_from_the_package():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "autograd_nn.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[ab]\d+|rc\d+)?", autograd_nn.__version__)
    source = (ROOT / "autograd_nn" / "__init__.py").read_text(encoding="utf-8")
    assert re.search(r'^__version__ = "[^"]+"$', source, re.M)  # a literal: setuptools reads it without importing


def test_every_file_the_package_serves_matches_a_package_data_pattern():
    patterns = [_glob(p) for p in PYPROJECT["tool"]["setuptools"]["package-data"]["*"]]
    package = ROOT / "autograd_nn"
    served = [p for p in package.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
              and "__pycache__" not in p.parts]
    assert package / "py.typed" in served
    for path in served:
        # a pattern is relative to the folder of a (sub-)package, whichever one holds the file
        folders = [d for d in path.parents if d == package or package in d.parents]
        tails = [path.relative_to(d).as_posix() for d in folders]
        assert any(p.match(t) for p in patterns for t in tails), (
            f"{path.relative_to(ROOT)} would be left out of the wheel: add a pattern for it to "
            "[tool.setuptools.package-data] in pyproject.toml")


def test_the_metadata_names_the_license_and_the_pythons_it_supports():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    minimum = re.fullmatch(r">=3\.(\d+)", project["requires-python"]).group(1)
    versions = [c.rsplit(" ", 1)[1] for c in project["classifiers"] if re.fullmatch(r".*Python :: 3\.\d+", c)]
    assert versions and min(int(v.split(".")[1]) for v in versions) == int(minimum)
    assert project["scripts"] == {"autograd-nn": "autograd_nn.cli:main"}


def test_the_glob_helper_reads_patterns_as_setuptools_does():
    assert _glob("static/**/*").match("static/css/a.css") and _glob("static/**/*").match("static/app.js")
    assert _glob("*.html").match("page.html") and not _glob("*.html").match("lab/page.html")
    assert not _glob("static/**/*").match("templates/a.html")
