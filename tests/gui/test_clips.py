"""A clip on the Content well: scrub to a frame, tune on it live, render the clip with progress, cancel, resume."""

from __future__ import annotations

import numpy as np
from brushwork.engine.video.clip_files import probe
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.clips import STEP, make_clip
from tests.gui.conftest import SLOW, click, drop, file_mime, type_into

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def square_left(window) -> int:
    """Where the content frame's yellow square starts (the synthetic clip moves it STEP px a frame)."""
    row = np.asarray(window.content_well.image)[24].astype(int)
    yellow = np.flatnonzero((row[:, 0] > 200) & (row[:, 1] > 200) & (row[:, 2] < 100))
    return int(yellow[0])


def load_clip(qtbot, window, clip, painting_path):
    drop(window.content_well, file_mime(clip))
    drop(window.style_well, file_mime(painting_path))
    qtbot.waitUntil(
        lambda: window.inputs.clip is not None and window.style_well.path == painting_path and not window._tasks,
        timeout=SLOW,
    )


def test_a_dropped_clip_shows_its_frames_and_the_scrubber_paints_the_chosen_one_live(
    qtbot, window, image_paths, tmp_path
):
    clip = make_clip(tmp_path / "walk.mp4", frames=6)
    load_clip(qtbot, window, clip, image_paths[1])
    bar = window.clip_bar
    assert bar.isVisible() and bar.slider.maximum() == 5
    assert "frame 1 of 6" in window.content_well._size.text()
    assert square_left(window) == 8
    window.set_params(window.params().replace(size=64, steps=400, stop_early=False))
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: window.last_progress is not None, timeout=SLOW)

    # Keys in the focused scrubber, as a hand does: End, then one frame back.
    bar.slider.setFocus()
    qtbot.keyClick(bar.slider, Qt.Key.Key_End)
    qtbot.keyClick(bar.slider, Qt.Key.Key_Left)
    assert bar.label.text() == "5 / 6" and "Frame 5 of 6" in bar.label.toolTip()
    with qtbot.waitSignal(window.inputs.content_changed, timeout=SLOW):
        pass
    assert window.inputs.clip_frame == 4 and square_left(window) == 8 + 4 * STEP
    assert "frame 5 of 6" in window.content_well._size.text()
    # The live run paints the new frame: its engine got the frame as its photo.
    engine = window.controller.engine
    assert engine is not None and np.array_equal(
        np.asarray(engine._inputs.content), np.asarray(window.content_well.image)
    )
    # The wheel over the scrubber moves it too.
    centre = QPointF(bar.slider.rect().center())
    wheel = QWheelEvent(
        centre,
        QPointF(bar.slider.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    before = bar.slider.value()
    QApplication.sendEvent(bar.slider, wheel)
    assert bar.slider.value() != before
    qtbot.waitUntil(lambda: window.inputs.clip_frame == bar.slider.value(), timeout=SLOW)
    click(qtbot, window.stop_button)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=SLOW)
    # Scrubbed with no run going, the picture on screen is another frame's: the status bar says so.
    with qtbot.waitSignal(window.inputs.content_changed, timeout=SLOW):
        qtbot.keyClick(bar.slider, Qt.Key.Key_Home)
    assert "Frame 1 is the photo now" in window.statusBar().currentMessage()

    # A still photo in its place: the clip and its bar go.
    drop(window.content_well, file_mime(image_paths[0]))
    qtbot.waitUntil(lambda: window.content_well.path == image_paths[0], timeout=SLOW)
    assert window.inputs.clip is None and not bar.isVisible()


def test_a_clip_is_refused_as_a_style_and_a_broken_clip_changes_nothing(qtbot, window, image_paths, tmp_path):
    clip = make_clip(tmp_path / "walk.mp4", frames=3)
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        drop(window.style_well, file_mime(clip))
    assert "style is a still image" in blocker.args[0] and window.style_well.is_empty
    drop(window.content_well, file_mime(image_paths[0]))
    qtbot.waitUntil(lambda: window.content_well.path == image_paths[0], timeout=SLOW)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(clip.read_bytes()[:200])
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        drop(window.content_well, file_mime(broken))
    assert "broken.mp4" in blocker.args[0]
    qtbot.waitUntil(lambda: not window._tasks, timeout=SLOW)
    assert window.content_well.path == image_paths[0] and window.inputs.clip is None


def open_render_dialog(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_R, CTRL_SHIFT)
    dialog = window.clips.dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=SLOW)
    return dialog


