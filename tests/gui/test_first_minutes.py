"""An artist's first five minutes, driven as a hand drives them: mouse, wheel, keys, drops."""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from brushwork.engine.files.app_dirs import app_data_dir
from brushwork.engine.objective.loss_terms import LossTerms
from brushwork.engine.run import schedule
from brushwork.engine.run.progress import Progress
from brushwork.engine.settings.style_params import StyleParams
from brushwork.gui import save_and_quit
from brushwork.gui.app import report_slot_errors_to
from brushwork.gui.panels.message_banner import contrast_ratio
from brushwork.gui.platform_check import xcb_problem
from brushwork.gui.studio_window import default_data_dir
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, QRect, QStandardPaths, Qt
from PySide6.QtGui import QAction, QColor, QPalette, QWheelEvent
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox

from tests.conftest import make_painting
from tests.gui.conftest import SLOW, ScriptedDialogs, click, load_both, make_window, type_into


def _run(qtbot, window, image_paths, **params):
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(**{"size": 64, "steps": 100_000, **params}))
    reports = []
    window.controller.progressed.connect(reports.append)
    click(qtbot, window.start_button)
    return reports


def test_clicking_start_starts_a_run(qtbot, window, image_paths):
    # Finding 1: clicked(False) went into start(init_image=False) and every click failed.
    reports = _run(qtbot, window, image_paths)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)
    assert window.controller.running and not window.banner.isVisible()
    click(qtbot, window.stop_button)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=SLOW)


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_reaches_the_artist_and_the_log(qtbot, window, image_paths, monkeypatch, caplog):
    import sys

    load_both(qtbot, window, image_paths)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    report_slot_errors_to(window)

    def broken(*_args):
        raise RuntimeError("a bug behind the button")

    monkeypatch.setattr(window.live_run, "_begin_run", broken)
    with caplog.at_level(logging.ERROR), qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        click(qtbot, window.start_button)
    assert "a bug behind the button" in blocker.args[0] and window.banner.isVisible()
    assert any("a bug behind the button" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


def _wheel(widget, notches: int = -3) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_the_panel_scrolls_it_and_changes_no_setting(qtbot, window):
    # Finding 2: it changed conv3_1 from 0.60 to 0.51 mid-run.
    window.editor.advanced.set_expanded(True)  # a panel taller than its view
    window.resize(900, 500)
    qtbot.waitUntil(lambda: window.controls_scroll.verticalScrollBar().maximum() > 0, timeout=SLOW)
    field = window.editor.layers.fields["conv3_1"]
    bar = window.controls_scroll.verticalScrollBar()
    before, scrolled = window.params(), bar.value()
    for widget in (field.slider, field.spin, window.editor.content_layer, window.editor.advanced.seed):
        _wheel(widget)
    window.editor.flush()
    assert window.params() == before and field.value() == 0.6
    assert bar.value() > scrolled
    # Every choice in the column, the presets and the regions included (the trial found the colours choice taking it).
    window.editor.regions.set_expanded(True)
    qtbot.mouseClick(window.editor.regions.add_button, Qt.MouseButton.LeftButton)
    before, preset = window.params(), window.presets_bar.combo.currentIndex()
    column = window.controls_scroll.widget()
    controls = [w for kind in (QComboBox, QAbstractSpinBox, QAbstractSlider) for w in column.findChildren(kind)]
    assert window.editor.style.colors in controls and window.presets_bar.combo in controls
    for widget in controls:
        if widget.isVisible() and widget.isEnabled():
            _wheel(widget)
            _wheel(widget, notches=3)
    window.editor.flush()
    assert window.params() == before and window.presets_bar.combo.currentIndex() == preset
    # Clicked into, a box takes the wheel: that is a deliberate act.
    qtbot.mouseClick(field.spin.lineEdit(), Qt.MouseButton.LeftButton)
    _wheel(field.spin, notches=1)
    window.editor.flush()
    assert window.params().style_weights["conv3_1"] != 0.6


def test_space_in_a_focused_value_box_pauses_and_leaves_the_value(qtbot, window, image_paths):
    # Finding 3: Space replaced the selected beta, 10000, with a space.
    reports = _run(qtbot, window, image_paths, beta=10000.0)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)
    spin = window.editor.balance.beta.spin
    qtbot.mouseClick(spin.lineEdit(), Qt.MouseButton.LeftButton)
    spin.selectAll()
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Space)
    assert window.controller.paused and window.pause_button.text() == "Resume"
    assert spin.text() == "10000" and window.params().beta == 10000.0
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Space)
    assert not window.controller.paused
    click(qtbot, window.stop_button)


