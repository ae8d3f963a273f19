"""The lab: pictures that tie the chain rule to what training does.

* :func:`gradient_flow`: the gradient's size layer by layer, for depths × activations × initialisations (where
  it vanishes, where it explodes, how many neurons are saturated);
* :func:`race`: SGD, momentum and Adam stepping on the same 2-D surface from the same start;
* :func:`plot_derivatives`: f, f′ and f″ of one variable, with the kinks and domain edges the op table knows.

Every number comes from the engine (the walk, ``grad``, the op table, the project's optimizers).
"""

from .derivatives import Derivatives, Mark, plot_derivatives
from .flow import (
    FlowRow,
    GradientFlow,
    LayerFlow,
    flow_network,
    gradient_flow,
    layer_gradient_sizes,
    measure_flow,
)
from .race import OPTIMIZERS, Race, Trajectory, race
from .surfaces import SURFACES, Surface, beale, bowl, rosenbrock, saddle

__all__ = ["FlowRow", "GradientFlow", "LayerFlow", "flow_network", "gradient_flow", "layer_gradient_sizes",
           "measure_flow", "OPTIMIZERS", "Race", "Trajectory", "race", "SURFACES", "Surface", "beale", "bowl",
           "rosenbrock", "saddle", "Derivatives", "Mark", "plot_derivatives"]
