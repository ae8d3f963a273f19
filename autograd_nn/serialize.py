"""Save and load an MLP as a small JSON file: format tag and version, architecture, activations, parameters.

``save_mlp(model, path)`` writes, ``load_mlp(path)`` returns a new MLP. This module sits above ``nn``: nn never
imports it. Every problem with the file, on either side, is a :class:`ModelFileError` whose message names the file.

Floats are written with repr (json does this), so every parameter reads back bit for bit. The write is atomic:
a temporary file ``.<name>.autograd_nn-tmp-<pid>-<random>`` in the same directory is written, flushed,
fsync'ed and then renamed over the target with os.replace, so a crash or a full disk leaves either the old file
or the new one, never a half-written file. A temporary file left by a killed save (its process is gone) is
removed by the next save to the same target. The new file gets the usual permissions: those of the file it
replaces, or 0666 & ~umask for a new file, as an editor's save does.

Loading is strict: the exact keys, ``"version"`` exactly the integer 1, no duplicate keys, only regular files
(a FIFO or a device is refused, not waited on).
"""

from __future__ import annotations

import errno
import json
import math
import os
import reprlib
import secrets
import stat
from pathlib import Path
from typing import Any

from .nn import ACTIVATIONS, MLP

FORMAT = "autograd_nn.mlp"
VERSION = 1

_FIELDS = ("format", "version", "nin", "nouts", "activation", "output_activation", "layers")
_TMP_TAG = ".autograd_nn-tmp-"
_MAX_INT_CHARS = 400  # longer integer literals are far beyond any float or layer size (and Python's str limit)


class ModelFileError(ValueError):
    """A model file that cannot be written, or is missing, unreadable, truncated, corrupted or not a valid MLP."""


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 2, 6, 4, 40, 40


def _short(x: Any) -> str:
    """repr(x), shortened (a file may hold a megabyte where one number was expected)."""
    return _REPR.repr(x)


def to_dict(model: MLP) -> dict[str, Any]:
    """The JSON-ready description of `model`: layers → neurons → {"w": [...], "b": ...}."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "nin": model.nin,
        "nouts": list(model.nouts),
        "activation": model.activation,
        "output_activation": model.output_activation,
        "layers": [[{"w": [w.data for w in n.w], "b": n.b.data} for n in layer.neurons] for layer in model.layers],
    }


# --- saving -----------------------------------------------------------------------------------------------------


def _check_path(path: Any, who: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}: path must be a str or os.PathLike, got {type(path).__name__} {_short(path)}")
    return Path(path)


def _save_error(path: Path, what: str) -> ModelFileError:
    return ModelFileError(f"cannot save model to {str(path)!r}: {what}")


def _checked_parameters(model: MLP, path: Path) -> dict[str, Any]:
    """to_dict(model), after checking every parameter is a finite real number (named if not)."""
    for i, layer in enumerate(model.layers):
        for j, n in enumerate(layer.neurons):
            for what, p in [*((f"weight {k}", w) for k, w in enumerate(n.w)), ("bias", n.b)]:
                x = p.data
                if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                    raise _save_error(path, f"layer {i} neuron {j} {what} is {_short(x)}, not a finite number; "
                                            "nothing written")
    doc = to_dict(model)
    for layer in doc["layers"]:  # a float subclass (numpy's float64) is written as a plain float
        for neuron in layer:
            neuron["w"] = [float(w) for w in neuron["w"]]
            neuron["b"] = float(neuron["b"])
    return doc


def _target(path: Path) -> Path:
    """The file to replace: a symbolic link is followed (the link stays a link), anything but a file refused."""
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        directory = path.parent
        if not directory.is_dir():
            what = "does not exist" if not directory.exists() else "is not a directory"
            raise _save_error(path, f"the directory {str(directory)!r} {what}") from None
        return path
    except OSError as exc:
        raise _save_error(path, exc.strerror or str(exc)) from None
    if not stat.S_ISREG(st.st_mode):
        raise _save_error(path, f"it is {_kind(st.st_mode)}, not a regular file")
    return path


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":  # no safe liveness probe (os.kill would terminate it): treat it as running
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: it exists but belongs to someone else
        return True
    return True


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files a killed save to `path` left behind (their process is gone; ours are kept)."""
    prefix = f".{path.name}{_TMP_TAG}"
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        pid_text = name[len(prefix):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
            continue
        try:
            os.unlink(path.parent / name)
        except OSError:
            pass


def _create_temp(path: Path, mode: int | None) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}{_TMP_TAG}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            fd = os.open(tmp, flags, 0o666)  # the kernel applies the umask: the usual permissions
        except FileExistsError:
            continue
        if mode is not None:  # replacing a file: keep its permissions
            try:
                os.fchmod(fd, mode)
            except (OSError, AttributeError):
                pass
        return fd, tmp
    raise FileExistsError(errno.EEXIST, "could not find an unused temporary file name")


def save_mlp(model: MLP, path: str | os.PathLike[str]) -> None:
    """Write `model` to `path` atomically (temp file + fsync + os.replace in the same directory).

    Raises TypeError for a model that is not an MLP, and ModelFileError naming `path` for a non-finite
    parameter, a missing directory, a target that is not a regular file, or a failed write (read-only file
    system, disk full, no permission); the old file, if any, is then unchanged.
    """
    path = _check_path(path, "save_mlp")
    if not isinstance(model, MLP):
        raise TypeError(f"save_mlp: model must be an MLP, got {type(model).__name__}")
    text = json.dumps(_checked_parameters(model, path), allow_nan=False, indent=1) + "\n"
    target = _target(path)
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None
    _remove_stale_temps(target)
    try:
        fd, tmp = _create_temp(target, mode)
    except OSError as exc:
        raise _save_error(path, f"{exc.strerror or exc}; nothing written") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            kept = "the old file is unchanged" if mode is not None else "nothing written"
            raise _save_error(path, f"{exc.strerror or exc}; {kept}") from None
        raise
    try:  # make the rename itself durable; not possible on every platform
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# --- loading ----------------------------------------------------------------------------------------------------


