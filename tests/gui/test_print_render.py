"""Render at print size, as the artist does it: the dialog, the render, cancel, crash and resume, the crop.

Real renders use tiny targets (96-200 px) with forced small tiles, so that
the tiled path runs and each finishes in seconds.
"""

from __future__ import annotations

import numpy as np
import pytest
from brushwork.engine.pictures.picture_metadata import read_preset_json
from brushwork.engine.run.memory_plan import TILE_SIDES
from brushwork.engine.settings.presets import parse_preset
from brushwork.gui.run.print_job import CANCELLED, FINISHED
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import SLOW, ScriptedDialogs, click, load_both, make_window, type_into
from tests.gui.painting import choose
from tests.test_first_minutes import read_png16


def open_dialog(qtbot, window):
    """Click the window's *Print size...* button and wait for the dialog."""
    click(qtbot, window.print_button)
    dialog = window.print_render.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=SLOW)
    return dialog


def type_path(qtbot, edit, path) -> None:
    """Click into the file field, select what it holds, type ``path``."""
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, str(path))


def setup_render(qtbot, dialog, *, side: int, steps: int, output) -> None:
    type_into(qtbot, dialog.size.pixels, str(side))
    type_into(qtbot, dialog.steps, str(steps))
    type_path(qtbot, dialog.output, output)


def saved_step(job) -> int | None:
    """The step of the picture the kept render holds, if one is kept."""
    kept = job.autosave.peek()
    return kept.step if kept is not None else None


def params_in(path):
    return parse_preset(read_preset_json(path)).params


def test_pixels_and_print_sizes_agree_both_ways(qtbot, window, image_paths):
    load_both(qtbot, window, image_paths)  # a 64 x 48 photo: 4:3
    dialog = open_dialog(qtbot, window)
    size = dialog.size
    choose(qtbot, size.unit, -1)  # cm, from the keyboard
    type_into(qtbot, size.dpi, "300")
    type_into(qtbot, size.length, "30")
    assert size.pixels.value() == 3543  # 30 cm at 300 DPI
    assert "3543 x 2657 px" in size.result.text() and "30.0 x 22.5 cm at 300 DPI" in size.result.text()
    choose(qtbot, size.unit, 1)  # inches: the same paper
    assert size.length.value() == pytest.approx(11.81, abs=0.01) and size.pixels.value() == 3543
    type_into(qtbot, size.pixels, "3000")
    assert size.length.value() == pytest.approx(10.0)  # 3000 px at 300 DPI
    type_into(qtbot, size.dpi, "150")
    assert size.pixels.value() == 1500 and size.length.value() == pytest.approx(10.0)  # the paper size stays
    assert "1500 x 1125 px" in size.result.text() and "10.0 x 7.5 in at 150 DPI" in size.result.text()
    assert dialog.render_button.isEnabled()


def test_the_cost_is_shown_before_it_starts(qtbot, window, image_paths):
    load_both(qtbot, window, image_paths)
    dialog = open_dialog(qtbot, window)
    type_into(qtbot, dialog.size.pixels, "4096")
    memory, time_text = dialog.memory_label.text(), dialog.time_label.text()
    assert "GiB" in memory and "4096 px scale" in memory and "free now" in memory
    # Nothing timed on this machine yet: a first guess, said as such, as a range.
    assert "a first guess" in time_text and "at most 300 steps from the 128 px scale" in time_text
    assert " to " in time_text or "-" in time_text.split(":")[0]
    choose(qtbot, dialog.tiles, 1)  # always, 512 px tiles
    assert "tile by tile (512 px tiles)" in dialog.memory_label.text()
    tiled_peak = dialog.estimate.top.peak_bytes
    choose(qtbot, dialog.tiles, 1)  # always, 256 px tiles: less memory
    assert dialog.estimate.top.peak_bytes < tiled_peak
    # A memory limit, typed: every scale that would need more is tiled, and the text says against what.
    choose(qtbot, dialog.tiles, -2)  # back to automatic
    assert dialog.memory_limit.text() == "what is free" and not dialog.estimate.limited
    type_into(qtbot, dialog.memory_limit, "3")
    assert dialog.render_params().memory_limit == 3.0 and dialog.estimate.limited
    assert "3.0 GiB limit" in dialog.memory_label.text()
    assert all(s.tiled for s in dialog.estimate.scales if s.side >= 2048)
    assert dialog.estimate.top.tile < TILE_SIDES[0]  # 4096 px in 3 GiB: smaller tiles
    dialog.memory_limit.setFocus()
    qtbot.keyClick(dialog.memory_limit, Qt.Key.Key_PageDown)  # down to the bottom: no limit again
    assert dialog.render_params().memory_limit == 0.0 and "free now" in dialog.memory_label.text()
    assert not window.print_render.rendering  # nothing started by looking