def test_saving_a_picture_from_an_earlier_scale_says_so(qtbot, window, image_paths, tmp_path, monkeypatch):
    # Finding 4: Save wrote whatever scale was current (256x170 for a 512 px run) without a word.
    # Finding 5: saved files were 0600.
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    reports = _run(qtbot, window, image_paths, size=64)
    qtbot.waitUntil(lambda: window.picture is not None and window.picture.shape[1] == 43, timeout=SLOW)
    click(qtbot, window.pause_button)
    qtbot.waitUntil(lambda: window.controller.engine.holding, timeout=SLOW)
    qtbot.waitUntil(lambda: window.picture.shape[1] == reports[-1].width, timeout=SLOW)
    old = os.umask(0o022)
    try:
        for answer, size in (("enlarge", (64, 48)), ("as_is", (43, 32))):
            out = tmp_path / f"{answer}.png"
            window.dialogs.partial_answer, window.dialogs.save_image_path = answer, out
            click(qtbot, window.save_button)
            qtbot.waitUntil(out.exists, timeout=SLOW)
            with Image.open(out) as saved:
                assert saved.size == size
            assert stat.S_IMODE(out.stat().st_mode) == 0o644
    finally:
        os.umask(old)
    assert "partial: (43, 32) -> (64, 48)" in window.dialogs.asked
    qtbot.waitUntil(lambda: "43 x 32" in window.statusBar().currentMessage(), timeout=SLOW)
    window.dialogs.partial_answer = "cancel"
    asked = len(window.dialogs.asked)
    click(qtbot, window.save_button)
    assert window.dialogs.asked[asked:] == ["partial: (43, 32) -> (64, 48)"]  # no file dialog after cancel
    click(qtbot, window.stop_button)


def test_the_saved_message_gets_the_status_bars_room_then_gives_it_back(
    qtbot, window, image_paths, tmp_path, monkeypatch
):
    # A trial found "Saved /tmp/art/coffee_wave.png (512 x 341 px, as painte": cut by the run's fields.
    monkeypatch.setattr(save_and_quit, "SAVED_MESSAGE_MS", 300)
    _run(qtbot, window, image_paths, size=64, steps=3)
    qtbot.waitUntil(lambda: not window.controller.running and window.picture is not None, timeout=SLOW)
    status = window.status
    fields = [status.device, status.step, status.scale, status.losses, status.rate, status.left]
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Finished", timeout=SLOW)
    assert all(field.isVisible() for field in fields)  # a short message leaves the run's fields
    # A folder of an ordinary length, as /tmp/art was in the trial (pytest's own are 70 characters long).
    folder = Path(tempfile.mkdtemp(prefix="art-"))
    out = folder / "coffee_wave.png"
    window.dialogs.save_image_path = out
    click(qtbot, window.save_button)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Saved"), timeout=SLOW)
    message = window.statusBar().currentMessage()
    assert str(out) in message
    assert not any(field.isVisible() for field in fields) and status.progress.isVisible()
    room = window.statusBar().width() - status.progress.width()
    assert window.statusBar().fontMetrics().horizontalAdvance(message) < room, (message, room)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=SLOW)
    assert all(field.isVisible() for field in fields)
    assert status.losses.text().startswith("content") and status.step.text().startswith("step")
    shutil.rmtree(folder)


