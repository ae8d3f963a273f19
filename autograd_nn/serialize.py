"""Save and load an MLP as a small JSON file: format tag and version, the architecture, and ``state_dict()``.

``save_mlp(model, path)`` writes, ``load_mlp(path)`` returns a new MLP. This module sits above ``nn``: nn never
imports it. Every problem with the file, on either side, is a :class:`ModelFileError` whose message names the file.

A file (format version 2) holds ``nin``, ``nouts``, ``activation``, ``output_activation`` and ``state_dict``:
the model's ``state_dict()`` under PyTorch's key names, each array as nested lists of floats
(``{"0.weight": [[w¹₁₁, …], …], "0.bias": [b¹₁, …], …}``). Loading builds the MLP and hands the state dict to
``MLP.load_state_dict``, so keys, shapes and finiteness are checked there, in one place; this module checks only
what a JSON file can get wrong on its own (the format tag, the fields, duplicate keys, numbers written as
strings, booleans or integers beyond any float). A version-1 file (``"layers"``: layer → neuron →
``{"w": [...], "b": ...}``) is converted to the same state dict and loaded the same way.

Floats are written with repr (json does this), so every parameter reads back bit for bit. The write is atomic:
a temporary file ``.<name>.autograd_nn-tmp-<pid>-<random>`` in the same directory is written, flushed,
fsync'ed and then renamed over the target with os.replace, so a crash or a full disk leaves either the old file
or the new one, never a half-written file. A temporary file left by a killed save (its process is gone) is
removed by the next save to the same target. The new file gets the usual permissions: those of the file it
replaces, or 0666 & ~umask for a new file, as an editor's save does.

Loading is strict: the exact fields of the file's version, ``"version"`` exactly the integer 1 or 2, no
duplicate keys, only regular files (a FIFO or a device is refused, not waited on).
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .engine import Op
from .engine.checks import short
from .nn import ACTIVATIONS, MLP, activation_op

FORMAT = "autograd_nn.mlp"
VERSION = 2  # the version save_mlp writes; load_mlp also reads version 1

_ARCHITECTURE = ("format", "version", "nin", "nouts", "activation", "output_activation")
_FIELDS = {1: (*_ARCHITECTURE, "layers"), 2: (*_ARCHITECTURE, "state_dict")}  # the exact fields of each version
_TMP_TAG = ".autograd_nn-tmp-"
_MAX_INT_CHARS = 400  # longer integer literals are far beyond any float or layer size (and Python's str limit)


class ModelFileError(ValueError):
    """A model file that cannot be written, or is missing, unreadable, truncated, corrupted or not a valid MLP."""


def _document(model: MLP, state: dict[str, np.ndarray]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "nin": model.nin,
        "nouts": list(model.nouts),
        "activation": model.activation,
        "output_activation": model.output_activation,
        "state_dict": {key: array.tolist() for key, array in state.items()},  # plain Python floats
    }


def to_dict(model: MLP) -> dict[str, Any]:
    """The JSON-ready document save_mlp writes for `model`: format tag, version 2, the architecture, and
    ``model.state_dict()`` as nested lists of floats."""
    return _document(model, model.state_dict())


# --- saving -----------------------------------------------------------------------------------------------------


def _check_path(path: Any, who: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}: path must be a str or os.PathLike, got {type(path).__name__} {short(path)}")
    return Path(path)


def _save_error(path: Path, what: str) -> ModelFileError:
    return ModelFileError(f"cannot save model to {str(path)!r}: {what}")


def _checked_document(model: MLP, path: Path) -> dict[str, Any]:
    """to_dict(model), after checking every parameter is a finite real number (its key and index named if not):
    a file that load_mlp would refuse is never written."""
    try:
        state = model.state_dict()
    except (TypeError, ValueError) as exc:  # a parameter that is not a number at all
        raise _save_error(path, f"a parameter is not a real number ({exc}); nothing written") from None
    for key, array in state.items():
        bad = np.argwhere(~np.isfinite(array))
        if bad.size:
            index = [int(i) for i in bad[0]]
            raise _save_error(path, f"parameter {key!r}{index} is {float(array[tuple(index)])!r}, not a finite "
                                    "number; nothing written")
    return _document(model, state)


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
    text = json.dumps(_checked_document(model, path), allow_nan=False, indent=1) + "\n"
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
    """A JSON number as a float. Refused here, where only a file can go wrong: a string, a boolean, null, a list
    or object, an integer beyond any float. NaN and ±inf (1e400, NaN, Infinity) are left to load_state_dict."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _fail(path, f"{where} must be a finite number, got {short(x)}")
    try:
        return float(x)
    except OverflowError:  # an integer beyond the largest float
        raise _fail(path, f"{where} must be a finite number, got {short(x)}") from None


