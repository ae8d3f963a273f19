"""The race page in a real browser (the fixtures of test_browser_steps: Debian's chromium, headless, Playwright):
the slider, the buttons and the keys move every optimizer to step k, the caption gives its (x, y) and f there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_browser_steps import browser, open_page  # noqa: F401  (the fixtures)

from autograd_nn.lab import race


def _caption_lines(page: Any) -> list[str]:
    return [line for line in page.inner_text("#caption").splitlines() if line.strip()]


def test_slider_buttons_and_keys_move_every_optimizer(open_page: Any, tmp_path: Path) -> None:  # noqa: F811
    result = race("rosenbrock", steps=30)
    page = open_page(result.animate(tmp_path / "race.html"))

    def expect(k: int) -> None:
        assert page.inner_text("#counter") == f"step {k} of 30"
        assert page.input_value("#slider") == str(k)
        lines = _caption_lines(page)
        assert len(lines) == 3
        for line, t in zip(lines, result.trajectories):
            x, y = t.points[k]
            assert line.strip() == f"{t.name} [{t.optimizer}]: ({x:.5g}, {y:.5g}), f = {t.values[k]:.5g}"
        # each path has the points up to step k, its dot at the last one
        counts = page.eval_on_selector_all("polyline", "ps => ps.map(p => p.points.numberOfItems)")
        assert counts == [k + 1] * 3
        ends = page.eval_on_selector_all("polyline", "ps => ps.map(p => { const q = p.points.getItem("
                                         "p.points.numberOfItems - 1); return [q.x, q.y]; })")
        dots = page.eval_on_selector_all("circle", "cs => cs.map(c => [c.cx.baseVal.value, c.cy.baseVal.value])")
        assert [[round(v, 1) for v in e] for e in ends] == [[round(v, 1) for v in d] for d in dots]

    expect(0)
    page.click("#next")
    expect(1)
    page.click("#prev")
    page.click("#prev")  # at step 0, previous stays there
    expect(0)
    page.click("h2")
    page.keyboard.press("End")
    expect(30)
    page.keyboard.press("ArrowRight")  # past the last step stays there
    expect(30)
    page.keyboard.press("ArrowLeft")
    expect(29)
    page.keyboard.press("Home")
    expect(0)
    page.focus("#slider")
    page.keyboard.press("ArrowRight")  # the slider's own key: one step, not two
    expect(1)
    page.screenshot(path=str(tmp_path / "race.png"))
