"""docs/reading-the-engine.md quotes the engine by name: every name must exist, and the path it walks through
(the functions it names in its numbered steps) must stay short enough to read in one sitting."""

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "reading-the-engine.md"
NAME = re.compile(r"`(\w+)\.py::([\w.]+)`")


def _quoted(text: str) -> list[tuple[str, str]]:
    return NAME.findall(text)


def _resolve(module: str, qualname: str) -> object:
    obj: object = importlib.import_module(f"autograd_nn.engine.{module}")
    for part in qualname.split("."):
        obj = inspect.getattr_static(obj, part) if isinstance(obj, type) else getattr(obj, part)
    return obj


def _code_lines(obj: object) -> int:
    """Lines of code of a function (or property), without its docstring, comments and blank lines."""
    if isinstance(obj, property):
        return sum(_code_lines(f) for f in (obj.fget, obj.fset) if f is not None)
    if isinstance(obj, (classmethod, staticmethod)):
        obj = obj.__func__
    if not inspect.isfunction(obj):
        return 1  # an op-table entry or a class named in passing: one line of the table
    source = textwrap.dedent(inspect.getsource(obj))
    tree = ast.parse(source)
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    doc_lines: set[int] = set()
    if ast.get_docstring(fn) is not None:
        first = fn.body[0]
        doc_lines = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    lines = source.splitlines()
    return sum(1 for i, line in enumerate(lines, start=1)
               if i not in doc_lines and line.strip() and not line.strip().startswith("#"))


def test_the_guide_quotes_names_that_exist():
    names = _quoted(DOC.read_text(encoding="utf-8"))
    assert len(names) >= 20
    for module, qualname in names:
        try:
            _resolve(module, qualname)
        except (ImportError, AttributeError) as exc:
            pytest.fail(f"docs/reading-the-engine.md quotes {module}.py::{qualname}, which does not exist ({exc})")


def test_the_path_from_the_operator_to_w_grad_is_about_120_lines():
    text = DOC.read_text(encoding="utf-8")
    path_part = text.split("## What the rest is for")[0]
    seen = set()
    total = 0
    for module, qualname in _quoted(path_part):
        if (module, qualname) in seen:
            continue
        seen.add((module, qualname))
        total += _code_lines(_resolve(module, qualname))
    assert 60 <= total <= 130, f"the guided path is {total} lines of code"


def test_a_missing_name_would_be_caught():
    with pytest.raises(AttributeError):
        _resolve("value", "Value.no_such_method")
