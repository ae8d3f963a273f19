"""The studio without a browser: the session's training is fit's (the same losses, to the bit), rewind repeats a
run, one sample's phases and a weight's explanation agree with backward(), settings and data are checked with
clear messages, the export is one self-contained page, and the server refuses what it must (403 without the token
or with another Host, 400, 404, 405, 413, each a JSON message), and ``autograd-nn studio`` stops on Ctrl-C."""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograd_nn import MLP, data
from autograd_nn.engine.ops import define_op
from autograd_nn.optim import SGD
from autograd_nn.studio import MAX_BODY, Studio
from autograd_nn.studio.session import Session
from autograd_nn.tape import TapeBackend
from autograd_nn.train import LOSSES, fit

ROOT = Path(__file__).resolve().parents[1]


def copy_of(model: MLP) -> MLP:
    other = MLP(2, model.nouts, model.activation, model.output_activation)
    other.load_state_dict(model.state_dict())
    return other


def test_a_step_is_fits_step_to_the_bit() -> None:
    s = Session(settings=None)
    s.change({"optimizer": "sgd", "lr": 0.1})
    twin = copy_of(s.model)
    s.step(5)
    history = fit(twin, s.X, s.y, loss="bce", optimizer=SGD(twin.parameters(), 0.1), epochs=5, progress=False,
                  backend=TapeBackend())
    assert [p.data for p in s.params] == [p.data for p in twin.parameters()]
    # (fit's per-epoch loss is Σ batch loss · rows / n: the full batch's loss up to that product's rounding)
    assert s.losses == pytest.approx(history.loss, rel=1e-15)


def test_rewind_runs_the_same_steps_again() -> None:
    s = Session()
    s.change({"batch_size": 16, "optimizer": "momentum", "l2": 0.001})
    s.step(12)
    losses, weights = list(s.losses), [p.data for p in s.params]
    s.rewind()
    assert s.steps == 0 and s.losses == []
    s.step(12)
    assert s.losses == losses and [p.data for p in s.params] == weights
    s.new_seed()
    s.step(1)
    assert s.losses[0] != losses[0]


def test_phases_and_explain_agree_with_backward() -> None:
    s = Session()
    s.step(3)
    twin = copy_of(s.model)
    loss, target, _ = LOSSES["bce"]
    cost = loss(twin(list(s.X[5])), target(s.y[5]))
    cost.backward()
    phases = s.phases(5)
    assert phases["cost"] == cost.data
    assert phases["grads"] == [p.grad for p in twin.parameters()]
    last_w = twin.layers[-1].neurons[0].b  # ∂C/∂b = δ for the output neuron
    assert phases["delta"][-1][0] == last_w.grad
    index = 3 * 16 + 5  # w²₁₆
    shown = s.explain_parameter(index, 5)
    assert shown["name"] == "w²₁₆" and shown["grad"] == twin.parameters()[index].grad
    assert math.isclose(shown["total"], shown["grad"], rel_tol=1e-12, abs_tol=1e-15)
    assert shown["text"].startswith("∂C/∂w²₁₆ = ")
    old = [p.data for p in s.params]
    s.apply_update(5)
    assert [p.data for p in s.params] == [w - s.optimizer.lr * g for w, g in zip(old, phases["grads"])]


def test_settings_and_data_are_checked_with_clear_messages() -> None:
    s = Session()
    for changes, words in (({"hidden": [0]}, "1 to 32"), ({"hidden": [64]}, "1 to 32"),
                           ({"hidden": [2] * 5}, "at most 4"), ({"activation": "swish"}, "unknown activation"),
                           ({"lr": 0}, "lr must be"), ({"lr": float("nan")}, "lr must be"),
                           ({"batch_size": 0}, "batch_size"), ({"colour": 1}, "unknown setting"),
                           ({"optimizer": "rmsprop"}, "unknown optimizer")):
        with pytest.raises(ValueError, match=words):
            s.change(changes)
    with pytest.raises(ValueError, match="finite number"):
        s.set_parameter(0, float("inf"))
    with pytest.raises(ValueError, match="parameter must be an integer"):
        s.set_parameter(10_000, 1.0)
    with pytest.raises(ValueError, match="unknown data set"):
        s.load_dataset("iris")
    with pytest.raises(ValueError, match="at most 1000"):
        Studio(X=np.zeros((1001, 2)), y=np.zeros(1001, int))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        Studio(X=np.zeros((10, 3)), y=np.zeros(10, int))
    with pytest.raises(TypeError, match="MLP with 2 inputs"):
        Studio(model=MLP(3, [4, 1]))
    n = len(s.X)
    s.add_point(0.5, 0.5, 1)
    s.remove_point(0)
    assert len(s.X) == n


