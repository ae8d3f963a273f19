"""autograd_nn: a scalar autograd engine for learning, teaching and checking backpropagation.

``Value`` records every operation; ``backward()`` applies the chain rule through the recorded graph;
``grad(..., create_graph=True)`` gives derivatives that can be differentiated again.

``import autograd_nn`` (and so ``import autograd_nn.engine``) loads numpy and nothing heavier: the parts that
need graphviz or hypothesis (``viz``, ``testing`` and the names from them) and ``Tape`` are imported on first
use (PEP 562 ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import data, losses, optim, train
from . import engine as _engine
from .engine import *  # noqa: F403  (the engine's __all__ is the one list of its public names)
from .engine import Value
from .engine import value as _value
from .nn import MLP, Layer, Neuron
from .serialize import load_mlp, save_mlp
from .train import fit

if TYPE_CHECKING:
    from . import testing as testing  # not in __all__; a subpackage, loaded on first use
    from . import viz
    from .tape import Tape
    from .testing import GradcheckError, gradcheck
    from .viz import animate_backward, draw_graph, draw_network, explain, render

__version__ = "0.1.0"

# name -> (module, attribute in it; None for the module itself), imported when first asked for
_LAZY: dict[str, tuple[str, str | None]] = {
    "viz": ("autograd_nn.viz", None),
    "draw_graph": ("autograd_nn.viz", "draw_graph"),
    "draw_network": ("autograd_nn.viz", "draw_network"),
    "animate_backward": ("autograd_nn.viz", "animate_backward"),
    "explain": ("autograd_nn.viz", "explain"),
    "render": ("autograd_nn.viz", "render"),
    "testing": ("autograd_nn.testing", None),
    "gradcheck": ("autograd_nn.testing", "gradcheck"),
    "GradcheckError": ("autograd_nn.testing", "GradcheckError"),
    "Tape": ("autograd_nn.tape", "Tape"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    found = module if attr is None else getattr(module, attr)
    globals()[name] = found  # later look-ups do not come back here
    return found


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def _value_svg(v: Value) -> str | None:
    # The engine cannot import viz; its notebook display hook is this, which loads viz (graphviz) on first use.
    from .viz import value_svg  # lazy by design: `import autograd_nn` must not load graphviz

    return value_svg(v)


_value.svg_display = _value_svg

__all__ = [
    *_engine.__all__, "__version__",
    "Neuron", "Layer", "MLP", "fit", "save_mlp", "load_mlp", "data", "losses", "optim", "train",
    "viz", "draw_graph", "draw_network", "animate_backward", "explain", "render", "gradcheck", "GradcheckError",
    "Tape",
]
