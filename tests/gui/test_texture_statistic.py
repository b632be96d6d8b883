"""Issue 30, item 1 in the window: the texture statistic is picked under Advanced and reaches the run."""

from PySide6.QtCore import Qt

from tests.gui.conftest import SLOW, click, load_both


def test_the_texture_statistic_is_picked_by_hand_and_the_run_takes_it_on_the_next_step(qtbot, window, image_paths):
    load_both(qtbot, window, image_paths)
    window.set_params(window.editor.current.replace(size=48, steps=100_000))
    reports = []
    window.controller.progressed.connect(reports.append)
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)
    assert all(r.params.style_loss == "gram" for r in reports)

    advanced = window.editor.advanced
    click(qtbot, advanced.toggle)  # Advanced opens
    combo = advanced.style_loss
    assert combo.isVisible() and combo.currentText() == "Gram (Gatys)" and combo.toolTip()
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)  # the hand clicks into it (the list opens)...
    qtbot.keyClick(combo.view(), Qt.Key.Key_Escape)  # ...and closes it again, leaving the focus there
    qtbot.waitUntil(combo.hasFocus)
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # Gram -> Mean + covariance (W2)
    assert combo.currentText() == "Mean + covariance (W2)"

    qtbot.waitUntil(lambda: any(r.params.style_loss == "w2" for r in reports), timeout=SLOW)
    engine = window.controller.engine
    assert engine.params.style_loss == "w2" and window.params().style_loss == "w2"
    first = next(i for i, r in enumerate(reports) if r.params.style_loss == "w2")
    assert all(r.params.style_loss == "w2" for r in reports[first:])  # and stays
    # The objective that painted those steps matches the painting's mean and covariance.
    qtbot.waitUntil(lambda: engine._scale is not None and engine._scale.objective._statistic.name == "w2", timeout=SLOW)
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # -> Sliced Wasserstein
    qtbot.waitUntil(lambda: any(r.params.style_loss == "sliced" for r in reports), timeout=SLOW)
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.stop_button)
