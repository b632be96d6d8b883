"""The live loop: every move lands as made, nothing freezes, nothing is rewritten or ignored."""

from __future__ import annotations

import asyncio
import gc
import json
import math
import threading
import weakref

import numpy as np
import pytest
from brushwork.engine.objective.scale_objective import Objective
from brushwork.engine.settings.presets import load_preset
from brushwork.engine.settings.style_params import StyleParams
from PySide6.QtCore import Qt

from tests.gui.conftest import SLOW, ScriptedDialogs, click, gap_probe, load_both, make_window, type_into


def _click_row(qtbot, list_widget, row: int) -> None:
    rect = list_widget.visualItemRect(list_widget.item(row))
    qtbot.mouseClick(list_widget.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_continuing_from_a_snapshot_mid_run_never_freezes_and_finishes_once(qtbot, window, image_paths):
    # Finding 1: the old worker's queued `finished` made the window wait on the new run's thread.
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=64, steps=100_000))
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: window.last_progress is not None and window.last_progress.step >= 3, timeout=SLOW)
    click(qtbot, window.history.snapshot_button)
    snapshot = window.history.snapshots[-1]
    _click_row(qtbot, window.history.list, len(window.history.snapshots) - 1)
    first_engine = weakref.ref(window.controller.engine)
    finished, reports = [], []
    window.controller.run_finished.connect(finished.append)
    window.controller.progressed.connect(reports.append)
    # The new run is short, so that a window waiting for it would show as one long gap.
    window.set_params(window.params().replace(steps=snapshot.step + 40))
    gaps, probe = gap_probe()
    click(qtbot, window.history.continue_button)  # while the first run is still going
    assert window.controller.running
    qtbot.waitUntil(lambda: bool(finished), timeout=SLOW)
    qtbot.wait(50)  # a stale report of the first run, if any were forwarded, would arrive here
    probe.stop()
    assert finished == [True]  # once, for the run that is current
    assert reports[0].step == snapshot.step + 1 and reports[-1].finished
    assert max(gaps) < 1000, sorted(gaps)[-5:]
    gc.collect()
    assert first_engine() is None  # the replaced run's engine is freed


def test_a_preset_survives_load_edit_and_save_unchanged(qtbot, window, tmp_path):
    # Finding 2: every edit rebuilt StyleParams from widgets narrower than the engine.
    odd = StyleParams().replace(alpha=4e-5, seed=3_000_000_000, tv_weight=5000.0)
    odd = odd.with_style_weight("conv3_1", 5.0).with_style_weight("conv5_1", 0.125)
    source = tmp_path / "odd.json"
    source.write_text(json.dumps({"schema_version": 3, "name": "Odd", "params": odd.to_dict()}))
    window.dialogs.preset_file = source
    click(qtbot, window.presets_bar.import_button)
    assert window.editor.current == odd
    window.editor.advanced.set_expanded(True)
    type_into(qtbot, window.editor.balance.beta.spin, "20")
    window.editor.flush()
    assert window.editor.current == odd.replace(beta=20.0)  # only what was touched changed
    window.dialogs.text = "Odd, edited"
    click(qtbot, window.presets_bar.save_as_button)
    saved = load_preset(window.library.path_for("Odd, edited")).params
    assert saved == odd.replace(beta=20.0)
    # Typing the exact value back into a box keeps it exact, too.
    type_into(qtbot, window.editor.balance.alpha.spin, "4e-05")
    window.editor.flush()
    assert window.editor.current.alpha == 4e-5


def test_keys_on_a_focused_slider_move_it_by_visible_steps(qtbot, window):
    # A trial: the Right arrow moved conv1_1 from 1 to 1.002 and Page Up by 0.02, nothing visible.
    field = window.editor.layers.fields["conv1_1"]  # a 0-2 slider
    slider = field.slider
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=slider.rect().center())  # the hand clicks into it
    qtbot.waitUntil(slider.hasFocus)

    def weight():
        return window.editor.current.style_weights["conv1_1"]

    start = weight()
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: weight() != start, timeout=SLOW)  # changes reach the settings throttled
    assert weight() - start == pytest.approx(0.02, abs=1e-9)  # 1 % of the slider
    arrow = weight()
    qtbot.keyClick(slider, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: weight() != arrow, timeout=SLOW)
    assert arrow - weight() == pytest.approx(0.2, abs=1e-9)  # 10 %
    assert field.spin.value() == weight()


def test_the_controls_show_values_beyond_the_sliders(window):
    params = StyleParams(alpha=4e-5, seed=3_000_000_000, tv_weight=5000.0).with_style_weight("conv3_1", 5.0)
    window.set_params(params)
    assert window.editor.balance.alpha.spin.text() == "4e-05"
    assert window.editor.layers.fields["conv3_1"].spin.text() == "5"
    assert window.editor.advanced.seed.text() == "3000000000"
    assert window.editor.advanced.tv_weight.spin.text() == "5000"


