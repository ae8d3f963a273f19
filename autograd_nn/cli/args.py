"""Checks for command-line values: each turns text into a value or raises :class:`UsageError` naming the problem.

argparse calls these as ``type=`` converters, so a bad value becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from ..train import LOSSES as _FIT_LOSSES

DATASETS = ("moons", "circles", "xor", "spiral", "blobs")
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
OPTIMIZERS = ("sgd", "adam")
LOSSES = tuple(_FIT_LOSSES)  # the names fit() knows


class UsageError(Exception):
    """Bad command-line input; the message is shown as one line and the exit status is 2."""


def layers(text: str) -> list[int]:
    """``"16,16"`` → ``[16, 16]``: hidden layer sizes, each a positive integer."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p.isdigit() or int(p) < 1 for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers such as 16,16, got {text!r}")
    return [int(p) for p in parts]


def positive_float(text: str) -> float:
    """A finite number > 0 (a learning rate)."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(x) or x <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return x


def positive_int(text: str) -> int:
    """An integer >= 1 (epochs, batch size)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return n


def output_dir(path: str | Path) -> Path:
    """Create ``path`` if needed and check it is a writable directory, before any long work starts."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create output directory {str(path)!r}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"output directory {str(path)!r} is not writable")
    return path


def output_file(path: str | Path, suffixes: tuple[str, ...]) -> Path:
    """Check ``path`` ends in one of ``suffixes`` and that its folder exists (created) and is writable."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{str(path)!r}: the file name must end in {' or '.join(suffixes)}")
    output_dir(path.parent if str(path.parent) else ".")
    return path
