"""The studio's local HTTP server (the standard library's): one page and JSON endpoints, for one local user.

Safety, since it is a server: it binds 127.0.0.1 only, on a free port; every request must carry the random token
of the page's address (``?token=…`` or the header X-Studio-Token) and a Host header naming this server
(127.0.0.1:PORT or localhost:PORT, against DNS rebinding). A request without them gets 403, a malformed one 400,
an unknown path 404, a body over MAX_BODY bytes 413: always a JSON message, never a traceback. The server writes
no file: the export button's page is sent to the browser, which saves it where the user says.
"""

from __future__ import annotations

import hmac
import json
import secrets
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..engine import DomainError
from .page import live_page, replay_page
from .session import Session

MAX_BODY = 64 * 1024  # bytes of a request's JSON body
HOST = "127.0.0.1"


class RequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _arg(body: dict[str, Any], name: str, default: Any = None) -> Any:
    if name not in body and default is None:
        raise RequestError(400, f"missing field {name!r}")
    return body.get(name, default)


class Api:
    """The endpoints: POST /api/<name> with a JSON object, answered with a JSON object (see ``Session``)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lock = threading.Lock()
        self.routes: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "state": self.state, "step": self.step, "rewind": self.rewind, "new_seed": self.new_seed,
            "settings": self.settings, "data": self.data, "add_point": self.add_point,
            "remove_point": self.remove_point, "phases": self.phases, "update": self.update,
            "explain": self.explain, "set_parameter": self.set_parameter,
        }

    def call(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        route = self.routes.get(name)
        if route is None:
            raise RequestError(404, f"no endpoint /api/{name}; expected one of {sorted(self.routes)}")
        with self.lock:
            return route(body)

    def _frame(self, body: dict[str, Any], note: str | None = None, full: bool = False) -> dict[str, Any]:
        s = self.session
        since = body.get("since", 0) if body.get("run") == s.run and not full else 0
        if isinstance(since, bool) or not isinstance(since, int):
            raise RequestError(400, f"since must be an integer, got {since!r}")
        out: dict[str, Any] = {"frame": s.frame(since, heat=bool(body.get("heat", True)))}
        if full:
            out["structure"], out["points"] = s.structure(), s.points()
        if note:
            out["note"] = note
        return out

    def state(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._frame(body, full=True)

    def step(self, body: dict[str, Any]) -> dict[str, Any]:
        self.session.step(_arg(body, "n", 1))
        return self._frame(body)

    def rewind(self, body: dict[str, Any]) -> dict[str, Any]:
        self.session.rewind()
        return self._frame(body, full=True)

    def new_seed(self, body: dict[str, Any]) -> dict[str, Any]:
        self.session.new_seed()
        return self._frame(body, full=True)

    def settings(self, body: dict[str, Any]) -> dict[str, Any]:
        changes = _arg(body, "changes")
        if not isinstance(changes, dict):
            raise RequestError(400, "changes must be an object of settings")
        return self._frame(body, self.session.change(changes), full=True)

    def data(self, body: dict[str, Any]) -> dict[str, Any]:
        s = self.session
        note = s.load_dataset(_arg(body, "dataset"), _arg(body, "n", 100), body.get("noise"), _arg(body, "seed", 0))
        return self._frame(body, note, full=True)

    def add_point(self, body: dict[str, Any]) -> dict[str, Any]:
        self.session.add_point(_arg(body, "x1"), _arg(body, "x2"), _arg(body, "label"))
        return self._frame(body, full=True)

    def remove_point(self, body: dict[str, Any]) -> dict[str, Any]:
        self.session.remove_point(_arg(body, "index"))
        return self._frame(body, full=True)

    def phases(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"phases": self.session.phases(_arg(body, "sample"))}

    def update(self, body: dict[str, Any]) -> dict[str, Any]:
        self.session.apply_update(_arg(body, "sample"))
        return {**self._frame(body), "phases": self.session.phases(body["sample"])}

    def explain(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"explain": self.session.explain_parameter(_arg(body, "index"), _arg(body, "sample"))}

    def set_parameter(self, body: dict[str, Any]) -> dict[str, Any]:
        s = self.session
        s.set_parameter(_arg(body, "index"), _arg(body, "value"))
        loss, acc = s.evaluate()
        return {**self._frame(body), "evaluated": {"loss": loss, "accuracy": acc},
                "explain": s.explain_parameter(body["index"], _arg(body, "sample", s.sample))}


class Handler(BaseHTTPRequestHandler):
    server: StudioServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms wait for a delayed ACK per request

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the page polls many times a second
        pass

    def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value, allow_nan=False).encode(), "application/json", extra)

    def _check(self) -> tuple[str, dict[str, list[str]]]:
        port = self.server.server_address[1]
        if self.headers.get("Host", "") not in (f"{HOST}:{port}", f"localhost:{port}"):
            raise RequestError(403, "wrong Host header: the studio answers only to 127.0.0.1 and localhost")
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        given = self.headers.get("X-Studio-Token") or (query.get("token") or [""])[0]
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            raise RequestError(403, "missing or wrong token: open the address the studio printed")
        return parts.path, query

    def _handle(self, method: str) -> None:
        try:
            path, _ = self._check()
            if method == "GET" and path == "/":
                self._send(200, live_page(self.server.token).encode(), "text/html; charset=utf-8")
                return
            if method == "GET" and path == "/api/export":
                with self.server.api.lock:
                    page = replay_page(self.server.api.session.replay())
                self._send(200, page.encode(), "text/html; charset=utf-8",
                           {"Content-Disposition": 'attachment; filename="studio-run.html"'})
                return
            if not path.startswith("/api/"):
                raise RequestError(404, f"no page {path!r}")
            if method != "POST":
                raise RequestError(405, f"{path} takes POST with a JSON object")
            self._json(200, self.server.api.call(path[len("/api/"):], self._body()))
        except ConnectionError:  # the browser went away (a closed tab): nobody to answer
            self.close_connection = True
        except RequestError as exc:
            self._json(exc.status, {"error": str(exc)})
        except (ValueError, TypeError, DomainError, FloatingPointError, KeyError) as exc:
            self._json(400, {"error": str(exc)})
        except Exception as exc:  # a bug: a short message to the page, never a traceback
            print(f"autograd-nn studio: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
            self._json(500, {"error": f"internal error ({type(exc).__name__}); see the terminal"})

    def _body(self) -> dict[str, Any]:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise RequestError(400, "Content-Length is not a number") from None
        if length > MAX_BODY:
            self.close_connection = True
            raise RequestError(413, f"request body of {length} bytes; at most {MAX_BODY}")
        raw = self.rfile.read(length) if length > 0 else b"{}"
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RequestError(400, f"the body is not JSON ({exc})") from None
        if not isinstance(body, dict):
            raise RequestError(400, "the body must be a JSON object")
        return body

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


class StudioServer(ThreadingHTTPServer):
    """The server on 127.0.0.1 and a free port (or ``port``); ``url`` is the page's address with its token."""

    daemon_threads = True

    def __init__(self, session: Session, port: int = 0) -> None:
        super().__init__((HOST, port), Handler)
        self.token = secrets.token_urlsafe(24)
        self.api = Api(session)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/?token={self.token}"
