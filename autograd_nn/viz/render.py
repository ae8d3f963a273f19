"""render: DOT to SVG, PNG or PDF with the system `dot` when it is on PATH, else the `graphviz-pure` command.

graphviz-pure (a PyPI dependency) is a dot-compatible renderer (a compiled program, run like `dot`), so a machine
without system Graphviz renders every format too: SVG and PNG directly, and PDF as one page holding the picture
drawn as a PNG at PDF_DPI (graphviz-pure has no PDF writer: Pillow, a dependency of matplotlib, decodes the PNG and
this module writes the PDF, so no system library is needed). When neither renderer can be run, RenderError says
what to install.

The renderer runs as a child process that never outlives its caller: it is stopped after ``timeout`` seconds
(RenderError says so and what to do), killed when rendering is interrupted (Ctrl-C, an exception), and, on
Linux, killed by the kernel when the calling process dies, even by SIGTERM or SIGKILL (``PR_SET_PDEATHSIG``).

Text for a picture goes through ``display_text`` (no control characters, surrogates or other characters an SVG
file cannot hold; long text cut with a visible …) and ``dot_label`` / ``record_field`` (DOT's own escapes, so
``&amp;`` or a backslash shows as typed).

This module knows graphviz graphs only, never a Value: ``autograd_nn.viz.render`` and ``autograd_nn.viz.svg_text``
draw a Value first (draw_graph sits above this module). ``Graph`` is the Digraph that shows itself as SVG.
"""

from __future__ import annotations

import ctypes
import functools
import io
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

import graphviz

GraphLike: TypeAlias = "graphviz.Digraph | graphviz.Graph"
GRAPH_TYPES = (graphviz.Digraph, graphviz.Graph)
FORMATS = ("svg", "png", "pdf")
INSTALL_HINT = "install Graphviz (e.g. `apt-get install graphviz`) or the PyPI package graphviz-pure"
TIMEOUT = 60.0  # seconds a renderer may take; a graph draw_graph accepts takes a few at most
TIMEOUT_ENV = "AUTOGRAD_NN_RENDER_TIMEOUT"  # overrides TIMEOUT where no timeout= is passed (e.g. the command line)
MAX_TEXT = 40  # characters of one name in a picture; longer text ends in …
PDF_DPI = 216  # a PDF through graphviz-pure: the picture at 3 pixels per point, sharp when printed or zoomed


class RenderError(RuntimeError):
    """No Graphviz renderer could be run, the one that ran failed, or it took longer than the timeout."""


# -- text ----------------------------------------------------------------------------------------------------

# Characters a picture cannot show as they are: C0/C1 controls and DEL, lone surrogates (no UTF-8 for them) and
# U+FFFE/U+FFFF (not allowed in XML, so an SVG holding them does not parse).
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# The same, less the ones XML allows (tab, newline, carriage return, DEL and C1): what a DOT text must not hold.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _shown(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ESC is drawn as ␛, a newline as ␊
    return "\u2421" if code == 0x7F else "\ufffd"  # DEL as ␡; C1 controls, surrogates, U+FFFE/U+FFFF as �


def display_text(text: str, limit: int | None = MAX_TEXT) -> str:
    """``text`` as a picture can show it: each control character as its visible symbol (ESC as ␛, a newline as
    ␊), a lone surrogate or a non-character as �, and at most ``limit`` characters, the last one … when cut."""
    text = _UNSHOWABLE.sub(lambda m: _shown(m.group()), str(text))
    if limit is not None and len(text) > limit:
        text = text[:max(limit - 1, 0)] + "…"
    return text


def dot_escape(text: str, limit: int | None = MAX_TEXT) -> str:
    """display_text, escaped for a DOT label: a backslash and ``&`` (which Graphviz reads as the start of an
    entity: ``&amp;`` would show as ``&``) show as typed. Quotes are escaped by the graphviz package."""
    return display_text(text, limit).replace("\\", "\\\\").replace("&", "&amp;")


def dot_label(text: str, limit: int | None = MAX_TEXT) -> str:
    """A whole plain (non-record) label: dot_escape, and never read as an HTML-like label (``<b>`` stays text)."""
    label: str = graphviz.nohtml(dot_escape(text, limit))  # a str subclass the graphviz package never reads as HTML
    return label


