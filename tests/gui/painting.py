"""Helpers for the region tests: points on the preview in mask pixels, strokes and clicks as a hand makes them."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import SLOW, drop, file_mime

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def canvas_point(window, x: float, y: float) -> QPoint:
    """The canvas point over the centre of mask pixel (x, y)."""
    target = window.preview.canvas.target_rect()
    width, height = window.mask_doc.size
    return QPoint(
        round(target.left() + (x + 0.5) / width * target.width()),
        round(target.top() + (y + 0.5) / height * target.height()),
    )


def stroke(window, points: list[tuple[float, float]], steps: int = 8) -> None:
    """Press at the first point, move through the others in small steps, release at the last."""
    canvas, left, plain = window.preview.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(canvas, left, plain, canvas_point(window, *points[0]))
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        for i in range(1, steps + 1):
            QTest.mouseMove(canvas, canvas_point(window, x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps))
    QTest.mouseRelease(canvas, left, plain, canvas_point(window, *points[-1]))


def click_canvas(window, x: float, y: float) -> None:
    QTest.mouseClick(
        window.preview.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, canvas_point(window, x, y)
    )


def press(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A key, typed where the keyboard focus is (the window when nothing has it)."""
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifiers)


def choose(qtbot, combo, steps: int) -> None:
    """Pick an item of a closed combo box with the arrow keys, as from the keyboard (steps < 0: upwards)."""
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    for _ in range(abs(steps)):
        qtbot.keyClick(combo, Qt.Key.Key_Down if steps > 0 else Qt.Key.Key_Up)


def load_photo(qtbot, window, path: Path) -> None:
    """Drop ``path`` on the Content well and wait until the masks have its shape."""
    drop(window.content_well, file_mime(path))
    qtbot.waitUntil(lambda: window.content_well.path == Path(path) and not window._tasks, timeout=SLOW)


def plane(window, colour) -> np.ndarray:
    found = window.mask_doc.plane(colour)
    return np.zeros(window.mask_doc.size[::-1], np.uint8) if found is None else found.copy()


def spotted_photo(path: Path, width: int = 96, height: int = 72) -> Path:
    """Grey, with two blue discs of the same colour apart from each other, and a red bar."""
    image = Image.new("RGB", (width, height), (128, 128, 128))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 32, 32), fill=(20, 40, 200))
    draw.ellipse((60, 36, 84, 60), fill=(20, 40, 200))
    draw.rectangle((8, 50, 40, 62), fill=(220, 30, 30))
    image.save(path)
    return path
