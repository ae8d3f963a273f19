"""The lab's pictures are matplotlib Figures made with the object API: no pyplot, no backend chosen (a notebook's
and a script's own backend stay as they are), so a Figure is drawn only when it is saved or displayed."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

SUFFIXES = (".png", ".svg", ".pdf")
# Colours by activation and line styles by initialisation: one line per activation × init reads apart in both.
COLOURS = {"sigmoid": "tab:blue", "tanh": "tab:orange", "relu": "tab:green", "linear": "tab:gray"}
OTHER_COLOURS = ("tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan")
STYLES = {"uniform": "-", "xavier": "--", "he": ":"}


def new_figure(width: float, height: float) -> Figure:
    """A Figure of this size in inches (100 dots an inch), laid out so that titles and labels do not overlap."""
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def colour(name: str, names: list[str]) -> str:
    """The colour of an activation: its own for the built-in ones, else one of OTHER_COLOURS by its place."""
    if name in COLOURS:
        return COLOURS[name]
    others = [n for n in names if n not in COLOURS]
    return OTHER_COLOURS[others.index(name) % len(OTHER_COLOURS)] if name in others else "black"


def save(fig: Figure, path: str | Path, who: str) -> Path:
    """Write the figure to ``path`` in the format its suffix names (.png, .svg or .pdf); returns the path."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"{who}: the file name {str(path)!r} must end in .png, .svg or .pdf")
    fig.savefig(path)
    return path
