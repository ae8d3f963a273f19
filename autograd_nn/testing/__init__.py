"""Checks for gradients: :func:`gradcheck`, :func:`check_backprop` (a hand-written numpy backprop, diagnosed)
and Hypothesis strategies (``autograd_nn.testing.strategies``).

The project's own tests use these same tools to prove the engine's derivatives.
"""

from .backprop_check import BackpropReport, Diagnosis, LayerCheck, check_backprop
from .gradcheck import GradcheckError, compare_derivatives, format_table, gradcheck
from .torch_compare import compare_with_torch, format_comparison  # torch is imported when it is called

__all__ = ["BackpropReport", "Diagnosis", "GradcheckError", "LayerCheck", "check_backprop", "compare_derivatives",
           "compare_with_torch", "format_comparison", "format_table", "gradcheck"]
