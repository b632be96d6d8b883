"""The window's creative controls: split view, loss curves, history, blends, colour, stroke, explorer."""

from __future__ import annotations

from brushwork.engine.run import schedule
from PySide6.QtCore import QPoint, Qt

from tests.conftest import make_painting
from tests.gui.conftest import SLOW, load_both


def _run(qtbot, window, image_paths, **params):
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(**params))
    reports = []
    window.controller.progressed.connect(reports.append)
    window.start()
    return reports


def test_before_after_split_view_with_a_draggable_divider(qtbot, window, image_paths):
    _run(qtbot, window, image_paths, size=64, steps=4)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=SLOW)
    canvas = window.preview.canvas
    plain = canvas.grab().toImage()
    window.preview.split_button.click()
    assert canvas.split and canvas.divider == 0.5
    start = QPoint(round(canvas.divider_x()), canvas.height() // 2)
    target = canvas.target_rect()
    end = QPoint(round(target.left() + target.width() * 0.2), canvas.height() // 2)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)
    assert abs(canvas.divider - 0.2) < 0.02
    shot = canvas.grab().toImage()
    # Right of the divider: the picture, as without the split. Left of it: the photo instead.
    y = round(target.top() + target.height() * 0.4)
    right, left = QPoint(end.x() + 20, y), QPoint(end.x() - 10, y)
    assert shot.pixelColor(right) == plain.pixelColor(right)
    assert shot.pixelColor(left) != plain.pixelColor(left)


def test_loss_curves_follow_the_run_and_mark_changes(qtbot, window, image_paths):
    reports = _run(qtbot, window, image_paths, size=48, steps=100_000)
    qtbot.waitUntil(lambda: len(reports) >= 3, timeout=SLOW)
    window.editor.balance.beta.spin.setValue(300.0)
    qtbot.waitUntil(lambda: any(r.params.beta == 300.0 for r in reports), timeout=SLOW)
    qtbot.waitUntil(lambda: len(window.loss_chart.points) >= len(reports) - 1, timeout=SLOW)
    window.stop()
    chart = window.loss_chart
    assert len(chart.param_marks) == 1 and chart.param_marks[0] > 0
    window.tabs.setCurrentWidget(chart)
    assert not chart.grab().toImage().isNull()


def test_history_keeps_scale_ends_and_snapshots(qtbot, window, image_paths, tmp_path, monkeypatch):
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    _run(qtbot, window, image_paths, size=64, steps=12)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=SLOW)
    labels = [s.label for s in window.history.snapshots]
    assert labels == ["scale 1 (43x32)", "scale 2 (64x48)"]
    window.history.snapshot_button.click()
    assert len(window.history.snapshots) == 3
    first = window.history.snapshots[0]
    window.history.list.setCurrentRow(0)
    assert window.preview.canvas.picture.width() == 43  # showing the snapshot
    out = tmp_path / "kept.png"
    window.dialogs.save_image_path = out
    window.history.save_button.click()
    qtbot.waitUntil(out.exists, timeout=SLOW)
    window.set_params(window.params().replace(beta=77.0))
    window.history.restore_button.click()
    assert window.params().beta == first.params.beta
    reports = []
    window.controller.progressed.connect(reports.append)
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        window.history.continue_button.click()
    assert reports[0].step == first.step + 1


def test_blending_a_second_style(qtbot, window, image_paths, tmp_path):
    second = tmp_path / "second.png"
    make_painting(48, 48, seed=9).save(second)
    load_both(qtbot, window, image_paths)
    window.dialogs.open_image_path = second
    qtbot.mouseClick(window.editor.style.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.editor.style.blend_fields) == 2, timeout=SLOW)
    window.editor.style.blend_fields[1].spin.setValue(1.5)
    window.editor.flush()
    assert window.params().style_blend == (1.0, 1.5)
    reports = _run(qtbot, window, image_paths, size=48, steps=100_000)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)
    engine = window.controller.engine
    assert len(engine._inputs.styles) == 2
    window.editor.style.blend_fields[1].spin.setValue(0.5)
    qtbot.waitUntil(lambda: any(r.params.style_blend == (1.0, 0.5) for r in reports), timeout=SLOW)
    qtbot.mouseClick(window.editor.style.remove_buttons()[1], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.controller.engine._inputs.styles) == 1, timeout=SLOW)
    assert window.editor.style.blend_fields == []
    window.stop()


def test_colour_and_stroke_controls_reach_the_run(qtbot, window, image_paths):
    reports = _run(qtbot, window, image_paths, size=48, steps=100_000)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)
    panel = window.editor.style
    assert not panel.strength.isEnabled()
    panel.colors.setCurrentIndex(panel.colors.findData("luminance"))
    assert panel.strength.isEnabled()
    panel.stroke.spin.setValue(1.5)
    qtbot.waitUntil(
        lambda: any(r.params.keep_colors == "luminance" and r.params.style_scale == 1.5 for r in reports),
        timeout=SLOW,
    )
    window.stop()


def test_layer_explorer_shows_maps_and_gram(qtbot, window, image_paths):
    load_both(qtbot, window, image_paths)
    explorer = window.open_layer_explorer()  # it computes off the GUI thread: nothing is shown yet
    with qtbot.waitSignal(explorer.shown, timeout=SLOW) as blocker:
        pass
    assert blocker.args[0].layer == "conv3_1"
    assert not explorer.maps.pixmap().isNull() and not explorer.gram.pixmap().isNull()
    with qtbot.waitSignal(explorer.shown, timeout=SLOW) as blocker:
        explorer.layer.setCurrentText("conv1_1")
    assert blocker.args[0].channels == 64
    with qtbot.waitSignal(explorer.shown, timeout=SLOW) as blocker:
        explorer.source.setCurrentIndex(explorer.source.findData("Style"))
    assert "positions" in explorer.info.text()
    explorer.close()