def _floats(x: Any, path: Path, where: str) -> Any:
    """x, a number or nested lists of numbers as JSON gives them, with every number a float (see _number); the
    shape is left as it is, for load_state_dict to check. Walked with a stack: a file may nest deeply."""
    if not isinstance(x, list):
        return _number(x, path, where)
    root: list[Any] = []
    stack: list[tuple[list[Any], list[Any], tuple[int, ...]]] = [(x, root, ())]
    while stack:
        items, out, index = stack.pop()
        for i, item in enumerate(items):
            if isinstance(item, list):
                inner: list[Any] = []
                out.append(inner)
                stack.append((item, inner, (*index, i)))
            else:
                out.append(_number(item, path, f"{where}{list((*index, i))}"))
    return root


def _size(x: Any) -> bool:
    return type(x) is int and x >= 1


def _parse(path: Path) -> tuple[dict[str, Any], int]:
    """The file's document, its format tag, version and fields checked, and the file's size in bytes."""
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
            raise _fail(path, f"the key {short(key)} appears more than once in one object")
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
    if type(version) is not int or version not in _FIELDS:
        raise _fail(path, f"format version {short(version)} is not supported (this library reads the integers "
                          f"{' and '.join(map(str, _FIELDS))})")
    fields = _FIELDS[version]
    for key in fields:
        if key not in doc:
            raise _fail(path, f"missing field {key!r}")
    extra = [k for k in doc if k not in fields]
    if extra:
        raise _fail(path, f"unexpected field(s) {', '.join(short(k) for k in extra[:5])} "
                          f"(a version {version} model file has exactly {', '.join(fields)})")
    return doc, len(data)


def _user_ops(ops: Sequence[Op]) -> dict[str, Op]:
    """The ops a caller hands load_mlp, by name (each a one-argument Op, each name once)."""
    if isinstance(ops, (str, bytes, Op)) or not isinstance(ops, Sequence):
        raise TypeError(f"load_mlp: ops must be a list of one-argument Ops (ops=[softsign]), got {short(ops)}")
    by_name: dict[str, Op] = {}
    for op in ops:
        if not isinstance(op, Op) or op.arity != 1:
            raise TypeError(f"load_mlp: ops must be one-argument Ops (made with define_op), got {short(op)}")
        if by_name.setdefault(op.name, op) is not op:
            raise ValueError(f"load_mlp: two different ops named {op.name!r} in ops")
    return by_name


def _activation(doc: dict[str, Any], key: str, ops: dict[str, Op], path: Path) -> str | Op:
    """The activation named by doc[key] ("activation" or "output_activation"): a built-in by its name, or one of
    the caller's ops (an op of your own is saved by its name: its forward and derivative are code, which a model
    file does not hold); else a refusal saying how to pass it."""
    name = doc[key]
    if not isinstance(name, str) or not name:
        raise _fail(path, f"{key!r} is {short(name)}, expected one of {sorted(ACTIVATIONS)} or the name of another "
                          "one-argument op (a built-in one, or your own passed in ops)")
    if name in ops:
        return ops[name]
    try:
        activation_op(name)
    except ValueError:
        given = f" (ops given: {', '.join(sorted(ops))})" if ops else ""
        raise _fail(path, f"{key!r} is {name!r}, an op of your own (not built in){given}: pass it to load_mlp, "
                          f"as load_mlp(path, ops=[{name}])") from None
    return name


