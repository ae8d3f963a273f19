"""``Studio``: the session and its server, from Python, the command line or a notebook."""

from __future__ import annotations

import html
import sys
import threading
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..engine.ops import Op
from ..nn import MLP
from .page import replay_page
from .server import StudioServer
from .session import Session
from .settings import Settings


class Studio:
    """A page that trains a small network live, computed by this project's engine in this Python process.

    ``Studio(model=None, X=None, y=None, activations=(), **settings)``: ``model`` an MLP with 2 inputs (its
    weights are the run's initial ones), ``X`` (n × 2) and ``y`` (class indices) the data (else the moons data
    set), ``activations`` one-argument ops (``engine.ops.define_op``) offered beside the built-in activations,
    ``settings`` any of :class:`~autograd_nn.studio.settings.Settings`' fields (hidden, activation, loss,
    optimizer, lr, batch_size, l2, seed).

    ``serve()`` runs the server until Ctrl-C; ``start()`` runs it in a background thread (``stop()`` ends it);
    in a notebook the Studio displays itself as the page inline. ``export(path)`` writes the run so far as one
    self-contained HTML page that replays it with a slider, from file://, with no server.
    """

    def __init__(self, model: MLP | None = None, X: Any = None, y: Any = None, activations: Sequence[Op] = (),
                 port: int = 0, **settings: Any) -> None:
        base = Settings().changed(settings) if settings else Settings()
        self.session = Session(model, X, y, base, activations)
        self._port = port
        self._server: StudioServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The page's address (with its token); starts the server in the background if it is not running."""
        return self._serving().url

    def _serving(self) -> StudioServer:
        if self._server is None:
            self._server = StudioServer(self.session, self._port)
        return self._server

    def start(self) -> str:
        """Serve in a background thread (a notebook's way); returns the page's address."""
        server = self._serving()
        if self._thread is None:
            self._thread = threading.Thread(target=server.serve_forever, name="autograd-nn-studio", daemon=True)
            self._thread.start()
        return server.url

    def stop(self) -> None:
        """Stop the server and close its socket."""
        server, self._server = self._server, None
        if server is None:
            return
        if self._thread is not None:
            server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        server.server_close()

    def serve(self, open_browser: bool = True) -> None:
        """Serve until Ctrl-C (then stop cleanly: the socket closed, no thread left)."""
        server = self._serving()
        print(f"autograd-nn studio: {server.url}  (Ctrl-C stops it)", file=sys.stderr, flush=True)
        if open_browser:
            webbrowser.open(server.url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("autograd-nn studio: stopped", file=sys.stderr)
        finally:
            self._server = None
            server.server_close()

    def export(self, path: str | Path) -> Path:
        """Write the run so far as one self-contained HTML page (it replays with a slider, no network)."""
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"Studio.export: the file must end in .html, got {str(path)!r}")
        if not target.parent.is_dir():
            raise FileNotFoundError(f"Studio.export: no directory {str(target.parent)!r}")
        with self._lock():
            page = replay_page(self.session.replay())
        target.write_text(page, encoding="utf-8")
        return target

    def _lock(self) -> Any:
        return self._server.api.lock if self._server is not None else threading.Lock()

    def _repr_html_(self) -> str:
        url = self.start()
        return (f'<iframe src="{html.escape(url)}" width="100%" height="960" '
                'style="border:1px solid #ccc" title="autograd_nn studio"></iframe>')

    def __repr__(self) -> str:
        state = f"serving at {self._server.url}" if self._server is not None else "not serving"
        return f"Studio({self.session.model!r}, {len(self.session.X)} points, {state})"
