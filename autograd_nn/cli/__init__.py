"""The ``autograd-nn`` command line: ``demo``, ``train``, ``graph``, ``gradcheck``, ``explain`` and ``studio``."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
