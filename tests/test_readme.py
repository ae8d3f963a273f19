"""The README says what the code does: its list of the command line's functions is the op table's, its
examples list names every example, and every file it links to exists."""

import re
from pathlib import Path

from autograd_nn.cli.expression import function_list

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def test_the_command_lines_function_list_is_the_one_help_prints():
    assert function_list() in " ".join(_section("Command line").split())


def test_the_examples_list_names_every_example_and_the_notebook():
    listed = set(re.findall(r"^- \[([\w.]+)\]\(examples/\1\)", _section("Examples"), re.M))
    present = {p.name for p in (ROOT / "examples").iterdir() if p.suffix in (".py", ".ipynb")}
    assert listed == present, f"listed but missing: {listed - present}; not listed: {present - listed}"


def test_every_linked_file_exists():
    links = set(re.findall(r"\]\(((?!https?:|#)[^)\s]+)\)", README))
    assert links and not [link for link in links if not (ROOT / link).exists()]
