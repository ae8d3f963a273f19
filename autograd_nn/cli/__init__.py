"""The ``autograd-nn`` command line: ``demo``, ``train``, ``graph``, ``gradcheck``, ``explain``, ``studio``, and
the lab's ``flow``, ``race`` and ``plot``."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
