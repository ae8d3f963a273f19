"""The step-through page in a real browser: Debian's chromium, headless, driven by Playwright.

Buttons, the slider (keys and a click on its track), the page's arrow keys, Home and End change the frame, its
caption and the highlighted node, with no console error; the controls stay in view while the graph scrolls.
Skipped without chromium or Playwright on a developer's machine; in CI (CI=true) a missing browser fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import browser_context

from autograd_nn import MLP, Value
from autograd_nn.losses import squared_error
from autograd_nn.viz import animate_backward, backward_steps, node_names
from autograd_nn.viz.steps import STEP_COLOUR


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with browser_context(viewport={"width": 1100, "height": 700}) as context:
        yield context


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """open_page(path) -> the page; after the test, any console error or uncaught exception fails it."""
    errors: list[str] = []
    pages: list[Any] = []

    def opener(path: Path) -> Any:
        page = browser.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(path.resolve().as_uri())
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()
    assert errors == [], errors


def state(page: Any) -> tuple[str, str, str, str]:
    """The counter, the caption, the name on the highlighted node (its record's first field) and the slider's
    value, as shown."""
    shown = page.locator(".frame:visible")
    assert shown.count() == 1
    focus = shown.locator("g.node.focus")
    assert focus.count() == 1
    return (page.inner_text("#counter"), page.inner_text("#caption"), focus.locator("text").first.text_content(),
            page.input_value("#slider"))


def test_buttons_slider_and_keys_step_through_the_page(open_page: Any, tmp_path: Path) -> None:
    a, b = Value(0.5, label="a"), Value(-2.0, label="b")
    out = (a * b + a).tanh()
    out.label = "out"
    names = node_names(out)
    steps = list(backward_steps(out))
    captions = [s.describe(names) for s in steps]
    n = len(steps)
    page = open_page(animate_backward(out, tmp_path / "steps.html"))
    page.set_viewport_size({"width": 700, "height": 600})  # narrower than the graph

    def expect(k: int) -> None:
        counter, caption, focus, value = state(page)
        assert (counter, caption, value) == (f"step {k + 1} of {n}", captions[k], str(k))
        assert focus == names[steps[k].node]

    expect(0)
    # a graph a little wider than the window is shrunk to fit it: no sideways scrolling
    natural, shown = page.eval_on_selector(".frame:not([style*='none']) svg",
                                           "s => [s.width.baseVal.value, s.getBoundingClientRect().width]")
    assert natural > page.viewport_size["width"] - 50 and shown <= page.viewport_size["width"] - 40
    before = state(page)
    page.click("#next")
    expect(1)
    assert state(page)[2] != before[2]  # another node is highlighted
    page.click("#next")
    expect(2)
    page.click("#prev")
    expect(1)
    page.click("#prev")
    page.click("#prev")  # at the first step, previous stays there
    expect(0)

    page.focus("#slider")
    page.keyboard.press("ArrowRight")  # the slider's own key: one step, not two
    expect(1)
    box = page.locator("#slider").bounding_box()
    page.mouse.click(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)  # the end of the track
    expect(n - 1)

    page.click("h2")  # the page, not the slider, has the keys now
    page.keyboard.press("ArrowLeft")
    expect(n - 2)
    page.keyboard.press("Home")
    expect(0)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(2)
    page.keyboard.press("End")
    expect(n - 1)
    page.keyboard.press("ArrowRight")  # past the last step stays there
    expect(n - 1)

    # the step's edges (the root's op: its input and its result) are drawn in the step's colour, as rendered
    page.keyboard.press("Home")
    colours = page.eval_on_selector_all(".frame:not([style*='none']) g.edge.step path",
                                        "ps => ps.map(p => getComputedStyle(p).stroke)")
    assert len(colours) == 2 and all(c == "rgb(31, 119, 180)" for c in colours) and STEP_COLOUR == "#1f77b4"


def test_a_network_page_keeps_the_controls_in_view(open_page: Any, tmp_path: Path) -> None:
    mlp = MLP(2, [4, 4, 1], seed=0)
    cost = squared_error(mlp([0.5, -1.0]), 1.0)
    cost.label = "C"
    page = open_page(animate_backward(cost, tmp_path / "net.html"))
    last = int(page.get_attribute("#slider", "max"))
    assert last + 1 == 12  # one step per neuron or op
    # a graph far wider than the window keeps its size (its text readable) and scrolls
    natural, shown = page.eval_on_selector(".frame:not([style*='none']) svg",
                                           "s => [s.width.baseVal.value, s.getBoundingClientRect().width]")
    assert shown == pytest.approx(natural, abs=1) and natural > 1.6 * page.viewport_size["width"]
    seen = set()
    for k in range(last + 1):
        counter, caption, focus, _ = state(page)
        assert counter == f"step {k + 1} of {last + 1}" and caption.startswith(f"step {k + 1}: ")
        seen.add(focus)
        header = page.locator("header").bounding_box()
        node = page.locator(".frame:visible g.node.focus").bounding_box()
        viewport = page.viewport_size
        assert header["y"] == 0  # the controls stay at the top however far the graph scrolled
        # the step's node was scrolled into view, below the controls
        assert header["y"] + header["height"] <= node["y"] and node["y"] + node["height"] <= viewport["height"]
        assert 0 <= node["x"] and node["x"] + node["width"] <= viewport["width"]
        page.click("#next")
    assert len(seen) == last + 1  # a different node highlighted at every step
