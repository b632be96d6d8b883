"""Conversions between numpy/PIL pictures and Qt images."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtGui import QImage


def array_to_qimage(array: np.ndarray) -> QImage:
    """A deep copy of a uint8 H x W x 3 array as a QImage (safe after the array goes)."""
    array = np.ascontiguousarray(array)
    height, width, _ = array.shape
    return QImage(array.data, width, height, array.strides[0], QImage.Format.Format_RGB888).copy()


def pil_to_qimage(image: Image.Image) -> QImage:
    """For the screen; a painting's transparent parts are shown white, as it was once loaded."""
    if image.mode == "RGBA":
        image = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image)
    return array_to_qimage(np.asarray(image.convert("RGB")))


def qimage_to_pil(image: QImage) -> Image.Image:
    """A QImage (e.g. from the clipboard) as RGB, transparency composited on white."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height = rgba.width(), rgba.height()
    raw = np.frombuffer(rgba.constBits(), dtype=np.uint8, count=rgba.sizeInBytes())
    pixels = raw.reshape(height, rgba.bytesPerLine())[:, : width * 4].reshape(height, width, 4)
    picture = Image.fromarray(pixels.copy(), "RGBA")
    white = Image.new("RGBA", picture.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, picture).convert("RGB")