def _state_from_layers(layers: Any, model: MLP, path: Path) -> dict[str, list[Any]]:
    """A version-1 file's "layers" (layer → neuron → {"w": [...], "b": ...}) as the state dict it stands for:
    layer i's neuron j is row j of "<m>.weight" and entry j of "<m>.bias", m = model.module_indices()[i]."""
    sizes = [model.nin, *model.nouts]
    if not isinstance(layers, list) or len(layers) != len(model.nouts):
        raise _fail(path, f"'layers' must list {len(model.nouts)} layers to match 'nouts' {model.nouts}")
    state: dict[str, list[Any]] = {}
    for i, (layer, m) in enumerate(zip(layers, model.module_indices())):
        if not isinstance(layer, list) or len(layer) != sizes[i + 1]:
            raise _fail(path, f"layer {i} must have {sizes[i + 1]} neurons")
        rows, biases = [], []
        for j, neuron in enumerate(layer):
            where = f"layer {i} neuron {j}"
            if not isinstance(neuron, dict) or not isinstance(neuron.get("w"), list) or "b" not in neuron:
                raise _fail(path, f"{where} must be an object with 'w' (list) and 'b'")
            if len(neuron) != 2:
                extra = [k for k in neuron if k not in ("w", "b")]
                raise _fail(path, f"{where} has unexpected field(s) {', '.join(short(k) for k in extra[:5])} "
                                  "(a neuron has exactly 'w' and 'b')")
            if len(neuron["w"]) != sizes[i]:
                raise _fail(path, f"{where} has {len(neuron['w'])} weights, expected {sizes[i]}")
            rows.append([_number(w, path, f"{where} weight {k}") for k, w in enumerate(neuron["w"])])
            biases.append(_number(neuron["b"], path, f"{where} bias"))
        state[f"{m}.weight"], state[f"{m}.bias"] = rows, biases
    return state


def load_mlp(path: str | os.PathLike[str], ops: Sequence[Op] = ()) -> MLP:
    """Read a file written by save_mlp (version 2, or version 1 of earlier releases) and return a new MLP.

    Raises ModelFileError naming the file; a state dict that MLP.load_state_dict refuses (a missing or unexpected
    key, a wrong shape, NaN or ±inf) is refused with load_state_dict's own words. ``ops``: the ops of your own
    (define_op) the model uses as activations, which the file names but cannot hold: ``load_mlp(path,
    ops=[softsign])``; a file naming an op that is neither built in nor given is refused, naming it.
    """
    path = _check_path(path, "load_mlp")
    user_ops = _user_ops(ops)
    doc, size = _parse(path)
    nin, nouts = doc["nin"], doc["nouts"]
    if not _size(nin):
        raise _fail(path, f"'nin' must be a positive integer, got {short(nin)}")
    if not isinstance(nouts, list) or not nouts or not all(_size(k) for k in nouts):
        raise _fail(path, f"'nouts' must be a non-empty list of positive integers, got {short(nouts)}")
    sizes = [nin, *nouts]
    count = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))  # Σ (nˡ⁻¹ + 1)·nˡ weights and biases
    if count > size:  # every number takes at least a byte: refused before building a network that large
        raise _fail(path, f"'nin' {short(nin)} and 'nouts' {short(nouts)} describe {short(count)} parameters, "
                          f"more than a file of {size} bytes can hold")
    model = MLP(nin, nouts, activation=_activation(doc, "activation", user_ops, path),
                output_activation=_activation(doc, "output_activation", user_ops, path), seed=0)
    if doc["version"] == 1:
        state: Any = _state_from_layers(doc["layers"], model, path)
    else:
        state = doc["state_dict"]
        if isinstance(state, dict):  # anything else is load_state_dict's "expected a mapping" below
            state = {key: _floats(value, path, f"'state_dict' {key!r}") for key, value in state.items()}
    try:
        model.load_state_dict(state)
    except (TypeError, ValueError) as exc:
        raise _fail(path, str(exc)) from None
    return model


__all__ = ["FORMAT", "VERSION", "ModelFileError", "load_mlp", "save_mlp", "to_dict"]