def test_relaunch_keeps_an_added_style_and_the_last_picture(qtbot, tmp_path, event_loop_qt, image_paths):
    # Finding 6: the second style was lost (its blend weight kept), the picture too.
    second = tmp_path / "second.png"
    make_painting(48, 48, seed=9).save(second)
    dialogs = ScriptedDialogs()
    first = make_window(qtbot, tmp_path, dialogs)
    load_both(qtbot, first, image_paths)
    dialogs.open_image_path = second
    click(qtbot, first.editor.style.add_button)
    qtbot.waitUntil(lambda: len(first.editor.style.blend_fields) == 2, timeout=SLOW)
    first.set_params(first.params().replace(size=48, steps=4))
    with qtbot.waitSignal(first.controller.run_finished, timeout=SLOW):
        click(qtbot, first.start_button)
    picture = first.picture.copy()
    dialogs.unsaved_answer = "save"
    dialogs.save_image_path = tmp_path / "kept.png"
    assert first.close()
    again = make_window(qtbot, tmp_path, ScriptedDialogs())
    qtbot.waitUntil(lambda: len(again.editor.style.blend_fields) == 2 and not again._tasks, timeout=SLOW)
    assert [path for path, _ in again.inputs.extra_styles] == [second]
    assert again.picture is not None and (again.picture == picture).all()
    assert not again.has_unsaved_picture()  # it was saved before closing


def test_the_layer_explorer_fits_its_grid_and_shows_a_colour_scale(qtbot, window, image_paths):
    # Finding 7: a 560 px grid in a 420 px label, and no colour scale.
    load_both(qtbot, window, image_paths)
    explorer = window.open_layer_explorer()
    with qtbot.waitSignal(explorer.shown, timeout=SLOW):
        explorer.layer.setCurrentText("conv1_1")  # 64 maps: the widest grid
    room = explorer.maps.contentsRect()
    assert explorer.maps.pixmap().width() <= room.width() and explorer.maps.pixmap().height() <= room.height()
    assert not explorer.scale_bar.pixmap().isNull() and explorer.scale_bar.pixmap().height() >= 280
    explorer.close()


def _progress(step: int, total: float, elapsed: float) -> Progress:
    losses = LossTerms(content=0.5, style=total / 10, tv=0.0, total=total)
    return Progress(step, 100, 0, 1, 48, 64, losses, elapsed, StyleParams(size=64, steps=100), "cpu")


