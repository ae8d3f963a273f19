"""The studio's pages, assembled from the static files shipped in the package (no CDN, no build step): the live
page, with the server's token, and the exported replay, one self-contained file with the run's data inside."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def asset(name: str) -> str:
    """One of the files in autograd_nn/studio/static."""
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: no "</" can close it early."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def _page(title: str, body: str, scripts: list[str], config: Any) -> str:
    css = asset("studio.css")
    code = "\n".join(asset(name) for name in scripts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="icon" href="data:,">\n'
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            f"style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data: blob:; connect-src 'self'\">\n"
            f"<title>{title}</title>\n<style>\n{css}\n</style></head>\n<body>\n{body}\n"
            f'<script type="application/json" id="config">{_script_json(config)}</script>\n'
            f"<script>\n{code}\n</script>\n</body></html>\n")


def live_page(token: str) -> str:
    return _page("autograd_nn studio", asset("studio.html"), ["draw.js", "studio.js"], {"token": token})


def replay_page(run: dict[str, Any]) -> str:
    return _page("autograd_nn studio: a recorded run", asset("replay.html"), ["draw.js", "replay.js"], run)
