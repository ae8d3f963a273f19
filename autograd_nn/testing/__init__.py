"""Checks for gradients: :func:`gradcheck` and Hypothesis strategies (``autograd_nn.testing.strategies``).

The project's own tests use these same tools to prove the engine's derivatives.
"""

from .gradcheck import GradcheckError, compare_derivatives, format_table, gradcheck

__all__ = ["GradcheckError", "compare_derivatives", "format_table", "gradcheck"]
