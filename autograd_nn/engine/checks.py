"""The checks every number passes on its way into the project, and how a bad one is shown in a message."""

from __future__ import annotations

import math
import reprlib
from typing import Any

import numpy as np

from .errors import DomainError

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 2, 6, 4, 40, 40


def short(x: Any, limit: int = 60) -> str:
    """How a bad value is quoted in an error message: its repr, shortened (a file may hold a megabyte where one
    number was expected) and cut to ``limit`` characters; a huge integer by its number of digits."""
    if type(x) is int and x.bit_length() > 200:
        return describe_int(x)
    text = _REPR.repr(x)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def as_float(x: Any, what: str) -> float:
    """x as a float if it is a real number (int, float, numpy scalar); otherwise a TypeError naming ``what``.

    ``bool`` is refused although Python counts it as an int: ``Value(True)`` is almost always a mistake. An
    integer too large for a float (10**400) is a DomainError, not Python's OverflowError.
    """
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what}: expected a real number (int, float or numpy scalar), "
                        f"got {type(x).__name__} {short(x)}")
    try:
        return float(x)
    except OverflowError:
        raise DomainError(f"{what}: {describe_int(int(x))} is too large for a float (at most about 1.8e308)") \
            from None


def as_finite(x: Any, what: str) -> float:
    """:func:`as_float`, refusing NaN and ±inf too: the only numbers a Value may hold."""
    number = as_float(x, what)
    if not math.isfinite(number):
        raise ValueError(f"{what}: must be finite, got {number!r}")
    return number


def describe_int(n: int) -> str:
    """A huge integer in a message without all its digits: 'an integer of 401 digits'."""
    digits = len(str(abs(n))) if n.bit_length() < 10_000 else int(n.bit_length() * math.log10(2)) + 1
    return f"{'-' if n < 0 else ''}an integer of {digits} digits" if digits > 20 else str(n)


__all__ = ["short", "as_float", "as_finite", "describe_int"]
