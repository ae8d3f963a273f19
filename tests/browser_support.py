"""What the browser tests share: Debian's chromium, headless, driven by Playwright (never Playwright's own browser
download). Without chromium or Playwright they skip on a developer's machine; in CI (CI=true) they fail."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[browser]')"
    if not os.access(CHROMIUM, os.X_OK):
        return "no chromium (apt-get install chromium)"
    return None


@contextmanager
def browser_context(**options: Any) -> Iterator[Any]:
    """A fresh headless chromium profile (Playwright's persistent context, with ``options``), closed afterwards;
    the calling test skips, or fails in CI, when the browser cannot run."""
    why = missing()
    if why is not None:
        if IN_CI:
            pytest.fail(f"CI must run the browser tests: {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                       **options)
        try:
            yield context
        finally:
            context.close()