def test_bad_sizes_and_unwritable_files_get_a_message_and_start_nothing(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)
    dialog = open_dialog(qtbot, window)
    type_into(qtbot, dialog.size.pixels, "0")
    assert "at least 32 px" in dialog.size.result.text() and not dialog.render_button.isEnabled()
    type_into(qtbot, dialog.size.pixels, "100000")
    assert "more than Brushwork paints" in dialog.size.result.text() and not dialog.render_button.isEnabled()
    assert dialog.memory_label.text() == "-"
    type_into(qtbot, dialog.size.dpi, "600")
    type_into(qtbot, dialog.size.length, "30")  # 30 cm at 600 DPI: 7087 px
    assert "print 30 cm at 346 DPI or less" in dialog.size.result.text()
    type_into(qtbot, dialog.size.dpi, "0")
    assert "at least 1 DPI" in dialog.size.result.text() and not dialog.render_button.isEnabled()
    type_into(qtbot, dialog.size.dpi, "300")
    type_into(qtbot, dialog.size.pixels, "96")
    assert dialog.render_button.isEnabled()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    for output, message in (
        (tmp_path / "missing" / "print.png", "does not exist"),
        (a_file / "print.png", "is a file, not a folder"),
        (tmp_path / "print.jpg", "neither .png nor .tif"),
        (tmp_path, "is a folder"),
    ):
        type_path(qtbot, dialog.output, output)
        click(qtbot, dialog.render_button)
        assert message in dialog.problem_label.text() and dialog.problem_label.isVisible()
    assert not window.print_render.rendering and dialog.isVisible() and window.isVisible()


def test_a_render_writes_a_16_bit_file_with_its_settings_even_after_a_failed_write(
    qtbot, window, image_paths, tmp_path
):
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(tile=80))  # 96 px in 80 px tiles: the tiled path
    dialog = open_dialog(qtbot, window)
    folder = tmp_path / "prints"
    folder.mkdir()
    setup_render(qtbot, dialog, side=96, steps=3, output=folder / "print.png")
    type_into(qtbot, dialog.memory_limit, "2.5")  # goes with the render's settings
    assert not dialog.continue_box.isEnabled()  # no picture on screen: it paints from the start
    reports = []
    window.print_render.job.reported.connect(reports.append)
    click(qtbot, dialog.render_button)
    assert window.print_render.rendering and dialog.cancel_button.isVisible()
    folder.rmdir()  # the folder goes while it renders: the file cannot be written at the end
    with qtbot.waitSignal(window.print_render.job.ended, timeout=SLOW) as ended:
        pass
    assert "does not exist" in ended.args[0].message and "save it to another file" in ended.args[0].message
    assert any(r.scale is not None and r.scale.tiled for r in reports) and "tile by tile" in dialog.step_label.text()
    window.dialogs.print_path = tmp_path / "print.png"
    with qtbot.waitSignal(window.print_render.job.ended, timeout=SLOW) as written:
        click(qtbot, dialog.save_elsewhere_button)  # the finished picture was kept in memory
    assert written.args[0].kind == FINISHED and str(tmp_path / "print.png") in dialog.message.text()
    pixels = read_png16(tmp_path / "print.png")
    assert pixels.shape == (72, 96, 3) and pixels.dtype == np.uint16
    assert (pixels % 257 != 0).any()  # the optimiser's own bits, not an 8-bit picture widened
    saved = params_in(tmp_path / "print.png")
    assert (saved.size, saved.steps, saved.tile, saved.memory_limit) == (96, 3, 80, 2.5)
    assert window.print_render.job.autosave.peek() is None  # written: nothing left to resume
    assert not window.print_render.rendering and window.start_button.isEnabled()