def test_one_loss_spike_does_not_flatten_the_chart_and_it_follows_the_palette(qtbot, window):
    # Finding 8: 1.57e11 after a big beta change flattened every curve; white in a dark theme.
    chart = window.loss_chart
    window.tabs.setCurrentWidget(chart)
    for step in range(1, 60):
        chart.add(_progress(step, 1.57e11 if step == 30 else 2.0 - step / 100, step * 0.1))
    dark = QPalette(window.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e8eaed"))
    chart.setPalette(dark)
    shot = chart.grab().toImage()
    assert chart.y_range[1] < 1e3  # the spike is clipped, not the scale
    assert shot.pixelColor(chart.width() // 2, 2) == QColor("#202124")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_error_banner_is_readable_in_both_themes(qtbot, window, theme):
    # Finding 9: dark red on dark grey.
    palette = QPalette()
    if theme == "dark":
        for role, colour in ((QPalette.ColorRole.Window, "#353535"), (QPalette.ColorRole.WindowText, "#f0f0f0")):
            palette.setColor(role, QColor(colour))
    window.banner.setPalette(palette)
    window.banner._apply_colours()
    window.show_error("Could not read the painting")
    background, text = window.banner.colours()
    assert contrast_ratio(background, text) >= 4.5
    shot = window.banner.grab().toImage()
    assert shot.pixelColor(2, 2) == background
    assert (background.lightness() < 128) == (theme == "dark")


def test_after_pause_and_stop_the_status_says_so(qtbot, window, image_paths):
    # Finding 10: "3:22 left" stayed after Stop.
    reports = _run(qtbot, window, image_paths)
    qtbot.waitUntil(lambda: len(reports) >= 4, timeout=SLOW)
    assert "left" in window.status.left.text()
    click(qtbot, window.pause_button)
    assert window.status.left.text() == "Paused" and window.status.rate.text() == ""
    click(qtbot, window.pause_button)
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.stop_button)
    assert window.status.left.text() == "Stopped" and window.status.rate.text() == ""


def test_the_window_fits_the_screen_with_size_and_steps_in_view(qtbot, tmp_path, event_loop_qt):
    # Finding 11: 1860x1230 on a 1600x1000 screen, Save off-screen, Size and Steps below the fold.
    win = make_window(qtbot, tmp_path, restore=False)
    free = win.screen().availableGeometry()
    assert free.contains(win.frameGeometry()), (free, win.frameGeometry())
    assert free.contains(QRect(win.save_button.mapToGlobal(QPoint(0, 0)), win.save_button.size()))
    viewport = win.controls_scroll.viewport()
    for widget in (win.editor.size, win.editor.steps):
        top_left = widget.mapTo(viewport, QPoint(0, 0))
        assert viewport.rect().contains(top_left) and viewport.rect().contains(top_left + widget.rect().bottomRight())


def test_the_studio_and_the_command_line_share_the_presets_folder(monkeypatch, tmp_path, qapp):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    names = qapp.applicationName(), qapp.organizationName()
    qapp.setApplicationName("Brushwork")
    qapp.setOrganizationName("Brushwork")
    try:
        QStandardPaths.setTestModeEnabled(False)
        assert default_data_dir() == app_data_dir()
    finally:
        qapp.setApplicationName(names[0])
        qapp.setOrganizationName(names[1])


def test_missing_x11_libraries_are_named_with_their_packages():
    def load(name):
        if name in ("libxcb-icccm.so.4", "libxcb-keysyms.so.1"):
            raise OSError(name)

    message = xcb_problem({"DISPLAY": ":0"}, load)
    assert "libxcb-icccm4" in message and "libxcb-keysyms1" in message and "apt-get install" in message
    assert xcb_problem({"QT_QPA_PLATFORM": "offscreen"}, load) is None
    assert xcb_problem({"DISPLAY": ":0"}, lambda name: None) is None


def test_a_restored_size_larger_than_the_screen_is_fitted(qtbot, tmp_path, event_loop_qt):
    # A layout saved on a bigger monitor must not open off this one.
    first = make_window(qtbot, tmp_path)
    first.resize(3000, 2000)
    first.keeper.keep(first.params(), keep_picture=False)
    second = make_window(qtbot, tmp_path)
    assert second.screen().availableGeometry().contains(second.frameGeometry())


def test_undo_and_redo_settings_with_the_keyboard(qtbot, window, image_paths):
    reports = _run(qtbot, window, image_paths)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)
    start = window.params()
    type_into(qtbot, window.editor.balance.beta.spin, "250")
    window.editor.flush()
    type_into(qtbot, window.editor.layers.fields["conv3_1"].spin, "1.5")
    window.editor.flush()
    edited = window.params()
    qtbot.mouseClick(window.preview.canvas, Qt.MouseButton.LeftButton)  # focus away from the boxes
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.params() == edited.with_style_weight("conv3_1", 0.6)
    assert window.editor.layers.fields["conv3_1"].value() == 0.6
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.params() == start and window.editor.balance.beta.value() == start.beta
    # The run follows the undo, as it follows any change.
    qtbot.waitUntil(lambda: reports[-1].params == start, timeout=SLOW)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.params().beta == 250.0
    click(qtbot, window.stop_button)


def test_a_slider_drag_is_one_undo_step(qtbot, window):
    beta = window.editor.balance.beta
    before = window.params()
    for tick in range(beta.slider.value(), beta.slider.value() + 200, 20):
        beta.slider.setValue(tick)
        window.editor.flush()
    assert window.params().beta != before.beta
    qtbot.mouseClick(window.preview.canvas, Qt.MouseButton.LeftButton)  # focus away from the boxes
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.params() == before


def test_open_recent_reopens_an_image(qtbot, window, image_paths):
    load_both(qtbot, window, image_paths)
    other = image_paths[0].with_name("other.png")
    Image.new("RGB", (40, 30), (10, 200, 30)).save(other)
    window.load_image_into("Content", other)
    qtbot.waitUntil(lambda: window.content_well.path == other, timeout=SLOW)
    window.recent_menu.aboutToShow.emit()
    actions = {a.text(): a for a in window.recent_menu.actions()}
    titles = list(actions)
    assert titles[:1] == ["Content: other.png"]  # newest first
    assert set(titles[1:3]) == {"Style: painting.png", "Content: photo.png"}
    actions["Content: photo.png"].trigger()
    qtbot.waitUntil(lambda: window.content_well.path == image_paths[0], timeout=SLOW)


