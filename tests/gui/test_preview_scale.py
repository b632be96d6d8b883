"""The window says when it works at a smaller preview scale while the artist adjusts (engine.run.live_preview)."""

from __future__ import annotations

from brushwork.engine.run import live_preview
from PySide6.QtCore import Qt

from tests.gui.conftest import SLOW, click, load_both


def test_a_slider_moved_on_a_slow_scale_shows_the_preview_scale_until_the_artist_lets_go(
    qtbot, window, image_paths, monkeypatch
):
    # Make every step "slow" so that a small picture previews at 48 px, and let
    # go quickly; nothing here waits on the clock, only on what the window shows.
    monkeypatch.setattr(live_preview, "LIVE_STEP_SECONDS", 1e-6)
    monkeypatch.setattr(live_preview, "TEXTURE_PREVIEW_SECONDS", 1e-6)
    monkeypatch.setattr(live_preview, "MIN_PREVIEW_SIDE", 48)
    monkeypatch.setattr(live_preview, "SETTLE_SECONDS", 0.3)
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=96, steps=100_000))
    reports = []
    window.controller.progressed.connect(reports.append)
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: len(reports) >= 3, timeout=SLOW)
    label = window.preview.working_label
    assert label.isHidden()
    qtbot.waitUntil(lambda: window.status.left.text().endswith(" left"), timeout=SLOW)
    slider = window.editor.balance.beta.slider
    slider.setFocus()
    qtbot.waitUntil(slider.hasFocus)
    before = window.editor.current.beta
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)  # the artist's hand, on the focused slider
    qtbot.waitUntil(lambda: label.isVisible(), timeout=SLOW)
    assert window.editor.current.beta != before
    assert "48 px" in label.text() and "preview at 48 px" in window.status.scale.text()
    # A preview's steps are no steps of the plan: the time left stays up meanwhile.
    assert window.status.left.text().endswith(" left")
    previewed = next(r for r in reports if r.preview_side is not None)
    assert previewed.params.beta == window.editor.current.beta
    assert (previewed.width, previewed.height) == (96, 72)  # the picture on screen stays full size
    shown = window.preview.canvas.picture
    assert (shown.width(), shown.height()) == (96, 72)
    # Let go: the plan's own scale takes over and the label goes.
    qtbot.waitUntil(lambda: label.isHidden(), timeout=SLOW)
    assert "preview" not in window.status.scale.text()
    steps_before = reports[-1].step
    qtbot.waitUntil(lambda: reports[-1].step > steps_before + 2, timeout=SLOW)
    assert all(r.preview_side is None for r in reports[-2:])
    click(qtbot, window.stop_button)


def test_continuing_a_finished_picture_paints_on_at_its_scale(qtbot, window, image_paths):
    """The finished picture's snapshot, continued: it must not end at once, nor go back to a coarser scale."""
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=64, steps=12, stop_early=False))
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.start_button)
    last = window.history.snapshots[-1]
    assert last.step == 12 and max(last.picture.shape[:2]) == 64
    reports = []
    window.controller.progressed.connect(reports.append)
    row = len(window.history.snapshots) - 1
    rect = window.history.list.visualItemRect(window.history.list.item(row))
    qtbot.mouseClick(window.history.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW) as finished:
        click(qtbot, window.history.continue_button)
    assert finished.args == [True]
    assert [r.step for r in reports] == list(range(1, 13))  # the last scale's budget again, at 64 px
    assert all(max(r.width, r.height) == 64 for r in reports)