def test_cancel_keeps_the_window_and_the_live_picture_and_the_live_run_goes_on(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=64, steps=100_000))
    live = []
    window.controller.progressed.connect(live.append)
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: window.picture is not None and len(live) >= 3, timeout=SLOW)
    dialog = open_dialog(qtbot, window)
    assert "from the runs timed on this machine" in dialog.time_label.text()  # the live run's steps count
    assert dialog.continue_box.isChecked()  # the picture on screen is the starting point
    setup_render(qtbot, dialog, side=256, steps=200, output=tmp_path / "print.png")
    reports = []
    window.print_render.job.reported.connect(reports.append)
    click(qtbot, dialog.render_button)
    engine = window.controller.engine
    live_steps = []  # the live run's steps done, at each of the render's reports
    window.print_render.job.reported.connect(lambda _report: live_steps.append(engine.steps_done))
    qtbot.waitUntil(lambda: engine.holding and bool(reports), timeout=SLOW)  # the live run waits for it
    # Every live report and preview sent before it held has reached the window.
    qtbot.waitUntil(
        lambda: live[-1].step == engine.steps_done and window.live_run._pending_preview is None, timeout=SLOW
    )
    assert not window.start_button.isEnabled() and not window.pause_button.isEnabled()
    assert window.print_render.status_button.isVisible()
    shown = window.picture.copy()
    held = len(live)
    assert reports[0].progress.step == 1 and reports[0].progress.width == 128
    with qtbot.waitSignal(window.print_render.job.ended, timeout=SLOW) as ended:
        click(qtbot, dialog.cancel_button)
        assert "Stopping: the step in flight is given up" in dialog.message.text()
    assert ended.args[0].kind == CANCELLED and "Cancelled at step" in dialog.message.text()
    assert window.isVisible() and np.array_equal(window.picture, shown)
    assert len(set(live_steps[1:])) <= 1 and len(live) == held  # not one live step while it rendered
    assert dialog.resume_button.isVisible() and not dialog.cancel_button.isVisible()
    kept = window.print_render.job.autosave.peek()
    assert kept is not None and not kept.interrupted and kept.params.size == 256
    # The last picture is kept, and the message says its step (a step may come without a picture).
    pictured = [r.progress.step for r in reports if r.progress.preview is not None]
    assert kept.step == ended.args[0].step == pictured[-1]
    assert f"Cancelled at step {kept.step} " in dialog.message.text()
    # The live run goes on, from its own picture.
    assert window.controller.running and not window.controller.paused
    qtbot.waitUntil(lambda: len(live) >= held + 2, timeout=SLOW)
    assert not (tmp_path / "print.png").exists()


class StepInFlight:
    """Holds the print render's engine at a checkpoint inside a tiled step until the test has clicked: the
    click then lands in the middle of that step, however fast or slow the machine."""

    def __init__(self, monkeypatch, job, after_step: int) -> None:
        import threading

        from brushwork.engine.network import vgg19

        self.reached = threading.Event()
        self.clicked = threading.Event()
        original = vgg19.checkpoint

        def checkpoint(*check):
            engine = job.controller.engine
            # On the engine thread, in the step after ``after_step``: held once, then it goes on.
            if engine is not None and engine.steps_done == after_step and not self.reached.is_set():
                self.reached.set()
                self.clicked.wait(SLOW / 1000)
            original(*check)

        monkeypatch.setattr(vgg19, "checkpoint", checkpoint)


