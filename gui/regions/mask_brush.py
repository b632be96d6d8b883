"""The brush that paints region masks: round dabs with a hard or soft edge, stamped in place with numpy.

A stroke is a row of dabs spaced a quarter of the brush's radius apart. Each
dab touches only the pixels under it, so a mouse move costs the same on a
64 px mask as on a 2048 px one. Within a stroke, dabs combine by maximum (the
eraser by minimum): going over the same place again does not build up, so a
soft brush leaves the same soft edge along the whole stroke.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), in mask pixels


@lru_cache(maxsize=16)
def brush_kernel(radius: float, hardness: float) -> np.ndarray:
    """A dab as uint8 coverage, (2n+1, 2n+1), centred.

    ``hardness`` 1 gives a solid disc with an antialiased rim; below 1 the
    coverage falls off from ``radius * hardness`` to 0 at ``radius`` along a
    smoothstep (a radial gradient without the kink a linear one shows).
    """
    radius = max(float(radius), 0.5)
    half = math.ceil(radius) + 1
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1]
    distance = np.hypot(xx, yy).astype(np.float32)
    inner = radius * min(max(hardness, 0.0), 1.0)
    if radius - inner < 1.0:
        alpha = np.clip(radius + 0.5 - distance, 0.0, 1.0)
    else:
        alpha = np.clip((radius - distance) / (radius - inner), 0.0, 1.0)
        alpha = alpha * alpha * (3.0 - 2.0 * alpha)
    return np.rint(alpha * 255.0).astype(np.uint8)


def stamp(mask: np.ndarray, kernel: np.ndarray, cx: float, cy: float, erase: bool = False) -> Rect | None:
    """Press ``kernel`` into ``mask`` centred at (cx, cy); the rectangle it changed, or None if off the mask."""
    height, width = mask.shape
    half = kernel.shape[0] // 2
    x, y = round(cx), round(cy)
    x0, y0, x1, y1 = max(x - half, 0), max(y - half, 0), min(x + half + 1, width), min(y + half + 1, height)
    if x0 >= x1 or y0 >= y1:
        return None
    cover = kernel[y0 - (y - half) : y1 - (y - half), x0 - (x - half) : x1 - (x - half)]
    target = mask[y0:y1, x0:x1]
    if erase:
        np.minimum(target, 255 - cover, out=target)
    else:
        np.maximum(target, cover, out=target)
    return x0, y0, x1, y1


def dab_centres(start: tuple[float, float], end: tuple[float, float], spacing: float) -> list[tuple[float, float]]:
    """Points from ``start`` (excluded) to ``end`` (included), at most ``spacing`` apart."""
    (x0, y0), (x1, y1) = start, end
    count = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / max(spacing, 0.5)))
    return [(x0 + (x1 - x0) * i / count, y0 + (y1 - y0) * i / count) for i in range(1, count + 1)]


def spacing_for(radius: float) -> float:
    """Dabs a quarter radius apart: closer costs time, further shows beads along a soft stroke."""
    return max(1.0, radius * 0.25)


def union(a: Rect | None, b: Rect | None) -> Rect | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])
