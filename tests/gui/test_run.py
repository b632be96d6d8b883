import numpy as np
from brushwork.gui import app as gui_app
from brushwork.gui import studio_window
from PIL import Image
from PySide6.QtCore import QTimer

from tests.gui.conftest import SLOW, ScriptedDialogs, click, gap_probe, load_both, make_window, os_thread_names

LONG = {"size": 64, "steps": 100_000}


def _start(qtbot, window, image_paths, **changes):
    """Load both images, set the parameters, and click Start."""
    load_both(qtbot, window, image_paths)
    window.set_params(window.editor.current.replace(**(changes or LONG)))
    reports = []
    window.controller.progressed.connect(reports.append)
    click(qtbot, window.start_button)
    return reports


def test_start_makes_the_preview_change(qtbot, window, image_paths):
    _start(qtbot, window, image_paths)
    qtbot.waitUntil(lambda: window.picture is not None, timeout=SLOW)
    first = window.picture.copy()
    qtbot.waitUntil(lambda: window.last_progress.step >= 5 and not np.array_equal(window.picture, first), timeout=SLOW)
    assert window.preview.canvas.picture is not None and window.save_button.isEnabled()
    assert "step" in window.status.step.text() and window.status.progress.value() > 0


def test_a_slider_moved_mid_run_changes_the_very_next_step(qtbot, window, image_paths):
    reports = _start(qtbot, window, image_paths)
    qtbot.waitUntil(lambda: len(reports) >= 3, timeout=SLOW)
    engine = window.controller.engine
    beta = window.editor.balance.beta
    before = engine.steps_done  # every step up to here ran before the change existed
    beta.slider.setValue(beta.slider.value() + 150)  # a drag: one step of the slider
    window.editor.flush()
    after = engine.steps_done  # the change is with the engine now
    new_beta = window.editor.current.beta
    qtbot.waitUntil(lambda: any(r.params.beta == new_beta for r in reports), timeout=SLOW)
    first_new = next(r.step for r in reports if r.params.beta == new_beta)
    # The step in flight when the change arrived keeps the old value; the one after it has the new.
    assert first_new <= after + 2
    assert all(r.params.beta == 10.0 for r in reports if r.step <= before)
    assert all(r.params.beta == new_beta for r in reports if r.step >= first_new)


def test_dragging_is_throttled(qtbot, window, image_paths):
    _start(qtbot, window, image_paths)
    emitted = []
    window.editor.params_changed.connect(emitted.append)
    beta = window.editor.balance.beta
    for tick in range(100, 400, 5):  # 60 slider positions in quick succession
        beta.slider.setValue(tick)
    # The final position always arrives, however busy the machine; the first came at once.
    qtbot.waitUntil(lambda: bool(emitted) and emitted[-1].beta == beta.value(), timeout=SLOW)
    assert len(emitted) == 2


def test_pause_resume_and_stop(qtbot, window, image_paths):
    reports = _start(qtbot, window, image_paths)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)
    engine = window.controller.engine
    click(qtbot, window.pause_button)
    assert window.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: engine.holding, timeout=SLOW)  # the step in flight has ended
    qtbot.waitUntil(lambda: bool(reports) and reports[-1].step == engine.steps_done, timeout=SLOW)
    held = len(reports)
    qtbot.wait(300)
    assert len(reports) == held and engine.holding
    click(qtbot, window.pause_button)
    assert window.pause_button.text() == "Pause"
    qtbot.waitUntil(lambda: len(reports) >= held + 2, timeout=SLOW)
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW) as blocker:
        click(qtbot, window.stop_button)
    assert blocker.args == [False]
    assert not window.controller.running and window.start_button.isEnabled()
    assert window.picture is not None  # the picture so far stays