def test_render_clip_paints_every_frame_pausing_the_live_run_and_a_cancelled_render_goes_on(
    qtbot, window, image_paths, tmp_path
):
    clip = make_clip(tmp_path / "walk.mp4", frames=5)
    load_clip(qtbot, window, clip, image_paths[1])
    window.set_params(window.params().replace(size=48, steps=16))
    dialog = open_render_dialog(qtbot, window)
    assert "5 frames" in dialog.about.text() and "48 x 36 px" in dialog.about.text()
    assert not dialog.cancel_button.isEnabled()
    type_into(qtbot, dialog.steps, "4")
    assert dialog.settings().frame_steps == 4 and not window.clips.rendering  # Enter set a number, no more
    window.set_params(window.params().replace(steps=400, stop_early=False))
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: window.last_progress is not None, timeout=SLOW)
    window.set_params(window.params().replace(steps=16))

    out = tmp_path / "walk_painted.mp4"
    window.dialogs.clip_file = out
    reports, shown = [], []
    window.clips.job.reported.connect(reports.append)
    window.clips.job.reported.connect(lambda _r: shown.append(dialog.status.text()))  # after the dialog's slot
    click(qtbot, dialog.render_button)
    assert "clip_output_path walk_painted.mp4" in window.dialogs.asked
    assert window.clips.rendering and window.controller.paused  # the live run waits for the render
    qtbot.waitUntil(lambda: any(r.frame_finished and r.frame == 1 for r in reports), timeout=SLOW)
    with qtbot.waitSignal(window.clips.job.ended, timeout=SLOW) as ended:
        click(qtbot, dialog.cancel_button)
    outcome = ended.args[0]
    assert outcome.kind == "cancelled" and outcome.kept >= 2 and not out.exists()
    # Once two frames have ended, the dialog says the clip's time left ("about 0:03" or a range "0:02-0:04").
    assert any(text.startswith("Frame 2 of 5, ") and text.endswith(" left") for text in shown), shown[-3:]
    assert f"Stopped after {outcome.kept} of 5 frames" in dialog.status.text()
    assert not window.controller.paused  # the live run goes on
    assert dialog.render_button.isEnabled() and not dialog.cancel_button.isEnabled()

    # The same file and settings again: it goes on from the frames kept.
    reports.clear()
    with qtbot.waitSignal(window.clips.job.ended, timeout=SLOW) as ended:
        click(qtbot, dialog.render_button)
        assert f"going on from frame {outcome.kept + 1}" in dialog.status.text()
    assert ended.args[0].kind == "finished"
    painted = {r.frame for r in reports if r.step is not None and not r.frame_finished}
    assert min(painted) == outcome.kept
    info = probe(out)
    assert (info.frames, info.width, info.height, info.audio) == (5, 48, 36, "aac")
    assert dialog.progress.value() == 1000 and "Wrote" in dialog.status.text()
    assert str(out) in window.statusBar().currentMessage()
    click(qtbot, window.stop_button)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=SLOW)
    click(qtbot, dialog.close_button)
    assert not dialog.isVisible()


def test_quitting_during_a_clip_render_asks_and_keeps_the_finished_frames(qtbot, window, image_paths, tmp_path):
    clip = make_clip(tmp_path / "walk.mp4", frames=8)
    load_clip(qtbot, window, clip, image_paths[1])
    window.set_params(window.params().replace(size=48, steps=16))
    click(qtbot, window.clip_bar.render_button)  # the button beside the scrubber opens the dialog too
    dialog = window.clips.dialog
    assert dialog is not None and dialog.isVisible()
    out = tmp_path / "walk_painted.mp4"
    window.dialogs.clip_file = out
    finished = []
    window.clips.job.reported.connect(lambda r: finished.append(r.frame) if r.frame_finished else None)
    click(qtbot, dialog.render_button)
    qtbot.waitUntil(lambda: len(finished) >= 1, timeout=SLOW)
    window.dialogs.confirm_answer = False
    window.close()  # the artist says no: nothing stops
    assert window.isVisible() and window.clips.rendering
    assert any("Quit during the clip render?" in q or "clip render stops here" in q for q in window.dialogs.asked)
    window.dialogs.confirm_answer = True
    window.close()
    assert not window.isVisible() and not window.clips.job.controller.running
    kept = sorted((tmp_path / "walk_painted.mp4.frames").glob("frame_*.png"))
    assert len(kept) >= 1 and not out.exists()