def test_cancel_gives_up_a_tiled_step_keeps_the_last_finished_step_and_resume_goes_on(
    qtbot, window, image_paths, tmp_path, monkeypatch, steady_threads
):
    load_both(qtbot, window, image_paths)
    # 200 px: a 128 px scale of 7 steps, then 5 at 200 px in 64 px tiles (a 96 px halo: boxes of up to 200 px).
    window.set_params(window.params().replace(tile=64, stop_early=False))
    dialog = open_dialog(qtbot, window)
    setup_render(qtbot, dialog, side=200, steps=12, output=tmp_path / "print.png")
    job = window.print_render.job
    in_flight = StepInFlight(monkeypatch, job, after_step=8)  # Cancel is clicked during step 9
    reports = []
    job.reported.connect(reports.append)
    click(qtbot, dialog.render_button)
    qtbot.waitUntil(in_flight.reached.is_set, timeout=SLOW)
    with qtbot.waitSignal(job.ended, timeout=SLOW) as ended:
        click(qtbot, dialog.cancel_button)
        in_flight.clicked.set()
    assert ended.args[0].kind == CANCELLED
    finished = [r.progress for r in reports]
    assert finished[-1].step == 8 and finished[-1].tile == 64  # step 9, in flight, was given up
    kept = job.autosave.recover()
    assert kept.info.step == 8 and "Cancelled at step 8 of 12" in dialog.message.text()
    # What is kept is the last finished step's picture, byte for byte.
    assert np.array_equal(np.asarray(kept.picture), finished[-1].preview)

    # The dialog offers to save what is painted.
    window.dialogs.save_image_path = tmp_path / "so_far.png"
    click(qtbot, dialog.save_painted_button)
    qtbot.waitUntil(lambda: "Saved the picture so far" in dialog.message.text(), timeout=SLOW)
    with Image.open(tmp_path / "so_far.png") as saved:
        assert np.array_equal(np.asarray(saved.convert("RGB")), finished[-1].preview)

    # Resume goes on from step 9 to the end.
    reports.clear()
    with qtbot.waitSignal(job.ended, timeout=SLOW) as ended:
        click(qtbot, dialog.resume_button)
    assert ended.args[0].kind == FINISHED
    assert [r.progress.step for r in reports if not r.progress.adjusting] == [9, 10, 11, 12]
    with Image.open(tmp_path / "print.png") as image:
        assert image.size == (200, 150)


def test_an_interrupted_render_is_offered_at_launch_and_resumes_from_its_step(
    qtbot, tmp_path, event_loop_qt, image_paths
):
    first = make_window(qtbot, tmp_path)
    load_both(qtbot, first, image_paths)
    # 200 px: a 128 px scale of 6 steps, then 4 at 200 px in 160 px tiles.
    first.set_params(first.params().replace(tile=160, stop_early=False))
    dialog = open_dialog(qtbot, first)
    setup_render(qtbot, dialog, side=200, steps=10, output=tmp_path / "print.png")
    choose(qtbot, dialog.format, 1)  # TIFF, 16 bits per channel
    assert dialog.output.text().endswith("print.tif")
    job = first.print_render.job

    def freeze_after_the_first_scale(report):
        if report.progress.scale_finished and report.progress.scale == 0:
            job.controller.pause()  # time stops here: the crash comes before another autosave

    job.reported.connect(freeze_after_the_first_scale)
    click(qtbot, dialog.render_button)
    qtbot.waitUntil(lambda: saved_step(job) == 6, timeout=SLOW)
    assert job.shutdown(SLOW)  # the crash: the engine thread ends, no ending is recorded
    first.controller.shutdown()
    kept = job.autosave.peek()
    assert kept.interrupted and kept.step == 6 and kept.has_picture

    dialogs = ScriptedDialogs()
    second = make_window(qtbot, tmp_path, dialogs)
    assert any("was interrupted at step 6 of 10" in question for question in dialogs.asked)
    reports = []
    second.print_render.job.reported.connect(reports.append)
    with qtbot.waitSignal(second.print_render.job.ended, timeout=SLOW) as ended:
        pass
    assert ended.args[0].kind == FINISHED
    assert reports[0].progress.step == 7 and reports[0].progress.width == 200  # on from its saved step
    assert "Resuming" not in second.print_render.dialog.heading.text()  # it says what happened: Rendered
    with Image.open(tmp_path / "print.tif") as image:
        assert image.size == (200, 150) and image.tag_v2[258] == (16, 16, 16)
    assert params_in(tmp_path / "print.tif").size == 200
    assert second.print_render.job.autosave.peek() is None
    for win in (first, second):
        win.controller.shutdown()
        win.print_render.job.shutdown()


