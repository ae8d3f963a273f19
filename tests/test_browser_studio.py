"""The studio in a real browser (Debian's chromium, headless, Playwright) against the real server in this process.

One session, in order: load; 20 steps (the loss falls, the boundary image changes); rewind (the first loss again,
to the bit); a click adds a point (the count and the next loss change); the activation and the learning rate are
changed; a weight's ∂C/∂w on the page equals .grad from backward() in Python on the same sample and weights; the
phases of one sample (the update moves each weight by −η·∂C/∂w); the exported page replays from file:// with
every other request refused; a request without the token gets 403; the page fits a narrow window; no console
error anywhere. Skipped without chromium or Playwright on a developer's machine; in CI (CI=true) that fails.
Screenshots of the first step, mid-training, a weight's explanation, the phases and a narrow window are written
to $STUDIO_SHOTS when it is set (for looking at them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import browser_context

from autograd_nn import MLP
from autograd_nn.studio import Studio
from autograd_nn.train import LOSSES

SHOTS = os.environ.get("STUDIO_SHOTS")
TIMEOUT = 20_000  # ms: one step or a new network's grid on a busy 2-core machine


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with browser_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True) as context:
        context.set_default_timeout(TIMEOUT)
        yield context


@pytest.fixture
def studio() -> Iterator[Studio]:
    s = Studio()
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def watched(browser: Any) -> Iterator[Any]:
    """new_page() -> a page whose console errors and uncaught exceptions fail the test."""
    errors: list[str] = []
    pages: list[Any] = []

    def new_page() -> Any:
        page = browser.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        pages.append(page)
        return page

    yield new_page
    for page in pages:
        page.close()
    assert errors == [], errors


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        size = page.viewport_size  # the whole page in a window as tall as it (the sticky header stays on top)
        page.set_viewport_size({"width": size["width"], "height": page.evaluate("document.body.scrollHeight")})
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))
        page.set_viewport_size(size)


def wait_text(page: Any, selector: str, text: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(selector)).to_have_text(text, timeout=TIMEOUT)


def status(page: Any, key: str) -> str:
    return page.get_attribute("#status", f"data-{key}") or ""


def plane_image(page: Any) -> str:
    return page.eval_on_selector("#plane", "c => c.toDataURL()")


def step(page: Any, times: int = 1) -> None:
    for _ in range(times):
        n = int(page.inner_text("#stepCount"))
        page.click("#stepOnce")
        wait_text(page, "#stepCount", str(n + 1))


def python_grad(studio: Studio, sample: int, index: int) -> float:
    """∂C/∂p for parameter ``index`` on one sample, by backward() on a fresh MLP with the session's weights."""
    s = studio.session
    model = s.model
    copy = MLP(2, model.nouts, model.activation, model.output_activation)
    copy.load_state_dict(model.state_dict())
    loss, target, _ = LOSSES[s.settings.loss]
    cost = loss(copy(list(map(float, s.X[sample]))), target(s.y[sample]))
    cost.backward()
    return copy.parameters()[index].grad


