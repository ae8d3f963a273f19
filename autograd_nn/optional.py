"""Optional dependencies (PyTorch, ipywidgets, …): imported when first used, with an error that says how to get
them. The parts that need one call :func:`require` instead of importing it at the top of their module, so that
``import autograd_nn`` works without any of them."""

from __future__ import annotations

import importlib
from types import ModuleType

# module -> (its name in messages, the extra of this project that installs it)
KNOWN = {"torch": ("PyTorch", "torch"), "ipywidgets": ("ipywidgets", "notebook")}


def require(module: str, needed_by: str) -> ModuleType:
    """``import module``, or an ImportError naming what needs it and the pip command that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        name, extra = KNOWN.get(module, (module, None))
        # the installed package's extra, and the same from a clone
        how = f'pip install "autograd-nn[{extra}]" (in a clone: pip install -e ".[{extra}]")' if extra else \
            f"pip install {module}"
        raise ImportError(f"{needed_by} needs {name}, which is not installed ({exc}); install it with {how}") \
            from None


__all__ = ["require", "KNOWN"]
