"""The loupe in the window: a texture slider dragged with the mouse mid-run shows first in a framed square
at full resolution, where the artist looks (engine.run.loupe)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.conftest import fit_a_small_loupe
from tests.gui.conftest import SLOW, click, drag_slider, load_both


@pytest.fixture
def loupe_fits(monkeypatch):
    """A 32 px loupe fits the 96 px picture and every step counts as slow; the artist lets go after 0.3 s."""
    fit_a_small_loupe(monkeypatch, settle_seconds=0.3)


def _start(qtbot, window, image_paths):
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=96, steps=100_000, precision="float32"))
    reports = []
    window.controller.progressed.connect(reports.append)
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: len(reports) >= 4 and window.preview.canvas.picture is not None, timeout=SLOW)
    return reports


def test_a_texture_slider_dragged_mid_run_shows_first_in_the_loupe_square(qtbot, window, image_paths, loupe_fits):
    reports = _start(qtbot, window, image_paths)
    label, canvas = window.preview.working_label, window.preview.canvas
    assert canvas.loupe is None and label.isHidden()
    slider = window.editor.balance.beta.slider
    before_beta = window.editor.current.beta
    count = len(reports)
    drag_slider(qtbot, slider, 30)  # the artist's hand on beta's handle
    assert window.editor.current.beta > before_beta
    qtbot.waitUntil(lambda: any(r.loupe is not None for r in reports[count:]), timeout=SLOW)
    first = next(r for r in reports[count:] if r.loupe is not None)
    assert first.loupe.live and first.adjusting and first.params.beta > before_beta
    # The report before it is what the screen showed when the change came.
    earlier = reports[: count + reports[count:].index(first)]
    shown_before = next(r.preview for r in reversed(earlier) if r.preview is not None)
    left, top, right, bottom = first.loupe.box
    outside = np.ones(first.preview.shape[:2], bool)
    outside[top:bottom, left:right] = False
    assert np.array_equal(first.preview[outside], shown_before[outside])  # only the square changed
    assert not np.array_equal(first.preview[top:bottom, left:right], shown_before[top:bottom, left:right])
    # The canvas frames the square and the toolbar says what it is.
    qtbot.waitUntil(lambda: canvas.loupe is not None, timeout=SLOW)
    assert canvas.loupe == QRectF(left, top, 32, 32)
    assert label.isVisible() and "Loupe" in label.text()
    # Let go: the whole picture goes on, the square leaves once it has caught up (or at most a few steps).
    qtbot.waitUntil(lambda: canvas.loupe is None and reports[-1].loupe is None, timeout=SLOW)
    qtbot.waitUntil(lambda: label.isHidden(), timeout=SLOW)
    click(qtbot, window.stop_button)


def test_the_loupe_goes_to_the_centre_of_what_is_in_view(qtbot, window, image_paths, loupe_fits):
    reports = _start(qtbot, window, image_paths)
    canvas = window.preview.canvas
    # Zoom in with the wheel over the top left of the picture, as a hand would.
    corner = canvas.target_rect().topLeft() + QPointF(6, 6)
    for _ in range(8):
        event = QWheelEvent(
            corner, canvas.mapToGlobal(corner), QPoint(0, 0), QPoint(0, 120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        QApplication.sendEvent(canvas, event)
    x, y = canvas.view_centre()
    assert x < 0.3 and y < 0.3
    count = len(reports)
    drag_slider(qtbot, window.editor.balance.beta.slider, 30)
    qtbot.waitUntil(lambda: any(r.loupe is not None for r in reports[count:]), timeout=SLOW)
    loupe = next(r.loupe for r in reports[count:] if r.loupe is not None)
    assert loupe.left < 20 and loupe.top < 20  # near the top left corner, where the artist looks
    click(qtbot, window.stop_button)
