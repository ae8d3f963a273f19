"""The studio: a local page that trains a small network live with this project's engine.

``Studio(model=None, X=None, y=None, …).serve()`` (or ``autograd-nn studio``) opens it; a notebook shows it inline.
The page: the data plane with the decision boundary redrawn at every step (click to add or remove points), the
network with every weight and each neuron's output over the plane, play / step / rewind, one sample's forward,
backward and update phases, the chain rule for any weight (``viz.explain``) with a slider to set it, the loss,
accuracy and per-layer gradient-size curves, and an export of the run as one self-contained page.
"""

from .app import Studio
from .server import MAX_BODY
from .settings import MAX_LAYERS, MAX_POINTS, MAX_WIDTH, Settings

__all__ = ["Studio", "Settings", "MAX_BODY", "MAX_LAYERS", "MAX_POINTS", "MAX_WIDTH"]
