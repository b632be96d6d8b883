"""Stale marking: a picture that does not match the settings or the photo says so on the canvas, and is never
saved unasked; a new photo after a run; snapshots chosen mid-run; what a quit keeps (issue 29, issue 27)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from brushwork.engine.pictures.picture_export import ExportOptions
from brushwork.engine.run import loupe as loupes
from brushwork.engine.run import schedule
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage, QRegion
from PySide6.QtWidgets import QWidget

from tests.conftest import make_photo
from tests.gui.conftest import (
    SLOW,
    ScriptedDialogs,
    click,
    drag_slider,
    drop,
    file_mime,
    load_both,
    make_window,
    type_into,
)
from tests.gui.test_loupe import loupe_fits  # noqa: F401 (a fixture)


def _run(qtbot, window, image_paths, **params):
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(**{"size": 64, "steps": 100_000, "precision": "float32", **params}))
    reports = []
    window.controller.progressed.connect(reports.append)
    click(qtbot, window.start_button)
    return reports


def _finished_run(qtbot, window, image_paths, **params):
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        reports = _run(qtbot, window, image_paths, steps=4, **params)
    qtbot.waitUntil(lambda: window.picture is not None, timeout=SLOW)
    return reports


def _note(window) -> str:
    note = window.preview.note
    return window.preview.note_label.text() if note.isVisible() else ""


def _drop_photo(qtbot, window, path):
    drop(window.content_well, file_mime(path))
    qtbot.waitUntil(lambda: window.content_well.path == path and not window._tasks, timeout=SLOW)


def _drawn_box(canvas) -> tuple[int, int]:
    """(width, height) of what the canvas draws over its background (the note over it left out)."""
    shot = QImage(canvas.size(), QImage.Format.Format_RGB32)
    canvas.render(shot, QPoint(), QRegion(), QWidget.RenderFlag.DrawWindowBackground)
    pixels = np.array(Image.fromqimage(shot).convert("RGB")).astype(int)
    background = np.array(canvas.palette().dark().color().getRgb()[:3])
    ys, xs = np.nonzero(np.abs(pixels - background).sum(axis=2) > 12)
    return xs.max() - xs.min() + 1, ys.max() - ys.min() + 1


def test_a_new_photo_after_a_run_shows_that_photo_and_keeps_the_old_picture_in_the_history(
    qtbot, window, image_paths, tmp_path
):
    # Issue 29, finding 2: the old photo's painting stayed, and Save wrote it with no warning.
    _finished_run(qtbot, window, image_paths)
    old = window.picture
    status = window.status
    assert status.progress.value() == status.progress.maximum() and status.left.text() == "Finished"
    portrait = tmp_path / "portrait.png"
    make_photo(36, 48).save(portrait)
    _drop_photo(qtbot, window, portrait)
    # The status bar no longer shows the last run's step, losses and full bar as if they were this photo's.
    assert status.progress.value() == 0 and status.step.text() == "step -"
    assert status.left.text().startswith("a run: ")  # what the next run will take, not "Finished"
    canvas = window.preview.canvas
    assert window.picture is None and canvas.picture is None  # the canvas shows the new photo, as at launch
    assert canvas.base_image().size().toTuple() == (36, 48)
    assert not window.save_button.isEnabled()
    kept = window.history.snapshots[-1]
    assert kept.picture is old and kept.label.startswith("photo.png")
    assert "kept in the history" in window.statusBar().currentMessage()
    width, height = _drawn_box(canvas)
    assert abs(width / height - 36 / 48) < 0.05


def test_a_new_photo_mid_run_is_marked_until_painted_and_hold_to_compare_keeps_its_shape(
    qtbot, window, image_paths, tmp_path
):
    reports = _run(qtbot, window, image_paths)
    qtbot.waitUntil(lambda: window.picture is not None and len(reports) >= 3, timeout=SLOW)
    click(qtbot, window.pause_button)
    qtbot.waitUntil(lambda: window.controller.engine.holding, timeout=SLOW)
    portrait = tmp_path / "portrait.png"
    make_photo(36, 48).save(portrait)
    _drop_photo(qtbot, window, portrait)
    canvas = window.preview.canvas
    assert window.picture.shape[:2] == (48, 64)  # paused: the run goes on from this picture
    assert "New photo (portrait.png)" in _note(window) and "Resume" in _note(window)
    # Hold to compare shows the new photo in its own shape, not stretched into the picture's.
    qtbot.mousePress(window.preview.compare_button, Qt.MouseButton.LeftButton)
    width, height = _drawn_box(canvas)
    qtbot.mouseRelease(window.preview.compare_button, Qt.MouseButton.LeftButton)
    assert abs(width / height - 36 / 48) < 0.05, (width, height)
    # Save asks, naming why; cancelled, no file is asked for.
    window.dialogs.partial_answer = "cancel"
    click(qtbot, window.save_button)
    assert window.dialogs.asked[-1].startswith("partial: (64, 48) -> (64, 48); New photo (portrait.png)")
    click(qtbot, window.pause_button)  # resumed: the run paints from the new photo, and the note goes
    qtbot.waitUntil(lambda: _note(window) == "", timeout=SLOW)
    assert window.picture.shape[:2] == (64, 48)  # the new photo's shape: painted from it
    click(qtbot, window.stop_button)


def test_a_change_not_yet_painted_is_marked_and_save_and_export_ask(qtbot, window, image_paths, tmp_path):
    _finished_run(qtbot, window, image_paths)
    assert _note(window) == ""
    type_into(qtbot, window.editor.balance.beta.spin, "5000")
    qtbot.waitUntil(lambda: "Beta changed since this picture was painted" in _note(window), timeout=SLOW)
    assert "Press Start" in _note(window)
    out = tmp_path / "stale.png"
    window.dialogs.partial_answer, window.dialogs.save_image_path = "as_is", out
    click(qtbot, window.save_button)
    qtbot.waitUntil(out.exists, timeout=SLOW)
    assert window.dialogs.asked[-2:] == ["partial: (64, 48) -> (64, 48); Beta changed since this picture was painted",
                                         "save_image"]  # fmt: skip
    window.dialogs.partial_answer = "cancel"
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.dialogs.asked[-1].endswith("Beta changed since this picture was painted [Export]")
    # Set back, the picture is up to date again: no note, no question.
    type_into(qtbot, window.editor.balance.beta.spin, "10")
    qtbot.waitUntil(lambda: _note(window) == "", timeout=SLOW)
    window.dialogs.export_answer = (ExportOptions(64), ".png")
    window.dialogs.save_image_path = tmp_path / "fresh.png"
    asked = len(window.dialogs.asked)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil((tmp_path / "fresh.png").exists, timeout=SLOW)
    assert not any(question.startswith("partial") for question in window.dialogs.asked[asked:])


def test_a_stopped_picture_from_an_earlier_scale_says_so(qtbot, window, image_paths, monkeypatch):
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    _run(qtbot, window, image_paths, stop_early=False)  # 100 000 steps: the first scale is all this test sees
    qtbot.waitUntil(lambda: window.picture is not None, timeout=SLOW)
    assert window.picture.shape[1] == 43 and _note(window) == ""  # a run going says its scale in the status bar
    click(qtbot, window.stop_button)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=SLOW)
    assert window.picture.shape[1] == 43
    assert _note(window) == "From an earlier scale: 43 x 32 of 64 x 48 px"


@pytest.mark.usefixtures("loupe_fits")
def test_the_loupe_is_marked_and_never_saved(qtbot, window, image_paths, tmp_path, monkeypatch):
    monkeypatch.setattr(loupes, "SETTLE_SECONDS", 60.0)  # the square stays live until the test has paused
    reports = _run(qtbot, window, image_paths, size=96)
    qtbot.waitUntil(lambda: len(reports) >= 4 and window.picture is not None, timeout=SLOW)
    count = len(reports)
    drag_slider(qtbot, window.editor.balance.beta.slider, 30)
    qtbot.waitUntil(lambda: window.live_run.canvas.shown.loupe is not None, timeout=SLOW)
    click(qtbot, window.pause_button)
    qtbot.waitUntil(lambda: window.controller.engine.holding, timeout=SLOW)
    newest = lambda: next(r.preview for r in reversed(reports) if r.preview is not None)  # noqa: E731
    qtbot.waitUntil(lambda: window.picture is newest(), timeout=SLOW)
    assert window.live_run.canvas.shown.loupe is not None
    assert "Beta changed: shown in the square, the whole picture follows" in _note(window)
    before = next(r.preview for r in reversed(reports[:count]) if r.preview is not None and r.loupe is None)
    last_plain = next(r.preview for r in reversed(reports) if r.preview is not None and r.loupe is None)
    out = tmp_path / "no_square.png"
    window.dialogs.partial_answer, window.dialogs.save_image_path = "as_is", out
    click(qtbot, window.save_button)
    qtbot.waitUntil(out.exists, timeout=SLOW)
    assert "The loupe's square is never saved" in window.dialogs.asked[-2]
    saved = np.array(Image.open(out).convert("RGB"))
    assert np.array_equal(saved, last_plain) and last_plain.shape == before.shape
    assert not np.array_equal(saved, window.picture)  # the frame on screen carries the square
    click(qtbot, window.stop_button)


def test_a_snapshot_chosen_mid_run_stays_on_the_canvas_until_the_artist_goes_back(qtbot, window, image_paths):
    # Issue 29, finding 4: the live preview painted over the snapshot at its next frame.
    reports = _run(qtbot, window, image_paths)
    qtbot.waitUntil(lambda: window.picture is not None and len(reports) >= 3, timeout=SLOW)
    click(qtbot, window.history.snapshot_button)
    snapshot = window.history.snapshots[-1]
    strip = window.history.list
    rect = strip.visualItemRect(strip.item(len(window.history.snapshots) - 1))
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    shown_at = len(reports)
    qtbot.waitUntil(lambda: len(reports) >= shown_at + 5 and window.picture is not snapshot.picture, timeout=SLOW)
    canvas = window.preview.canvas
    assert _pixels(canvas.picture) == snapshot.picture.tobytes()  # still the snapshot, the run behind it
    assert f"Snapshot: {snapshot.label}" in _note(window)
    click(qtbot, window.preview.note_button)  # "Back to the run"
    qtbot.waitUntil(lambda: _pixels(canvas.picture) == window.picture.tobytes(), timeout=SLOW)
    assert _note(window) == "" and window.history.selected() is None
    click(qtbot, window.stop_button)


def _pixels(image) -> bytes:
    return np.array(Image.fromqimage(image).convert("RGB")).tobytes()


def test_a_relaunch_while_the_last_window_still_ends_its_step_finds_the_picture_and_the_history(
    qtbot, tmp_path, event_loop_qt, image_paths, monkeypatch
):
    # Issue 29, finding 3: a relaunch restored the autosave of a scale before, offered as after a crash,
    # and an empty history.
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    dialogs = ScriptedDialogs()
    first = make_window(qtbot, tmp_path, dialogs)
    reports = _run(qtbot, first, image_paths)
    qtbot.waitUntil(lambda: first.picture is not None and first.picture.shape[1] == 64, timeout=SLOW)
    qtbot.waitUntil(lambda: reports[-1].step >= reports[0].step + 3, timeout=SLOW)
    labels = [snapshot.label for snapshot in first.history.snapshots]
    shutdown = first.controller.shutdown
    copy = tmp_path / "relaunched"

    def long_last_step(*args, **kwargs):
        # The engine ends its step while the artist relaunches: what the new window finds is on disk now.
        shutil.copytree(tmp_path / "data", copy / "data")
        shutil.copy(tmp_path / "settings.ini", copy / "settings.ini")
        return shutdown(*args, **kwargs)

    monkeypatch.setattr(first.controller, "shutdown", long_last_step)
    dialogs.unsaved_answer, dialogs.save_image_path = "save", tmp_path / "kept.png"
    on_screen = first.picture
    assert first.close()
    again = make_window(qtbot, copy, ScriptedDialogs())
    qtbot.waitUntil(lambda: not again._tasks, timeout=SLOW)
    assert not any(question.startswith("confirm") for question in again.dialogs.asked)  # no crash to recover
    assert again.picture is not None and np.array_equal(again.picture, on_screen)
    assert [snapshot.label for snapshot in again.history.snapshots] == labels and len(labels) >= 1
    assert _note(again) == ""  # the photo and settings restored are the picture's own


def test_an_earlier_scale_is_measured_against_the_photos_own_shape():
    """A 451 x 300 photo is painted at 512 x 341; its 256 x 170 scale, scaled up, would say 512 x 340 (user trial)."""
    import numpy as np
    from brushwork.engine.settings.style_params import StyleParams
    from brushwork.gui.run.shown_picture import IDLE, Inputs, PaintedFrom, ShownPicture, stale_notes

    params = StyleParams(size=512)
    inputs = Inputs("photo", "painting", "chelsea.png", (451, 300))
    shown = ShownPicture(np.zeros((170, 256, 3), np.uint8), PaintedFrom(params, inputs), step=60, total_steps=300)
    notes = stale_notes(shown, PaintedFrom(params, inputs), IDLE)
    assert [note.text for note in notes] == ["From an earlier scale: 256 x 170 of 512 x 341 px"]