def test_data_and_model_and_activations_from_python() -> None:
    X, y = data.blobs(60, 0.4, 0, centers=3)
    s = Studio(X=X, y=y).session
    assert s.settings.loss == "cross_entropy" and s.model.nouts[-1] == 3
    s.step(2)
    assert all(map(math.isfinite, s.losses))
    model = MLP(2, [4, 1], seed=3)
    weights = [p.data for p in model.parameters()]
    s = Studio(model=model).session
    assert s.initial == weights and s.settings.hidden == (4,)
    sin = define_op("sin", math.sin, lambda x, out: cos(x), vector=np.sin)
    cos = define_op("cos", math.cos, lambda x, out: -sin(x), vector=np.cos)
    s = Studio(activations=[sin], hidden=(8,)).session
    s.change({"activation": "sin"})
    s.step(2)
    phases = s.phases(0)
    assert phases["a"][0] == [math.sin(z) for z in phases["z"][0]]


def test_export_is_one_page_that_fetches_nothing(tmp_path: Path) -> None:
    studio = Studio(hidden=(4,))
    studio.session.step(5)
    page = studio.export(tmp_path / "run.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    urls = set(re.findall(r"\w+://[^\s\"'<>)]*", page))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace's name: never fetched
    run = json.loads(re.search(r'<script type="application/json" id="config">(.*?)</script>', page, re.S)[1])
    assert [f["step"] for f in run["frames"]] == list(range(6)) and len(run["losses"]) == 5
    with pytest.raises(ValueError, match=r"\.html"):
        studio.export(tmp_path / "run.txt")


def test_a_notebook_shows_the_page_inline() -> None:
    studio = Studio(hidden=(4,))
    try:
        shown = studio._repr_html_()
        assert shown.startswith("<iframe") and f"127.0.0.1:{studio._server.server_address[1]}" in shown
        assert studio._server.token in shown
    finally:
        studio.stop()


def _ask(port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
         ) -> tuple[int, Any]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    raw = r.read()
    c.close()
    assert b"Traceback" not in raw
    return r.status, json.loads(raw) if r.getheader("Content-Type") == "application/json" else raw


def test_the_server_refuses_what_it_must() -> None:
    studio = Studio(hidden=(4,))
    studio.start()
    try:
        port, token = studio._server.server_address[1], studio._server.token
        ok = {"X-Studio-Token": token}
        assert _ask(port, "GET", "/")[0] == 403
        assert _ask(port, "GET", "/?token=wrong")[0] == 403
        status, page = _ask(port, "GET", f"/?token={token}")
        assert status == 200 and token.encode() in page
        status, answer = _ask(port, "POST", "/api/step", b"{}", {**ok, "Host": f"evil.example:{port}"})
        assert status == 403 and "Host" in answer["error"]
        assert _ask(port, "POST", "/api/step", b"{}")[0] == 403
        status, answer = _ask(port, "POST", "/api/step", b"{not json", ok)
        assert status == 400 and "not JSON" in answer["error"]
        status, answer = _ask(port, "POST", "/api/step", b'{"n": 1000}', ok)
        assert status == 400 and "from 1 to 100" in answer["error"]
        assert _ask(port, "POST", "/api/nothing", b"{}", ok)[0] == 404
        assert _ask(port, "GET", "/api/step", None, ok)[0] == 405
        status, answer = _ask(port, "POST", "/api/step", b" " * (MAX_BODY + 1), ok)
        assert status == 413
        status, answer = _ask(port, "POST", "/api/step", b'{"n": 2}', ok)
        assert status == 200 and answer["frame"]["step"] == 2
    finally:
        studio.stop()


def test_the_command_serves_until_ctrl_c() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "autograd_nn", "studio", "--no-browser", "--layers", "4"],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", line)
        assert match, line
        port, token = int(match[1]), match[2]
        assert _ask(port, "GET", f"/?token={token}")[0] == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
