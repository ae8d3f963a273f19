"""BLAS threads for a tape whose matrix products are small: one thread while it replays, then as before.

A layer's matrix products are BLAS calls. For small products (micrograd's moons, 100×16 by 16×16) a second BLAS
thread saves nothing when the machine is quiet, and when the machine is busy (more runnable processes than cores)
its threads wait for each other: one product can take a hundred times as long, and a step with it. So a Tape whose
largest product has fewer than :data:`SMALL_PRODUCT` multiply-adds runs its forward and gradient with one BLAS
thread (threadpoolctl's controller, about 1 µs to set and 1 µs to restore) and restores the count afterwards;
a tape of larger products keeps the process's setting (threads pay off there on a quiet machine). Without
threadpoolctl, or with one BLAS thread already, nothing is changed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

SMALL_PRODUCT = 1 << 18
"""Multiply-adds (rows × inner × columns) of a tape's largest matrix product below which it uses one BLAS thread."""


@functools.lru_cache(maxsize=1)
def _blas() -> tuple[Any, ...]:
    """The process's BLAS libraries (threadpoolctl's controllers), or none without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return ()
    return tuple(ThreadpoolController().select(user_api="blas").lib_controllers)


def one_thread(largest_product: int) -> tuple[Callable[[], None], Callable[[], None]] | None:
    """``(enter, leave)``: set every BLAS library to one thread, and give each its thread count back; or None
    when nothing is to be done (products of :data:`SMALL_PRODUCT` or more, no matrix product, no threadpoolctl)."""
    if largest_product == 0 or largest_product >= SMALL_PRODUCT:
        return None
    libs = _blas()
    if not libs:
        return None
    saved = [lib.num_threads for lib in libs]

    def enter() -> None:
        for i, lib in enumerate(libs):
            saved[i] = lib.get_num_threads()
            if saved[i] != 1:
                lib.set_num_threads(1)

    def leave() -> None:
        for lib, n in zip(libs, saved):
            if n != 1:
                lib.set_num_threads(n)
    return enter, leave


__all__ = ["SMALL_PRODUCT", "one_thread"]
