"""Keep ``None`` alive under PySide6 6.12 on Python 3.11 and older.

PySide6(-Essentials) 6.12.0 returns ``None`` from a Qt method that returns nothing
without taking a reference to it: each call such as ``QPainter.drawLine``,
``QPainterPath.lineTo`` or ``QPen`` setters drops ``None``'s reference count by one
(measured: 1000 calls, -1000). Python 3.12 made ``None`` immortal, so there it does
no harm; on 3.10 and 3.11 the count reaches zero after some thousands of calls and
the interpreter aborts ("Fatal Python error: none_dealloc"). The loss chart repaints
with thousands of such calls, and a user's trial lost the window in its fourth run.

We do for ``None`` what Python 3.12 does: give it so many references (2**40) that no
session can spend them. ``None`` is never freed in any case, so nothing else changes.
"""

from __future__ import annotations

import ctypes
import platform
import sys

SPARE_REFERENCES = 1 << 40  # a million calls a second would take 35 years


def keep_none_alive() -> None:
    """Give ``None`` spare references on CPython before 3.12 (no-op elsewhere, and if done already)."""
    if platform.python_implementation() != "CPython" or sys.version_info >= (3, 12):
        return
    if sys.getrefcount(None) > SPARE_REFERENCES // 2:
        return
    # ob_refcnt is the first field of every object in CPython up to 3.11.
    ctypes.c_ssize_t.from_address(id(None)).value += SPARE_REFERENCES
