"""``TapeBackend``: a ``fit`` backend that records the batch loss on a Tape once per batch shape, then replays it.

The tape depends on the engine only, so this module knows nothing of losses: what a batch's loss is, which
targets can be leaves, and how eager code computes a step all come from the batch ``fit`` hands it
(``autograd_nn.train.Batch``: its ``numeric_targets``, ``graph`` and ``eagerly`` methods).
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ..engine import DomainError, Value
from .runtime import Tape


def _flat(targets: list[Any]) -> list[Any]:
    return [v for t in targets for v in (t if isinstance(t, list) else [t])]


class TapeBackend:
    """A ``fit(..., backend=TapeBackend())`` backend: records the batch loss once per batch shape, then replays it.

    The batch's inputs are leaves of the recorded graph, and so are its targets when the batch says they are numbers
    (``batch.numeric_targets``: the named losses that use the target only in arithmetic, and cross_entropy with
    each class as a one-hot row): a later batch of the same shape replays on the same tape, whatever its rows and
    labels. Other losses (a callable that may branch on the label) are recorded once per distinct sequence of
    labels.

    Every call compares ``model.parameters()`` with the parameters the tape was recorded with (identity): a
    parameter object replaced in the model makes it record again, so the new Value is the one trained.
    When the replay meets an error (an overflow, an operand outside an op's domain), the step is computed again
    by eager code (``batch.eagerly``), which raises eager code's own error, word for word.
    """

    def __init__(self) -> None:
        self._tapes: dict[tuple[Any, ...], _Recorded] = {}
        self._params: list[Value] = []
        self._model_id: int | None = None
        self.recordings = 0  # how many tapes were recorded (for tests and benchmarks)

    def __call__(self, model: Any, batch: Any) -> tuple[float, int]:
        params = model.parameters()
        if id(model) != self._model_id or len(params) != len(self._params) or \
                not all(map(operator.is_, params, self._params)):
            self._tapes.clear()  # another model, or a parameter replaced: every tape read the old Values
            self._model_id, self._params = id(model), params
        targets = batch.numeric_targets(model)
        key = (batch.X.shape, None if targets is not None else np.asarray(batch.y).tobytes(), batch.loss, batch.l2)
        recorded = self._tapes.get(key)
        if recorded is None:
            recorded = self._tapes[key] = _Recorded(model, batch, targets, params)
            self.recordings += 1
        try:
            return recorded.step(batch, targets)
        except DomainError:
            # The tape's error path replays the recorded program, not the user's code: compute this step as eager
            # code does (every .grad is as it was: an error leaves them), so the error is eager's own.
            result: tuple[float, int] = batch.eagerly(model)
            return result


class _Recorded:
    """One recorded batch loss: its tape, its input and target leaves, and the model's outputs in it.

    The inputs and targets are Values private to the backend, bound to the tape's array (see ``Tape.bind``), so a
    batch is written into the array with one numpy assignment and no Value's .data. The gradients go to the
    parameters' .grad only (nobody sees the private leaves' gradients).
    """

    def __init__(self, model: Any, batch: Any, targets: list[Any] | None, params: list[Value]) -> None:
        rows = [[Value(float(v)) for v in x] for x in batch.X]
        inputs = [v for row in rows for v in row]
        leaves: list[Any] | None = None
        if targets is not None:  # the targets as leaves, so that other labels replay on the same tape
            leaves = [[Value(v) for v in t] if isinstance(t, list) else Value(t) for t in targets]
        total, self.outs = batch.graph(model, rows, leaves)
        self.tape = tape = Tape(total)
        recorded = set(tape.leaves)
        fed = [(k, v) for k, v in enumerate(inputs + _flat(leaves or [])) if v in recorded]
        self._fed = np.array([k for k, _ in fed], dtype=np.intp)
        self._bound = tape.bind([v for _, v in fed]) if fed else None
        if self._bound is not None:
            where = {v: i for i, v in enumerate(self._bound.params)}
            self._fed_at = np.array([where[v] for _, v in fed], dtype=np.intp)
        self.params = [p for p in params if p in recorded]
        self._param_places = np.array([tape.place(p) for p in self.params], dtype=np.intp)

    def step(self, batch: Any, targets: list[Any] | None) -> tuple[float, int]:
        tape = self.tape
        if self._bound is not None:
            numbers = batch.X.ravel()
            if targets is not None:
                numbers = np.concatenate([numbers, _flat(targets)])
            if not np.isfinite(numbers).all():
                raise ValueError("TapeBackend: the batch holds a number that is not finite")
            self._bound.data[self._fed_at] = numbers[self._fed]
        loss = tape.forward()
        found = tape.gradient()[self._param_places].tolist()
        totals = [p.grad + g for p, g in zip(self.params, found)]
        if not np.isfinite(totals).all():
            for p, total in zip(self.params, totals):
                if not math.isfinite(total):
                    raise DomainError(f"backward: the gradient of {p!r} would become {total} (overflow)")
        for p, total in zip(self.params, totals):
            p.grad = total
        correct = 0
        if batch.predict is not None:
            value = tape.value
            for o, t in zip(self.outs, batch.y):
                shown = [value(v) for v in o] if isinstance(o, list) else value(o)  # predict reads floats too
                correct += batch.predict(shown) == int(t)
        return loss, correct


__all__ = ["TapeBackend"]