def test_a_run_to_the_end_and_save(qtbot, window, image_paths, tmp_path):
    _start(qtbot, window, image_paths, size=64, steps=6)
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW) as blocker:
        pass
    assert blocker.args == [True]
    assert window.has_unsaved_picture()
    out = tmp_path / "result.png"
    window.dialogs.save_image_path = out
    task = window.save_picture()
    qtbot.waitUntil(task.done, timeout=SLOW)
    with Image.open(out) as saved:
        assert saved.format == "PNG" and saved.size == (64, 48)
        assert np.array_equal(np.asarray(saved.convert("RGB")), window.picture)
    assert not window.has_unsaved_picture()
    jpeg = tmp_path / "result.jpg"
    window.dialogs.save_image_path = jpeg
    task = window.save_picture()
    qtbot.waitUntil(task.done, timeout=SLOW)
    with Image.open(jpeg) as saved:
        assert saved.format == "JPEG"


def test_a_failed_save_says_so_and_keeps_the_picture_unsaved(qtbot, window, image_paths, tmp_path):
    _start(qtbot, window, image_paths, size=64, steps=3)
    qtbot.waitUntil(lambda: not window.controller.running and window.picture is not None, timeout=SLOW)
    window.dialogs.save_image_path = tmp_path / "missing-folder" / "x.png"
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        window.save_picture()
    assert "does not exist" in blocker.args[0] and window.has_unsaved_picture()


def test_changing_an_image_mid_run_continues(qtbot, window, image_paths, tmp_path):
    reports = _start(qtbot, window, image_paths)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)
    portrait = tmp_path / "portrait.png"
    Image.new("RGB", (40, 64), (200, 100, 50)).save(portrait)
    window.load_image_into(studio_window.CONTENT, portrait)
    qtbot.waitUntil(lambda: reports[-1].height > reports[-1].width, timeout=SLOW)
    assert window.controller.running


def test_an_engine_error_is_shown_and_the_next_start_works(qtbot, window, image_paths):
    load_both(qtbot, window, image_paths)
    window.set_params(window.editor.current.replace(weights="/nowhere/vgg.pth", size=64, steps=3))
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        window.start()
    assert "not found" in blocker.args[0]
    qtbot.waitUntil(lambda: not window.controller.running, timeout=SLOW)
    window.set_params(window.editor.current.replace(weights="oxford"))
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW) as done:
        window.start()
    assert done.args == [True]


def test_closing_mid_run_stops_at_the_step_in_flight_and_ends_the_thread(qtbot, tmp_path, event_loop_qt, image_paths):
    dialogs = ScriptedDialogs()
    win = make_window(qtbot, tmp_path, dialogs)
    reports = _start(qtbot, win, image_paths)
    qtbot.waitUntil(lambda: len(reports) >= 2 and win.picture is not None, timeout=SLOW)
    engine = win.controller.engine
    assert "brushwork-engin" in os_thread_names()
    # Counted at the moment the window stops the run, not before close(): on a
    # busy machine the run may finish steps while the GUI thread gets there.
    at_stop = []
    stop = engine.cancel

    def counting_stop():
        stop()
        at_stop.append(engine.steps_done)  # after the stop: only the step in flight may still end

    engine.cancel = counting_stop
    assert win.close()
    assert at_stop and engine.steps_done <= at_stop[0] + 1  # the step in flight ends, no other starts
    assert not win.controller.running
    assert "unsaved" in dialogs.asked  # it asked before dropping the picture
    # The engine thread has been joined. Worker threads that OpenMP started
    # from it carry its name and leave as it ends; on a busy machine the last
    # may still be on its way out when close() returns, so wait for them to
    # go (a thread left behind still fails here).
    qtbot.waitUntil(lambda: "brushwork-engin" not in os_thread_names(), timeout=SLOW)


def test_closing_with_an_unsaved_picture_can_be_cancelled(qtbot, tmp_path, event_loop_qt, image_paths):
    dialogs = ScriptedDialogs()
    dialogs.unsaved_answer = "cancel"
    win = make_window(qtbot, tmp_path, dialogs)
    _start(qtbot, win, image_paths, size=64, steps=3)
    qtbot.waitUntil(lambda: not win.controller.running and win.picture is not None, timeout=SLOW)
    assert not win.close() and win.isVisible()
    dialogs.unsaved_answer = "save"
    dialogs.save_image_path = tmp_path / "kept.png"
    assert win.close()
    assert (tmp_path / "kept.png").exists()