def test_declining_at_launch_keeps_the_render_for_the_dialog(qtbot, tmp_path, event_loop_qt, image_paths):
    first = make_window(qtbot, tmp_path)
    load_both(qtbot, first, image_paths)
    first.print_render.job.autosave.begin(
        first.content_well.image, (first.style_well.image,), first.params().replace(size=96), tmp_path / "p.png"
    )
    first.print_render.job.shutdown()
    dialogs = ScriptedDialogs()
    dialogs.confirm_answer = False
    second = make_window(qtbot, tmp_path, dialogs)
    assert any("was interrupted at step 0 of 300" in q for q in dialogs.asked)
    assert not second.print_render.rendering
    qtbot.waitUntil(lambda: not second.print_render.job.autosave.peek().interrupted, timeout=SLOW)
    third_dialogs = ScriptedDialogs()
    third = make_window(qtbot, tmp_path, third_dialogs)
    assert not any("interrupted" in q for q in third_dialogs.asked)  # asked once, not at every launch
    dialog = open_dialog(qtbot, third)
    assert dialog.kept_box.isVisible() and "was stopped at step 0 of 300" in dialog.kept_label.text()
    click(qtbot, dialog.kept_discard_button)
    qtbot.waitUntil(lambda: third.print_render.job.autosave.peek() is None, timeout=SLOW)
    assert not dialog.kept_box.isVisible()


def test_the_1_to_1_crop_moves_with_drags_and_the_wheel(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)
    dialog = open_dialog(qtbot, window)
    setup_render(qtbot, dialog, side=640, steps=300, output=tmp_path / "print.png")
    click(qtbot, dialog.render_button)
    pane = dialog.preview
    qtbot.waitUntil(lambda: pane.crop.image is not None and pane.whole.isVisible(), timeout=SLOW)
    frame = pane.frame
    assert frame.share == pytest.approx((300 / 640, 300 / 480))  # the crop is 300 print pixels a side
    start = QPointF(frame.centre)
    before = pane.crop.grab().toImage()

    # Drag the crop like paper: 60 px to the left and 30 up shows what lies right of it and below.
    crop, left = pane.crop, Qt.MouseButton.LeftButton
    QTest.mousePress(crop, left, Qt.KeyboardModifier.NoModifier, QPoint(150, 150))
    for i in range(1, 7):
        QTest.mouseMove(crop, QPoint(150 - 10 * i, 150 - 5 * i))
    QTest.mouseRelease(crop, left, Qt.KeyboardModifier.NoModifier, QPoint(90, 120))
    assert frame.centre.x() == pytest.approx(start.x() + 60 / 640, abs=1e-6)
    assert frame.centre.y() == pytest.approx(start.y() + 30 / 480, abs=1e-6)
    assert pane.crop.grab().toImage() != before

    # Drag on the whole picture: the crop goes where the pointer goes (kept inside the picture).
    whole = pane.whole
    target = whole.picture_rect()
    corner = QPoint(round(target.left() + 2), round(target.top() + 2))
    QTest.mousePress(whole, left, Qt.KeyboardModifier.NoModifier, target.center().toPoint())
    QTest.mouseMove(whole, corner)
    QTest.mouseRelease(whole, left, Qt.KeyboardModifier.NoModifier, corner)
    assert frame.rect().left() == pytest.approx(0.0) and frame.rect().top() == pytest.approx(0.0)

    # The wheel scrolls the crop down, Shift+wheel sideways.
    for modifiers, axis in ((Qt.KeyboardModifier.NoModifier, "y"), (Qt.KeyboardModifier.ShiftModifier, "x")):
        was = getattr(frame.centre, axis)()
        event = QWheelEvent(
            QPointF(150, 150), crop.mapToGlobal(QPointF(150, 150)), QPoint(0, 0), QPoint(0, -120),
            Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        QApplication.sendEvent(crop, event)
        print_side = 640 if axis == "x" else 480
        assert getattr(frame.centre, axis)() == pytest.approx(was + 60 / print_side, abs=1e-6)

    # Quitting mid-render asks, and keeps the render to resume at the next launch.
    window.picture_saved = True
    window.close()
    assert any("The print render stops here" in q for q in window.dialogs.asked)
    kept = window.print_render.job.autosave.peek()
    assert kept is not None and kept.interrupted