class _LongInt:
    """An integer literal too long to be any weight or size: kept as text, refused with a short message."""

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"an integer of {len(self.digits.lstrip('-'))} digits"


def _parse_int(text: str) -> int | _LongInt:
    return int(text) if len(text) <= _MAX_INT_CHARS else _LongInt(text)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _fail(path: Path, what: str) -> ModelFileError:
    return ModelFileError(f"cannot load model from {str(path)!r}: {what}")


def _read(path: Path) -> bytes:
    """The bytes of the regular file `path`; a FIFO, device or directory is refused without blocking on it."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
        raise _fail(path, f"cannot open it ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _fail(path, f"it is {_kind(st.st_mode)}, not a regular file")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise _fail(path, f"unreadable ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def _number(x: Any, path: Path, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _fail(path, f"{where} must be a finite number, got {_short(x)}")
    try:
        value = float(x)
    except OverflowError:  # an integer beyond the largest float
        value = math.inf
    if not math.isfinite(value):
        raise _fail(path, f"{where} must be a finite number, got {_short(x)}")
    return value


def _size(x: Any) -> bool:
    return type(x) is int and x >= 1


def _parse(path: Path) -> dict[str, Any]:
    data = _read(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"not a text file (bytes that are not UTF-8 at offset {exc.start})") from None
    if not text.strip():
        raise _fail(path, "the file is empty")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        doc = dict(pairs)
        if len(doc) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    break
                seen.add(key)
            raise _fail(path, f"the key {_short(key)} appears more than once in one object")
        return doc

    try:
        doc = json.loads(text, object_pairs_hook=no_duplicates, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not valid JSON, truncated or corrupted ({exc.msg} at line {exc.lineno} "
                          f"column {exc.colno})") from None
    except RecursionError:
        raise _fail(path, "not a model file: its JSON is nested too deeply to read") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _fail(path, f"not an autograd_nn model file (expected \"format\": {FORMAT!r})")
    version = doc.get("version")
    if type(version) is not int or version != VERSION:
        raise _fail(path, f"format version {_short(version)} is not supported (this library reads the integer "
                          f"{VERSION})")
    for key in _FIELDS:
        if key not in doc:
            raise _fail(path, f"missing field {key!r}")
    extra = [k for k in doc if k not in _FIELDS]
    if extra:
        raise _fail(path, f"unexpected field(s) {', '.join(_short(k) for k in extra[:5])} "
                          f"(a model file has exactly {', '.join(_FIELDS)})")
    return doc



def load_mlp(path: str | os.PathLike[str]) -> MLP:
    """Read a file written by save_mlp and return a new MLP; raises ModelFileError naming the file."""
    path = _check_path(path, "load_mlp")
    doc = _parse(path)
    nin, nouts = doc["nin"], doc["nouts"]
    if not _size(nin):
        raise _fail(path, f"'nin' must be a positive integer, got {_short(nin)}")
    if not isinstance(nouts, list) or not nouts or not all(_size(k) for k in nouts):
        raise _fail(path, f"'nouts' must be a non-empty list of positive integers, got {_short(nouts)}")
    for key in ("activation", "output_activation"):
        if not isinstance(doc[key], str) or doc[key] not in ACTIVATIONS:
            raise _fail(path, f"{key!r} is {_short(doc[key])}, expected one of {sorted(ACTIVATIONS)}")
    layers = doc["layers"]
    if not isinstance(layers, list) or len(layers) != len(nouts):
        raise _fail(path, f"'layers' must list {len(nouts)} layers to match 'nouts' {nouts}")
    sizes = [nin, *nouts]
    values: list[tuple[list[float], float]] = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, list) or len(layer) != sizes[i + 1]:
            raise _fail(path, f"layer {i} must have {sizes[i + 1]} neurons")
        for j, neuron in enumerate(layer):
            where = f"layer {i} neuron {j}"
            if not isinstance(neuron, dict) or not isinstance(neuron.get("w"), list) or "b" not in neuron:
                raise _fail(path, f"{where} must be an object with 'w' (list) and 'b'")
            if len(neuron) != 2:
                extra = [k for k in neuron if k not in ("w", "b")]
                raise _fail(path, f"{where} has unexpected field(s) {', '.join(_short(k) for k in extra[:5])} "
                               "(a neuron has exactly 'w' and 'b')")
            if len(neuron["w"]) != sizes[i]:
                raise _fail(path, f"{where} has {len(neuron['w'])} weights, expected {sizes[i]}")
            ws = [_number(w, path, f"{where} weight {k}") for k, w in enumerate(neuron["w"])]
            values.append((ws, _number(neuron["b"], path, f"{where} bias")))
    model = MLP(nin, nouts, activation=doc["activation"], output_activation=doc["output_activation"], seed=0)
    neurons = [n for layer in model.layers for n in layer.neurons]
    for n, (ws, b) in zip(neurons, values):
        for p, v in zip(n.w, ws):
            p.data = v
        n.b.data = b
    return model


__all__ = ["FORMAT", "VERSION", "ModelFileError", "load_mlp", "save_mlp", "to_dict"]