def test_help_about_credits_the_paper_and_vgg(window):
    window.about_action.trigger()
    text = window.dialogs.asked[-1]
    assert "Gatys" in text and "Simonyan" in text and "Zisserman" in text and "Brushwork 0." in text


def test_redo_keys_are_never_bound_twice(window):
    # A key bound twice is "ambiguous" to Qt and does nothing (Ctrl+Shift+Z on Linux desktops).
    keys = [key.toString() for key in window.redo_action.shortcuts()]
    assert "Ctrl+Shift+Z" in keys and len(keys) == len(set(keys))
    every = [key.toString() for action in window.findChildren(QAction) for key in action.shortcuts()]
    assert len(every) == len(set(every)), sorted(k for k in every if every.count(k) > 1)


def test_a_relaunch_or_the_demo_names_a_preset_only_if_its_settings_are_in_force(qtbot, tmp_path, event_loop_qt):
    first = make_window(qtbot, tmp_path)
    assert first.presets_bar.selected().name == "School of AI talk"  # the defaults are that preset's settings
    first.dialogs.text = "Warm glass"
    first.set_params(first.params().replace(size=256, steps=100))
    click(qtbot, first.presets_bar.save_as_button)
    assert first.close()
    demo = make_window(qtbot, tmp_path, restore=False)  # what --demo opens: default settings
    assert demo.presets_bar.selected() is None or demo.presets_bar.selected().params == demo.params()
    again = make_window(qtbot, tmp_path)
    assert again.presets_bar.selected().name == "Warm glass" and again.params().size == 256


def test_the_colour_choice_is_picked_by_keys_and_says_which_way_it_recolours(qtbot, window):
    # A trial read "match the painting's colours" the wrong way round.
    combo = window.editor.style.colors
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)  # the hand clicks into it (the list opens)...
    qtbot.keyClick(combo.view(), Qt.Key.Key_Escape)  # ...and closes it again, leaving the focus there
    qtbot.waitUntil(combo.hasFocus)
    for _ in range(2):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    window.editor.flush()
    assert window.editor.current.keep_colors == "match"
    assert combo.currentText() == "yes, recolour the painting to the photo's"


def test_the_content_layer_offers_conv3_2_for_more_photo_detail(qtbot, window):
    combo = window.editor.content_layer
    assert combo.findData("conv3_2") == 0 and combo.currentData() == "conv4_2"
    qtbot.mouseClick(window.preview.canvas, Qt.MouseButton.LeftButton)
    combo.setFocus()  # as a Tab into it would; then the arrow key picks the shallower layer
    qtbot.keyClick(combo, Qt.Key.Key_Up)
    window.editor.flush()
    assert window.params().content_layer == "conv3_2"


def test_export_at_a_size_and_16_bits(qtbot, window, image_paths, tmp_path):
    from brushwork.engine.pictures.picture_export import ExportOptions

    from tests.test_first_minutes import read_png16

    _run(qtbot, window, image_paths, size=48, steps=4)
    qtbot.waitUntil(lambda: not window.controller.running and window.picture is not None, timeout=SLOW)
    assert not window.picture_saved
    window.dialogs.export_answer = (ExportOptions(48, bits=16), ".png")
    window.dialogs.save_image_path = tmp_path / "print.png"
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil((tmp_path / "print.png").exists, timeout=SLOW)
    qtbot.waitUntil(lambda: window.picture_saved)  # exported is saved: closing will not ask about it
    assert "16-bit True" in window.dialogs.asked[-2]  # the finished run's own picture was there
    pixels = read_png16(tmp_path / "print.png")
    assert pixels.shape == (36, 48, 3) and pixels.dtype.name == "uint16"
    # Real 16-bit data: not an 8-bit picture stretched (that would be multiples of 257 only).
    assert (pixels % 257 != 0).mean() > 0.5
    assert abs(pixels.astype(float) / 257 - window.picture).max() <= 1.0
    # The file carries the settings that made it: --preset print.png remakes the picture.
    from brushwork.engine.settings.presets import find_preset

    assert find_preset(str(tmp_path / "print.png")).params == window.last_progress.params
    window.dialogs.export_answer = (ExportOptions(48), ".tif")
    window.dialogs.save_image_path = tmp_path / "print.tif"
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil((tmp_path / "print.tif").exists, timeout=SLOW)
    assert find_preset(str(tmp_path / "print.tif")).params == window.last_progress.params
    window.dialogs.export_answer = (ExportOptions(96, quality=80), ".jpg")
    window.dialogs.save_image_path = tmp_path / "big.jpg"
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil((tmp_path / "big.jpg").exists, timeout=SLOW)
    with Image.open(tmp_path / "big.jpg") as big:
        assert big.format == "JPEG" and big.size == (96, 72)


