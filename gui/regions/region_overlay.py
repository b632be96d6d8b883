"""The masks as one picture in their regions' colours, laid over the preview.

The picture is kept at the masks' size and brought up to date one rectangle
at a time while a stroke goes (a dab's rectangle costs microseconds; the
whole picture at 2048 px costs tens of milliseconds, so only a change of
colours, visibility or photo rebuilds it). The overlay's opacity is applied
when it is drawn, so changing it costs nothing here.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from .mask_brush import Rect
from .region_colour import Colour

Layer = tuple[np.ndarray, Colour]  # a region's mask and its colour


class RegionOverlay:
    """A premultiplied RGBA picture: each pixel the masks' colours mixed by coverage, opaque where fully covered."""

    def __init__(self) -> None:
        self.image: QImage | None = None
        self._pixels: np.ndarray | None = None  # a writable view of the image's bytes, H x W x 4

    def rebuild(self, size: tuple[int, int] | None, layers: list[Layer]) -> None:
        if size is None:
            self.image = self._pixels = None
            return
        width, height = size
        if self.image is None or (self.image.width(), self.image.height()) != size:
            self.image = QImage(width, height, QImage.Format.Format_RGBA8888_Premultiplied)
            raw = np.frombuffer(self.image.bits(), np.uint8).reshape(height, self.image.bytesPerLine())
            self._pixels = raw[:, : width * 4].reshape(height, width, 4)
        self.refresh((0, 0, width, height), layers)

    def refresh(self, rect: Rect, layers: list[Layer]) -> None:
        """Recompute the pixels in ``rect`` from the masks."""
        if self._pixels is None:
            return
        x0, y0, x1, y1 = rect
        out = self._pixels[y0:y1, x0:x1]
        if not layers:
            out[...] = 0
            return
        coverage = [plane[y0:y1, x0:x1].astype(np.float32) * (1 / 255) for plane, _ in layers]
        total = np.sum(coverage, axis=0)
        # Overlapping regions share a pixel in proportion, as the engine shares it (engine.objective.guided_gram).
        share = 1.0 / np.maximum(total, 1.0)
        for channel in range(3):
            mixed = sum(c * colour[channel] for c, (_, colour) in zip(coverage, layers, strict=True))
            out[..., channel] = np.rint(mixed * share)
        out[..., 3] = np.rint(np.minimum(total, 1.0) * 255)
