"""Checks of the arguments of the public calls, at the boundary: a wrong type fails there with ArgumentError
naming the argument, never deep inside (or taken for something else: "no" is a true string)."""

from __future__ import annotations

import math
import numbers
import operator

import numpy as np

from .errors import ArgumentError


def checked_int(name: str, value, least: int = 0) -> int:
    """`value` as a Python int no less than `least`, or ArgumentError naming `name`: a numpy integer of any
    width is one (converted: frame numbers and sizes must not wrap in its width); a bool or a float is not."""
    if not isinstance(value, (bool, np.bool_)):
        try:
            number = operator.index(value)
        except TypeError:
            pass
        else:
            if number >= least:
                return number
    raise ArgumentError(f"{name} must be a whole number of at least {least}, not {value!r}")


def checked_number(name: str, value) -> float:
    """`value` as a finite float (an int or numpy number too; a bool or a string is not), or ArgumentError."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond float's range
            number = math.inf
        if math.isfinite(number):
            return number
    raise ArgumentError(f"{name} must be a finite number, not {value!r}")


def checked_flag(name: str, value, none: bool = False) -> bool | None:
    """`value` as a bool (a numpy bool too; None where `none`), or ArgumentError: "no" is not False."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if none and value is None:
        return None
    raise ArgumentError(f"{name} must be True or False{' or None' if none else ''}, not {value!r}")


def checked_device_name(value) -> str | None:
    """A device to pick by part of its name, or None (the renderer's choice); ArgumentError otherwise."""
    if value is not None and not isinstance(value, str):
        raise ArgumentError(f"device_name must be a str (part of a device's name) or None, not {value!r}")
    return value
