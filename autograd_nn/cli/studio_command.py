"""``studio``: serve the live training page (``autograd_nn.studio.Studio``) until Ctrl-C."""

from __future__ import annotations

import argparse

from .args import UsageError


def studio(options: argparse.Namespace) -> int:
    from ..studio import Studio  # the server and its pages load only for this command

    try:
        page = Studio(port=options.port, hidden=tuple(options.layers), activation=options.activation)
        if options.dataset != "moons" or options.samples != 100:
            page.session.load_dataset(options.dataset, options.samples)
    except ValueError as exc:
        raise UsageError(f"autograd-nn studio: {exc}") from None
    except OSError as exc:  # e.g. the port is taken
        raise UsageError(f"autograd-nn studio: cannot listen on 127.0.0.1:{options.port} ({exc.strerror})") from None
    page.serve(open_browser=not options.no_browser)
    return 0