def record_field(text: str, limit: int | None = MAX_TEXT) -> str:
    """dot_escape for one field of a record label, where ``{ } | < >`` have a meaning: they show as typed."""
    text = dot_escape(text, limit)
    for ch in "{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text


# -- running the renderer ------------------------------------------------------------------------------------

def renderer(force_pure: bool = False) -> str:
    """The renderer command: the system `dot` on PATH, else `graphviz-pure` (on PATH or beside this Python)."""
    dot = None if force_pure else shutil.which("dot")
    if dot:
        return dot
    pure = shutil.which("graphviz-pure")
    if pure:
        return pure
    beside = Path(sys.executable).with_name("graphviz-pure" + (".exe" if os.name == "nt" else ""))
    if beside.exists():
        return str(beside)
    raise RenderError(f"render: neither the `dot` command nor `graphviz-pure` was found; {INSTALL_HINT}")


def render_timeout(timeout: float | None = None) -> float:
    """The seconds a renderer may run: ``timeout`` if given, else $AUTOGRAD_NN_RENDER_TIMEOUT, else TIMEOUT."""
    where = "timeout"
    if timeout is None:
        raw = os.environ.get(TIMEOUT_ENV, "").strip()
        if not raw:
            return TIMEOUT
        where = f"${TIMEOUT_ENV}"
        try:
            timeout = float(raw)
        except ValueError:
            raise RenderError(f"render: {where} must be a number of seconds, got {raw!r}") from None
    elif isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"render: timeout must be a number of seconds, got {type(timeout).__name__}")
    if not (math.isfinite(timeout) and timeout > 0):
        message = f"render: {where} must be a positive, finite number of seconds, got {timeout!r}"
        if where == "timeout":
            raise ValueError(message)
        raise RenderError(message)  # from the environment: the command line reports RenderErrors
    return float(timeout)