def test_the_layer_explorer_reads_the_settings_on_the_gui_thread_and_reports_failures(
    qtbot, window, image_paths, monkeypatch
):
    # Finding 3: it flushed the editor (Qt timers) from an executor thread, and its tasks bypassed the window.
    load_both(qtbot, window, image_paths)
    readers = []
    real_flush = window.editor.flush
    monkeypatch.setattr(window.editor, "flush", lambda: (readers.append(threading.current_thread()), real_flush()))
    explorer = window.open_layer_explorer()
    with qtbot.waitSignal(explorer.shown, timeout=SLOW):
        pass
    assert readers and all(thread is threading.main_thread() for thread in readers)

    def broken(*_args, **_kwargs):
        raise RuntimeError("explorer bug")

    monkeypatch.setattr("brushwork.gui.panels.layer_explorer.look_at_layer", broken)
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        explorer.layer.setCurrentText("conv2_1")
    assert "explorer bug" in blocker.args[0]
    explorer.close()


def test_a_style_layer_added_mid_run_by_a_preset_gets_a_target(qtbot, window, image_paths, tmp_path):
    # Finding 4: the objective kept the layers it was built with.
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=48, steps=100_000))
    reports = []
    window.controller.progressed.connect(reports.append)
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)
    added = window.params().with_style_weight("conv3_2", 5.0)
    source = tmp_path / "deeper.json"
    source.write_text(json.dumps({"schema_version": 3, "name": "Deeper", "params": added.to_dict()}))
    window.dialogs.preset_file = source
    click(qtbot, window.presets_bar.import_button)
    qtbot.waitUntil(lambda: any(r.params == added for r in reports), timeout=SLOW)
    mark = len(reports)
    qtbot.waitUntil(lambda: len(reports) >= mark + 1, timeout=SLOW)
    objective = window.controller.engine._scale.objective
    assert objective.layer_weights.get("conv3_2") == 5.0 and "conv3_2" in objective.taps
    click(qtbot, window.stop_button)


def test_a_nan_loss_stops_with_a_message_and_keeps_the_last_finite_picture(qtbot, window, image_paths, monkeypatch):
    # Finding 6: one bad step poisoned the picture for good.
    real = Objective.__call__
    calls = []

    def poisoned(self, picture):
        calls.append(1)
        total, terms = real(self, picture)
        if len(calls) >= 6:
            return total * math.nan, terms * math.nan
        return total, terms

    monkeypatch.setattr(Objective, "__call__", poisoned)
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=48, steps=100_000))
    click(qtbot, window.start_button)
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        pass
    assert "not a number" in blocker.args[0].lower() or "nan" in blocker.args[0].lower()
    qtbot.waitUntil(lambda: not window.controller.running, timeout=SLOW)
    assert window.picture is not None and np.isfinite(window.picture).all()
    assert window.start_button.isEnabled()


def test_closing_leaves_no_pending_task_on_the_event_loop(qtbot, tmp_path, event_loop_qt, image_paths):
    # Finding 9: the autosave task was still pending when the loop closed.
    win = make_window(qtbot, tmp_path, ScriptedDialogs())
    load_both(qtbot, win, image_paths)
    win.set_params(win.params().replace(size=48, steps=100_000))
    click(qtbot, win.start_button)
    qtbot.waitUntil(lambda: win.last_progress is not None and win.autosave.state_path.exists(), timeout=SLOW)
    win.picture_saved = True
    assert win.close()
    qtbot.waitUntil(lambda: all(task.done() for task in asyncio.all_tasks(event_loop_qt)), timeout=SLOW)


@pytest.mark.parametrize("loaded", ["photo only", "both"])
def test_the_preview_shows_the_photo_until_the_first_picture(qtbot, window, image_paths, loaded):
    # Finding 10: with both images in, it still said "Drop a photo and a painting".
    if loaded == "both":
        load_both(qtbot, window, image_paths)
    else:
        from tests.gui.conftest import drop, file_mime

        drop(window.content_well, file_mime(image_paths[0]))
        qtbot.waitUntil(lambda: not window.content_well.is_empty, timeout=SLOW)
    canvas = window.preview.canvas
    shot = canvas.grab().toImage()
    centre = canvas.target_rect().center().toPoint()
    photo = window.content_well.image
    expected = photo.getpixel((photo.width // 2, photo.height // 2))
    got = shot.pixelColor(centre)
    assert max(abs(a - b) for a, b in zip((got.red(), got.green(), got.blue()), expected, strict=True)) < 40


def test_fewer_steps_typed_mid_run_still_finish_at_full_size(qtbot, window, image_paths, monkeypatch):
    """A user trial: Steps lowered below the steps taken, at a middle scale, ended the run there,
    "Finished" on a coarse picture that Save then refused as unfinished."""
    from brushwork.engine.run import schedule

    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)  # scales of 32, 55 and 96 px
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=96, steps=300, stop_early=False))  # 142 / 94 / 64 steps
    finished = []
    window.controller.run_finished.connect(finished.append)
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: window.last_progress is not None and window.last_progress.scale == 1, timeout=SLOW)
    type_into(qtbot, window.editor.steps, "100")  # 47 / 31 / 22: fewer than the 142 already taken
    qtbot.waitUntil(lambda: bool(finished), timeout=SLOW)
    last = window.last_progress
    assert last.finished and (last.step, last.total_steps) == (100, 100)
    assert (last.scale, last.width) == (2, 96)
