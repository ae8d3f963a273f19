"""Save and load an MLP as a small JSON file: format tag and version, architecture, activations, parameters.

``save_mlp(model, path)`` writes, ``load_mlp(path)`` returns a new MLP. This module sits above ``nn``: nn never
imports it.

Floats are written with repr (json does this), so every parameter reads back bit for bit. The write is atomic:
a temporary file in the same directory is written, flushed, fsync'ed and then renamed over the target with
os.replace, so a crash or a full disk leaves either the old file or the new one, never a half-written file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from .nn import ACTIVATIONS, MLP

FORMAT = "autograd_nn.mlp"
VERSION = 1


class ModelFileError(ValueError):
    """A model file that is missing, unreadable, truncated, corrupted or does not describe a valid MLP."""


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


def save_mlp(model: MLP, path: str | os.PathLike[str]) -> None:
    """Write `model` to `path` atomically (temp file + fsync + os.replace in the same directory)."""
    path = Path(path)
    try:
        text = json.dumps(to_dict(model), allow_nan=False, indent=1)
    except ValueError:
        raise ValueError(f"save {path}: the model has a NaN or infinite parameter; nothing written") from None
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable; not possible on every platform
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _fail(path: Path, what: str) -> ModelFileError:
    return ModelFileError(f"cannot load model from {str(path)!r}: {what}")


def _number(x: Any, path: Path, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise _fail(path, f"{where} must be a finite number, got {x!r}")
    return float(x)


def load_mlp(path: str | os.PathLike[str]) -> MLP:
    """Read a file written by save_mlp and return a new MLP; raises ModelFileError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"unreadable ({exc})") from None
    if not text.strip():
        raise _fail(path, "the file is empty")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not valid JSON, truncated or corrupted ({exc.msg} at line {exc.lineno} "
                          f"column {exc.colno})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _fail(path, f"not an autograd_nn model file (expected \"format\": {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise _fail(path, f"format version {doc.get('version')!r} is not supported (this library reads {VERSION})")
    for key in ("nin", "nouts", "activation", "output_activation", "layers"):
        if key not in doc:
            raise _fail(path, f"missing field {key!r}")
    nin, nouts = doc["nin"], doc["nouts"]
    if isinstance(nin, bool) or not isinstance(nin, int) or nin < 1:
        raise _fail(path, f"'nin' must be a positive integer, got {nin!r}")
    if not isinstance(nouts, list) or not nouts or any(isinstance(k, bool) or not isinstance(k, int) or k < 1
                                                         for k in nouts):
        raise _fail(path, f"'nouts' must be a non-empty list of positive integers, got {nouts!r}")
    for key in ("activation", "output_activation"):
        if doc[key] not in ACTIVATIONS:
            raise _fail(path, f"{key!r} is {doc[key]!r}, expected one of {sorted(ACTIVATIONS)}")
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
