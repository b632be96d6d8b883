"""File > Export time-lapse...: the live run recorded as it paints, exported by keys and clicks."""

from __future__ import annotations

import av
from PIL import Image
from PySide6.QtCore import Qt

from tests.gui.conftest import SLOW, click, load_both, type_into
from tests.gui.painting import choose

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def open_dialog(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_T, CTRL_SHIFT)
    dialog = window.timelapse.dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=SLOW)
    return dialog


def export(qtbot, window, dialog, path) -> str:
    """Click Export..., answer the file question with ``path``, and wait for the dialog's word."""
    window.dialogs.timelapse_file = path
    click(qtbot, dialog.export_button)
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled() and not dialog.result.text().startswith("Writing"))
    return dialog.result.text()


def test_a_run_exports_as_a_gif_and_an_mp4_of_the_chosen_length_and_size(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=64, steps=8))
    dialog = open_dialog(qtbot, window)
    assert "Nothing recorded yet" in dialog.recorded.text() and not dialog.export_button.isEnabled()
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.start_button)
    qtbot.waitUntil(dialog.export_button.isEnabled, timeout=SLOW)
    assert "of painting" in dialog.recorded.text() and "64 px" in dialog.recorded.text()

    choose(qtbot, dialog.format, 1)  # GIF
    assert dialog.size.value() == 64  # the picture's own size: smaller than a GIF's default
    type_into(qtbot, dialog.seconds, "2")
    type_into(qtbot, dialog.fps, "10")
    assert not any(q.startswith("timelapse_path") for q in window.dialogs.asked)  # Enter set a number, no more
    text = export(qtbot, window, dialog, tmp_path / "run.gif")
    assert text.startswith("Wrote") and "timelapse_path .gif" in window.dialogs.asked
    with Image.open(tmp_path / "run.gif") as gif:
        assert gif.size == (64, 48) and gif.n_frames >= 2

    choose(qtbot, dialog.format, -1)  # MP4, twice the picture's size
    type_into(qtbot, dialog.size, "128")
    text = export(qtbot, window, dialog, tmp_path / "run")  # no suffix typed: the format's is added
    with av.open(str(tmp_path / "run.mp4")) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 2 * 10 + 15 and frames[0].shape == (96, 128, 3)  # 2 s, then the end held 1.5 s
    assert "35 frames" in text and "35 frames" in window.statusBar().currentMessage()


def test_a_cancelled_or_failed_export_leaves_the_dialog_ready_and_the_picture_alone(
    qtbot, window, image_paths, tmp_path
):
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=48, steps=4))
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.start_button)
    picture = window.picture
    dialog = open_dialog(qtbot, window)
    assert export(qtbot, window, dialog, None) == ""  # the file question cancelled: nothing written, ready again
    text = export(qtbot, window, dialog, tmp_path / "no such folder" / "run.mp4")
    assert text.startswith("Not written") and "Could not write" in text
    assert window.picture is picture and window.isVisible()
    click(qtbot, dialog.close_button)
    assert not dialog.isVisible() and window.isVisible()


def test_the_dialog_follows_a_run_as_it_records_and_keeps_the_size_the_artist_set(qtbot, window, image_paths):
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=64, steps=400, stop_early=False))
    dialog = open_dialog(qtbot, window)
    click(qtbot, window.start_button)
    # While the run goes, long before its first (and only) scale ends: what is recorded so far, ready to export.
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=SLOW)
    assert window.controller.running and window.last_progress.step < 400
    assert "Nothing recorded" not in dialog.recorded.text() and "64 px" in dialog.recorded.text()
    assert dialog.size.value() == 64  # it follows the picture...
    type_into(qtbot, dialog.size, "101")
    choose(qtbot, dialog.format, 1)  # GIF
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.stop_button)
    # ... until the artist sets it: a new run of another size leaves it alone.
    window.set_params(window.params().replace(size=48, steps=4))
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: "48 px" in dialog.recorded.text(), timeout=SLOW)
    assert dialog.size.value() == 101 and dialog.format.currentData() == ".gif"
