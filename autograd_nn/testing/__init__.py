"""Checks for gradients: :func:`gradcheck` and Hypothesis strategies (``autograd_nn.testing.strategies``).

The project's own tests use these same tools to prove the engine's derivatives.
"""

from .gradcheck import GradcheckError, compare_derivatives, format_table, gradcheck
from .torch_compare import compare_with_torch, format_comparison  # torch is imported when it is called

__all__ = ["GradcheckError", "compare_derivatives", "compare_with_torch", "format_comparison", "format_table",
           "gradcheck"]
