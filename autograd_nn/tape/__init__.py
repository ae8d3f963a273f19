"""The Tape: a recorded graph replayed with numpy, compiled by a few small passes (read the files in this order).

``Tape(root)`` records the graph under ``root`` once, compiles it, then ``forward()`` and ``backward()`` (or
``gradient()``) replay it vectorized. The stages, one file each:

1. :mod:`~autograd_nn.tape.program` — ``record``: the graph → a :class:`Program`, ops over numbered slots ``s…``
   (``print(tape.program)``); the same record the test strategies draw and the command line parses into, with
   the one way to rebuild it on Values.
2. :mod:`~autograd_nn.tape.passes` — pure functions over it: ``probe_ops`` (every op runs on arrays and gives
   its float form's numbers), ``fold_sums`` (``sum()``'s chains of + → one n-ary sum, the same float),
   ``float_forms`` (ops a branch reads run their float form), ``batch`` (independent equations of one op → a
   group), ``rewrite_layers`` (a layer's weighted sums over a batch → matrix products).
3. :mod:`~autograd_nn.tape.layout` — ``lay_out``: every slot gets a place ``p…`` in one value and one gradient
   array, so that most reads and writes are slices.
4. :mod:`~autograd_nn.tape.kernels` and :mod:`~autograd_nn.tape.sum_kernels` — one kernel per group: the op's
   table entry on arrays; ``sum`` and ``weighted_sum`` call the engine's folds and their rule read from the table.
5. :mod:`~autograd_nn.tape.plan` — ``compile_plan`` and ``first_writes``: the executable :class:`Plan`
   (``print(tape)``); :mod:`~autograd_nn.tape.accumulate` — ``eager_sums``: a gradient with three or more
   contributions adds them in the order of the engine's walk.
6. :mod:`~autograd_nn.tape.runtime` and :mod:`~autograd_nn.tape.bound` — :class:`Tape` runs the plan, with one
   error path through the engine's ``walk``; :class:`Bound` keeps bound parameters in one array.
7. :mod:`~autograd_nn.tape.backend` — :class:`TapeBackend` for ``fit``.

The tape depends on the engine only. A deep, narrow graph (one node per level) gains nothing from numpy; the tape
is for wide graphs such as a network over a batch. It replays the *structure* it recorded: Python control flow
that depends on data (an ``if`` on a Value) stays as it was when recorded; build a new Tape then.
"""

from .accumulate import EagerSums, eager_sums
from .backend import TapeBackend
from .bound import Bound
from .kernels import Elementwise, Kernel
from .layout import Layout, Places, lay_out
from .passes import Group, LayerGroup, batch, float_forms, fold_sums, probe_ops, rewrite_layers
from .plan import Plan, compile_plan, first_writes
from .program import Equation, Program, eager_order, record, replay_eagerly
from .runtime import Tape
from .sum_kernels import MatmulLayer, SquaredSums, Sums, WeightedSums

__all__ = ["Tape", "Bound", "TapeBackend", "Program", "Equation", "Plan", "Group", "LayerGroup", "Kernel",
           "Elementwise", "Sums", "WeightedSums", "SquaredSums", "MatmulLayer", "Layout", "Places", "record",
           "probe_ops", "fold_sums", "float_forms", "batch", "rewrite_layers", "lay_out", "compile_plan",
           "first_writes", "eager_sums", "EagerSums", "replay_eagerly", "eager_order"]