def test_the_live_page_trains_explains_and_exports(studio: Studio, watched: Any, tmp_path: Path) -> None:
    page = watched()
    page.goto(studio.url)
    wait_text(page, "#pointCount", "100")
    untrained = plane_image(page)

    # 20 steps: the loss falls, the boundary changes
    step(page)
    first = status(page, "first-loss")
    shot(page, "first_step")
    step(page, 19)
    losses = list(studio.session.losses)
    assert len(losses) == 20 and losses[-1] < losses[0]
    assert float(status(page, "last-loss")) == losses[-1] and float(first) == losses[0]
    assert plane_image(page) != untrained
    page.click("#play")
    while int(page.inner_text("#stepCount")) < 40:
        page.wait_for_timeout(50)
    page.click("#play")
    shot(page, "mid_training")

    # rewind: the same run again, to the bit
    page.click("#rewind")
    wait_text(page, "#stepCount", "0")
    step(page)
    assert status(page, "first-loss") == first
    second_before = losses[1]

    # a click on an empty part of the plane adds a point: the count and the next loss change
    box = page.locator("#plane").bounding_box()
    page.mouse.click(box["x"] + 6, box["y"] + 6)
    wait_text(page, "#pointCount", "101")
    assert len(studio.session.X) == 101
    step(page)
    assert float(status(page, "last-loss")) != second_before

    # the activation and the learning rate
    page.select_option("#activation", "relu")
    wait_text(page, "#stepCount", "0")
    page.fill("#lr", "0.05")
    page.dispatch_event("#lr", "change")
    wait_text(page, "#note", "")
    step(page, 3)
    assert studio.session.settings.activation == "relu" and studio.session.optimizer.lr == 0.05
    assert page.input_value("#activation") == "relu"

    # a weight, one click away: its ∂C/∂w is backward()'s .grad on the same sample
    page.fill("#sample", "7")
    for index, name in ((2 * 3 + 1, "w¹₃₂"), (3 * 16, "w²₁₁")):  # neuron 3's second weight; layer 2's first
        page.dispatch_event(f'#net line.hit[data-index="{index}"]', "click")
        wait_text(page, "#paramName", name)
        shown = float(page.get_attribute("#paramGrad", "data-grad") or "nan")
        assert shown == python_grad(studio, 7, index)
        assert f"∂C/∂{name}" in page.inner_text("#paramText")
        assert page.locator("#paramMath math").count() >= 1
    shot(page, "weight_explanation")
    # its slider sets it by hand: the cost and the boundary move
    before = plane_image(page)
    page.eval_on_selector("#paramSlider", "s => { s.value = 2.5; s.dispatchEvent(new Event('input')); }")
    wait_text(page, "#paramValue", "2.5")
    assert studio.session.params[index].data == 2.5
    assert plane_image(page) != before
    assert float(page.get_attribute("#paramGrad", "data-grad") or "nan") == python_grad(studio, 7, index)

    # the phases of one sample: forward, backward, then the update −η·∂C/∂w
    page.click("#phaseForward")
    page.wait_for_selector('#phaseText[data-phase="forward"]')
    assert page.locator("#phaseText table tr").count() == 1 + 16 + 16 + 1
    page.click("#phaseBackward")
    page.wait_for_selector('#phaseText[data-phase="backward"]')
    assert "δ" in page.inner_text("#phaseText")
    tip = page.text_content('#net line.hit[data-index="48"] title') or ""
    assert tip.startswith("w²₁₁ = ") and "∂C/∂w²₁₁ = " in tip  # each weight's ∂C/∂w, named, after backward
    shot(page, "phases")
    old = [p.data for p in studio.session.params]
    grads = [python_grad(studio, 7, i) for i in range(len(old))]
    page.click("#phaseUpdate")
    page.wait_for_selector('#phaseText[data-phase="update"]')
    assert [p.data for p in studio.session.params] == [w - 0.05 * g for w, g in zip(old, grads)]

    # save as page: it replays from file://, every other request refused
    with page.expect_download() as download:
        page.click("#exportPage")
    saved = tmp_path / "run.html"
    download.value.save_as(saved)
    replay = watched()
    asked: list[str] = []
    replay.on("request", lambda r: asked.append(r.url))
    replay.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                 else route.continue_())
    replay.goto(saved.as_uri())
    frames = int(replay.get_attribute("#frame", "max") or "0")
    assert frames >= 3
    assert replay.inner_text("#stepCount") == "0"
    replay.focus("#frame")
    replay.keyboard.press("End")
    wait_text(replay, "#stepCount", str(studio.session.steps))
    assert replay.get_attribute("body", "data-frame") == str(frames)
    replay.keyboard.press("Home")
    wait_text(replay, "#stepCount", "0")
    assert all(url.startswith(("file:", "data:", "blob:")) for url in asked), asked

    # a request without the token: 403 with a JSON message
    bare = studio.url.split("?")[0]
    for answer in (page.request.get(bare), page.request.post(bare + "api/step", data="{}")):
        assert answer.status == 403 and "token" in answer.json()["error"]

    # a narrow window: one column, nothing wider than the window
    page.set_viewport_size({"width": 560, "height": 900})
    page.wait_for_timeout(200)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 560
    shot(page, "narrow")
