"""Print sizes: a length on paper at a resolution, and the pixels that takes.

A printer's resolution is given in dots per inch whatever unit the paper is
measured in, so every conversion goes through inches.
"""

from __future__ import annotations

import math

CM_PER_INCH = 2.54
UNITS = ("cm", "in")
_PER_INCH = {"cm": CM_PER_INCH, "in": 1.0}


def _check(unit: str, dpi: float) -> None:
    if unit not in _PER_INCH:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    if not (math.isfinite(dpi) and dpi > 0):
        raise ValueError(f"dpi must be a positive number, not {dpi!r}")


def convert_length(length: float, from_unit: str, to_unit: str) -> float:
    """``length`` in ``from_unit`` expressed in ``to_unit`` ("cm" or "in")."""
    _check(from_unit, 1.0)
    _check(to_unit, 1.0)
    return length / _PER_INCH[from_unit] * _PER_INCH[to_unit]


def pixels_for(length: float, unit: str, dpi: float) -> int:
    """Pixels along ``length`` (in ``unit``) printed at ``dpi``: 30 cm at 300 DPI is 3543 px."""
    _check(unit, dpi)
    return round(length / _PER_INCH[unit] * dpi)


def length_for(pixels: int, unit: str, dpi: float) -> float:
    """How long ``pixels`` print at ``dpi``, in ``unit``: 3543 px at 300 DPI is 30.0 cm."""
    _check(unit, dpi)
    return pixels / dpi * _PER_INCH[unit]


def dpi_for(pixels: int, length: float, unit: str) -> float:
    """The resolution ``pixels`` give when printed ``length`` long (in ``unit``)."""
    _check(unit, 1.0)
    if not (math.isfinite(length) and length > 0):
        raise ValueError(f"length must be a positive number, not {length!r}")
    return pixels / (length / _PER_INCH[unit])