def test_the_cost_of_a_run_is_said_before_it_starts_and_learnt_from_the_runs_here(qtbot, window, image_paths):
    # "Say what a CPU run costs before it starts": from this machine's past runs (engine.run.time_model).
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=48, steps=12))
    before = window.status.left.text()
    assert before.startswith("a run: ") and "a first guess" in before  # nothing timed here yet
    said = []
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.start_button)
        said.append(window.status.left.text())  # before the first report can arrive
    assert said[0].endswith(" in all")
    kept = window.session.data_dir / "run_times.json"
    qtbot.waitUntil(kept.exists, timeout=SLOW)  # what the run took is kept beside the settings
    # The next estimate rests on it.
    window.set_params(window.params().replace(size=64))
    assert window.status.left.text().startswith("a run: ") and "first guess" not in window.status.left.text()
    # Gram's runs say nothing of W2's steps: its estimate is a first guess, and says for which statistic.
    window.set_params(window.params().replace(style_loss="w2"))
    assert window.status.left.text().endswith("(a first guess: no W2 run timed here yet)")


def test_the_progress_bar_follows_the_runs_time_and_never_moves_back_when_scales_end_early(qtbot, window, image_paths):
    # 128 then 192 px; each scale settles long before its 180 and 120 steps: the step counter jumps.
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=192, steps=300, stop_early=True))
    shown = []  # (step, the bar's value) at each report, after the window has shown it
    window.controller.progressed.connect(lambda p: shown.append((p.step, window.status.progress.value())))
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.start_button)
    steps = [step for step, _ in shown]
    values = [value for _, value in shown]
    assert any(b - a > 10 for a, b in itertools.pairwise(steps)), "no scale ended early"
    assert all(b >= a for a, b in itertools.pairwise(values))  # never backwards
    # By time, not by step: no leap when a scale ends early (the counter leapt by 40-55 % of the run).
    assert max(b - a for a, b in itertools.pairwise(values[1:])) < 0.25 * window.status.progress.maximum()
    assert values[-1] == window.status.progress.maximum() and window.status.progress.text() == "100%"


def test_the_export_dialog_by_hand(qtbot):
    from brushwork.gui.panels.export_dialog import ExportDialog

    dialog = ExportDialog(painted_side=384, target_side=512, has_16_bits=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.size.value() == 512 and not dialog.quality.isEnabled() and dialog.sixteen.isEnabled()
    qtbot.mouseClick(dialog.sixteen, Qt.MouseButton.LeftButton)
    type_into(qtbot, dialog.size, "2048")
    assert dialog.chosen()[0].bits == 16 and dialog.chosen()[0].long_side == 2048
    dialog.format.setFocus()
    qtbot.keyClick(dialog.format, Qt.Key.Key_Down)  # PNG -> JPEG
    assert dialog.quality.isEnabled() and not dialog.sixteen.isEnabled()
    dialog.quality.setFocus()
    qtbot.keyClick(dialog.quality, Qt.Key.Key_End)  # the slider to 100
    options, suffix = dialog.chosen()
    assert (suffix, options.quality, options.bits, options.long_side) == (".jpg", 100, 8, 2048)
    dialog.format.setFocus()
    qtbot.keyClick(dialog.format, Qt.Key.Key_Down)  # JPEG -> TIFF, which has 16 bits too
    assert dialog.sixteen.isEnabled() and dialog.chosen()[0].bits == 16 and dialog.chosen()[1] == ".tif"
