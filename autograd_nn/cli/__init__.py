"""The ``autograd-nn`` command line: ``demo``, ``train``, ``graph``, ``gradcheck`` and ``explain``."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