@functools.cache
def _prctl() -> Callable[..., int] | None:
    # Looked up once in the parent: the child, between fork and exec, only calls it.
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> Callable[[], None] | None:
    """For Popen's preexec_fn (Linux): the child gets SIGKILL when its parent dies, however it dies."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent, sigkill = os.getpid(), int(signal.SIGKILL)  # type: ignore[attr-defined,unused-ignore]

    def setup() -> None:
        prctl(PR_SET_PDEATHSIG, sigkill)
        if os.getppid() != parent:  # the parent died before prctl: no one is left to read the picture
            os._exit(1)

    return setup


def _stop(proc: subprocess.Popen[bytes], own_group: bool) -> None:
    if own_group:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # type: ignore[attr-defined,unused-ignore]
            return
        except OSError:
            pass
    proc.kill()


def _failure(program: str, format: str, returncode: int, stderr: bytes) -> str:
    if returncode < 0:
        try:
            how = f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was killed by signal {-returncode}"
    else:
        how = f"failed (exit {returncode})"
    err = display_text(stderr.decode("utf-8", errors="replace").strip(), 500)
    return f"render: {program} -T{format} {how}" + (f": {err}" if err else "")


def render_source(source: str, format: str = "svg", force_pure: bool = False, timeout: float | None = None) -> bytes:
    """Run the renderer on DOT text and return the picture's bytes.

    Characters an SVG cannot hold (see display_text) are replaced in the DOT text first. The renderer is
    stopped after ``timeout`` seconds (default: render_timeout()) with a RenderError saying what to do.
    """
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {FORMATS}, got {format!r}")
    if not isinstance(source, str):
        raise TypeError(f"render: the DOT source must be a str, got {type(source).__name__}")
    seconds = render_timeout(timeout)
    program = renderer(force_pure)
    name = Path(program).name
    if format == "pdf" and name.startswith("graphviz-pure"):
        return _png_to_pdf(_run(program, ["-Tpng", f"-Gdpi={PDF_DPI}"], source, seconds), PDF_DPI)
    return _run(program, [f"-T{format}"], source, seconds)


def _png_to_pdf(png: bytes, dpi: int) -> bytes:
    """A one-page PDF of a PNG: the page the picture's size at ``dpi``, the pixels kept exactly (RGB, white where
    the PNG is transparent, Flate-compressed; Pillow's own PDF writer would store them as JPEG)."""
    from PIL import Image  # loaded only for a PDF through graphviz-pure

    with Image.open(io.BytesIO(png)) as picture:
        picture.load()
        rgba = picture.convert("RGBA")
    page = Image.new("RGB", rgba.size, "white")
    page.paste(rgba, mask=rgba.getchannel("A"))
    w, h = page.size
    pw, ph = w * 72 / dpi, h * 72 / dpi
    pixels = zlib.compress(page.tobytes(), 6)
    draw = f"q {pw:.2f} 0 0 {ph:.2f} 0 0 cm /Im0 Do Q".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.2f} {ph:.2f}] /Resources << /XObject << /Im0 5 0 R >> "
        ">> /Contents 4 0 R >>".encode(),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        b"/Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (w, h, len(pixels), pixels),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for k, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (k, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _run(program: str, args: list[str], source: str, seconds: float) -> bytes:
    """Run the renderer with ``args`` on DOT text; its output, or a RenderError (failure, timeout)."""
    name = Path(program).name
    format = args[0].removeprefix("-T")
    data = _NOT_XML.sub(lambda m: _shown(m.group()), source).encode("utf-8")
    # POSIX: the renderer leads a process group of its own, so stopping it stops anything it started too.
    own_group = os.name == "posix"
    try:
        proc = subprocess.Popen([program, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, preexec_fn=_die_with_parent(),
                                process_group=0 if own_group else None)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RenderError(f"render: could not run {program} ({exc}); {INSTALL_HINT}") from None
    out: bytes | None = None
    err = b""
    with proc:  # on leaving, the pipes are closed and the child is waited for: no zombie, no orphan
        try:
            out, err = proc.communicate(data, timeout=seconds)
        except subprocess.TimeoutExpired:
            pass
        finally:  # a timeout, Ctrl-C or any other exception: the child goes too
            if proc.poll() is None:
                _stop(proc, own_group)
                proc.wait()  # reaped here: on Ctrl-C, Popen's own exit would not wait for it
    if out is None:
        raise RenderError(
            f"render: {name} took longer than {seconds:g} s to lay out the graph and was stopped; draw a smaller "
            "part of it (e.g. one neuron's output), draw a network's graph with collapse='neurons', or allow "
            f"more time (timeout=, or ${TIMEOUT_ENV}=SECONDS)")
    if proc.returncode != 0 or not out:
        raise RenderError(_failure(name, format, proc.returncode, err))
    return out


def _source(graph: GraphLike) -> str:
    if isinstance(graph, GRAPH_TYPES):
        return str(graph.source)
    raise TypeError(f"render: expected a graphviz graph, got {type(graph).__name__}")


def svg_text(graph: GraphLike, force_pure: bool = False, timeout: float | None = None) -> str:
    """The picture as SVG text (what a notebook displays)."""
    return render_source(_source(graph), "svg", force_pure, timeout).decode("utf-8")


def render(graph: GraphLike, path: str | Path, format: str | None = None, force_pure: bool = False,
           timeout: float | None = None) -> Path:
    """Write the picture of a graphviz graph to path; returns the path.

    The format is the path's suffix (``.svg``, ``.png``, ``.pdf``) unless given; SVG when neither says.
    ``force_pure=True`` uses graphviz-pure even when a system `dot` exists (tests use it). ``timeout``: see
    render_source.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if format is None:
        format = suffix if suffix in FORMATS else "svg"
    elif suffix in FORMATS and suffix != format:
        raise ValueError(f"render: {path.name!r} ends in .{suffix} but format={format!r}; "
                         "give a matching suffix or leave format out")
    data = render_source(_source(graph), format, force_pure, timeout)
    path.write_bytes(data)
    return path


class Graph(graphviz.Digraph):
    """A graphviz.Digraph that a notebook shows as SVG without system Graphviz (rendered as above).

    ``chain_total`` is, when a Value was highlighted, Σ over paths of the product of the local derivatives
    along it: ∂root/∂w, which equals w.grad after root.backward().
    """

    chain_total: float | None = None

    def _repr_mimebundle_(self, include: object = None, exclude: object = None, **_: object) -> dict[str, str]:
        return {"image/svg+xml": svg_text(self)}
