"""Checks for command-line values: each turns text into a value or raises :class:`UsageError` naming the problem.

argparse calls these as ``type=`` converters, so a bad value becomes one line on stderr and exit status 2.
Numbers are written with the ASCII digits 0-9 (Python's int() and float() also read 1_000, full-width and
Arabic-Indic digits; the command line does not). Output paths are checked by *trying*: a probe file is created
and removed, so a read-only file, a directory, a path under /proc or a read-only file system is refused before
any long work starts (os.access cannot tell: it says yes to root, and to /proc).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import stat
import tempfile
from pathlib import Path

from ..train import LOSSES as _FIT_LOSSES

DATASETS = ("moons", "circles", "xor", "spiral", "blobs")
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
OPTIMIZERS = ("sgd", "adam")
LOSSES = tuple(_FIT_LOSSES)  # the names fit() knows

NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # ASCII: 2, -0.5, 1e-3
WHOLE = re.compile(r"[0-9]+")
SHOWN = 40  # at most this many characters of a bad value are repeated in a message


class UsageError(Exception):
    """Bad command-line input; the message is shown as one line and the exit status is 2."""


def quoted(text: str, limit: int = SHOWN) -> str:
    """A value for a one-line message: its repr, shortened with '…' when long."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}… ({len(text):,} characters)"


def quoted_path(path: str | Path, limit: int = 160) -> str:
    """A path for a one-line message: its repr, or its end (the informative part) after '…' when very long."""
    text = str(path)
    return repr(text) if len(text) <= limit else repr("…" + text[-limit:])


def layers(text: str) -> list[int]:
    """``"16,16"`` → ``[16, 16]``: hidden layer sizes, each a positive integer."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not WHOLE.fullmatch(p) or int(p) < 1 for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers (ASCII digits) such as 16,16, got {quoted(text)}")
    return [int(p) for p in parts]


def positive_float(text: str) -> float:
    """A finite number > 0 (a learning rate)."""
    if not NUMBER.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"expected a number such as 0.05 or 1e-3 (ASCII digits, optional sign, "
                                         f"decimal point and exponent), got {quoted(text)}")
    x = float(text)
    if not math.isfinite(x) or x <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {quoted(text)}")
    return x


def whole_number(text: str, at_least: int) -> int:
    if re.fullmatch(r"[+-][0-9]+", text.strip()):  # a sign is fine; the bound below says what is allowed
        text = text.strip()
    elif not WHOLE.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"expected a whole number such as 100 (ASCII digits), got {quoted(text)}")
    n = int(text)
    if n < at_least:
        raise argparse.ArgumentTypeError(f"must be at least {at_least}, got {quoted(text)}")
    return n


def positive_int(text: str) -> int:
    """An integer >= 1 (epochs, batch size)."""
    return whole_number(text, 1)


def port(text: str) -> int:
    """A TCP port 0…65535 (0: any free port)."""
    if not WHOLE.fullmatch(text.strip()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {quoted(text)}")
    return int(text)


def seed(text: str) -> int:
    """An integer >= 0 (numpy's random generators take no negative seed)."""
    return whole_number(text, 0)


def _kind(mode: int) -> str:
    return ("a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
            "not a regular file")


def _probe_directory(path: Path) -> str | None:
    """Create and remove a file in ``path``: None if that works, else why not."""
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".autograd-nn-probe-")
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.unlink(probe)
    return None


def output_dir(path: str | Path, option: str = "--out") -> Path:
    """Create ``path`` if needed and check, by writing a probe file, that files can be written in it."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option}: cannot create output directory {quoted_path(path)}: "
                         f"{exc.strerror or exc}") from None
    why = _probe_directory(path)
    if why is not None:
        raise UsageError(f"{option}: output directory {quoted_path(path)} is not writable ({why})")
    return path


def _one_of(words: tuple[str, ...]) -> str:
    """('.svg', '.png', '.pdf') → '.svg, .png or .pdf'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def output_file(path: str | Path, suffixes: tuple[str, ...], option: str = "--out", replaced: bool = False) -> Path:
    """Check ``path`` ends in one of ``suffixes`` and can be written, before any long work starts.

    Its folder is created if needed. An existing file must be a regular file and, unless it is ``replaced``
    (written beside it and renamed over it, as save_mlp does: then its folder must be writable), writable
    itself; a new file is created and removed again.
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {quoted_path(path)}: the file name must end in {_one_of(suffixes)}")
    folder = path.parent if str(path.parent) else Path(".")
    output_dir(folder, option)
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise UsageError(f"{option} {quoted_path(path)}: {exc.strerror or exc}") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(f"{option} {quoted_path(path)} is {_kind(mode)}: give the name of a file to write")
    why: str | None = None
    if mode is None:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            why = exc.strerror or str(exc)
        else:
            os.close(fd)
            os.unlink(path)
    elif replaced:
        why = _probe_directory(folder)
    else:
        try:
            with open(path, "ab"):  # append mode: nothing of the file is lost
                pass
        except OSError as exc:
            why = exc.strerror or str(exc)
    if why is not None:
        raise UsageError(f"{option} {quoted_path(path)}: cannot write this file ({why})")
    return path