def test_the_gui_thread_never_stalls_during_a_run(qtbot, window, image_paths):
    gaps, probe = gap_probe()
    reports = _start(qtbot, window, image_paths, size=96, steps=100_000)
    qtbot.waitUntil(lambda: len(reports) >= 30 and len(gaps) > 100, timeout=SLOW)
    probe.stop()
    window.stop()
    # The timer asks for 10 ms. On a machine busy with other work the OS may hold
    # the GUI thread back now and then, so single gaps of tens of ms happen; a
    # GUI thread that waits on the run or works for it shows as gaps of seconds
    # (the first release's continue-from-snapshot froze it for 4.3 s) or as many
    # long gaps (a preview converted on every step).
    gaps.sort()
    print("largest GUI-thread gaps (ms):", gaps[-5:])
    assert gaps[-1] < 1000 and gaps[int(len(gaps) * 0.95)] < 50, gaps[-5:]


def test_the_first_preview_is_the_first_step(qtbot, window, image_paths):
    reports = _start(qtbot, window, image_paths)
    with qtbot.waitSignal(window.preview_shown, timeout=SLOW):
        pass
    assert reports[0].step == 1 and reports[0].preview is not None


def test_brushwork_demo_opens_with_the_samples_and_starts(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(studio_window, "default_data_dir", lambda: tmp_path / "appdata")
    monkeypatch.setattr(gui_app, "_configure_logging", lambda data_dir: None)
    seen = {}

    class ClosingWindow(studio_window.StudioWindow):
        def __init__(self, **kwargs):
            from PySide6.QtCore import QSettings

            super().__init__(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), **kwargs)
            self.dialogs = ScriptedDialogs()
            self.preview_shown.connect(self._close_after_first_preview)

        def _close_after_first_preview(self):
            if seen:
                return
            seen["content"] = self.content_well.path.name
            seen["style"] = self.style_well.path.name
            seen["running"] = self.controller.running
            QTimer.singleShot(0, self.close)

    monkeypatch.setattr(studio_window, "StudioWindow", ClosingWindow)
    assert gui_app.main(["--demo"]) == 0
    assert seen == {"content": "chelsea.png", "style": "starry_night.jpg", "running": True}


def test_weights_download_progress_reaches_the_status_bar(qtbot, window, image_paths, monkeypatch):
    from brushwork.engine.network import vgg_weights as weights_module

    def fake_load(source, progress=None):
        progress(50_000_000, 100_000_000)  # what the real download reports
        raise weights_module.WeightsError("offline (test)")

    monkeypatch.setattr("brushwork.engine.run.style_transfer.load_weights", fake_load)
    load_both(qtbot, window, image_paths)
    window.set_params(window.editor.current.replace(weights="torchvision", size=64, steps=2))
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(window.error_shown, timeout=SLOW):
        window.start()
    assert any("50 of 100 MB" in m for m in messages)


def test_until_the_first_step_ends_the_status_bar_says_it_is_preparing_and_the_bar_is_busy(
    qtbot, window, image_paths, monkeypatch
):
    # A user's trial saw "step -" and an empty bar for 12 s (weights read, first scale built), then 32 %.
    import threading

    from brushwork.engine.run import style_transfer
    from brushwork.gui.panels.status_panel import BAR_STEPS, PREPARING

    release = threading.Event()
    real_prepare = style_transfer.StyleTransfer._prepare

    def held_prepare(self, *args, **kwargs):
        release.wait(SLOW / 1000)  # the first scale takes its time to build
        return real_prepare(self, *args, **kwargs)

    monkeypatch.setattr(style_transfer.StyleTransfer, "_prepare", held_prepare)
    reports = _start(qtbot, window, image_paths)
    status = window.status
    assert status.step.text() == PREPARING and status.progress.maximum() == 0  # busy, no share claimed
    assert status.left.text().endswith("in all")
    release.set()
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)
    assert status.step.text().startswith("step ") and status.progress.maximum() == BAR_STEPS
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.stop_button)
    assert status.progress.maximum() == BAR_STEPS and status.left.text() == "Stopped"
