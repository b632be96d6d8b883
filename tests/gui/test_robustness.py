"""Bad input, faults and crashes in the window: a clear message, nothing lost."""

from __future__ import annotations

import gc
import json
import logging
import os
import resource
import signal
import subprocess
import sys
import time
import weakref

import numpy as np
import pytest
import torch
from brushwork.engine.objective.scale_objective import Objective
from brushwork.engine.pictures.images import MIN_PHOTO_SIDE
from brushwork.engine.run import schedule
from brushwork.gui.studio_window import CONTENT, STYLE
from PySide6.QtCore import QSettings

from tests.bad_inputs import AWKWARD_IMAGES, BAD_IMAGES, BAD_PRESETS, preset_text
from tests.gui.conftest import SLOW, ScriptedDialogs, drop, file_mime, load_both, make_window, os_thread_names


@pytest.mark.parametrize("kind", BAD_IMAGES)
def test_each_bad_image_gets_a_message_and_changes_nothing(qtbot, window, image_paths, tmp_path, kind):
    load_both(qtbot, window, image_paths)
    params = window.params()
    make, words = BAD_IMAGES[kind]
    bad = make(tmp_path)
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        drop(window.style_well, file_mime(bad))
    assert words in blocker.args[0]
    assert window.style_well.path == image_paths[1] and window.params() == params
    assert window.start_button.isEnabled()  # still usable


@pytest.mark.parametrize("kind", AWKWARD_IMAGES)
def test_each_awkward_image_loads(qtbot, window, tmp_path, kind):
    make, size = AWKWARD_IMAGES[kind]
    # A photo of 1 x 1 px is refused as too small (tests/gui/test_small_things.py); a painting may be one.
    well = window.style_well if min(size) < MIN_PHOTO_SIDE else window.content_well
    drop(well, file_mime(make(tmp_path)))
    qtbot.waitUntil(lambda: not well.is_empty, timeout=SLOW)
    assert well.image.size == size


@pytest.mark.parametrize("kind", BAD_PRESETS)
def test_each_bad_preset_gets_a_message_and_changes_nothing(qtbot, window, tmp_path, kind):
    path = tmp_path / "shared.json"
    path.write_text(preset_text(kind))
    window.dialogs.preset_file = path
    before = window.params()
    with qtbot.waitSignal(window.error_shown, timeout=2000) as blocker:
        window.presets.import_file()
    assert BAD_PRESETS[kind] in blocker.args[0]
    assert window.params() == before and window.library.user() == []


def test_damaged_presets_of_the_artists_own_are_named_at_launch_and_kept(qtbot, tmp_path, event_loop_qt):
    """A preset file that went bad between sessions must not vanish from the list without a word."""
    first = make_window(qtbot, tmp_path)
    first.dialogs.text = "Bold wave"
    first.presets.save_as()
    saved = first.library.path_for("Bold wave")
    assert first.controller.shutdown(10000)
    first.close()
    damaged = saved.read_text()[:40]  # cut short, as a failed copy leaves it
    saved.write_text(damaged)
    (saved.parent / "Mine.json").write_text("{not json")
    window = make_window(qtbot, tmp_path)
    assert window.banner.isVisible()
    text = window.banner.label.text()
    assert "2 of your presets could not be read" in text
    assert "Bold wave.json" in text and "Mine.json" in text and "not valid JSON" in text
    assert "Bold wave" not in [p.name for p in window.library.user()]
    assert saved.read_text() == damaged  # the file is left for the artist to mend
    # Told once: saving another preset (a refresh) does not repeat it.
    window.banner.hide()
    window.dialogs.text = "Fine"
    window.presets.save_as()
    assert not window.banner.isVisible()
    assert window.controller.shutdown(10000)


def test_a_preset_name_never_escapes_the_presets_folder(window):
    for name in ("../../outside", "/etc/passwd", "a/../../b", "CON", "..", "nul.txt"):
        window.dialogs.text = name
        window.presets.save_as()
    folder = window.library.user_dir
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 6 and all(p.parent == folder for p in folder.iterdir())
    assert not (folder.parent / "outside.json").exists()


def test_a_weights_error_is_readable(qtbot, window, image_paths, tmp_path):
    corrupt = tmp_path / "vgg.pth"
    corrupt.write_bytes(b"not a checkpoint")
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(weights=str(corrupt), size=32, steps=2))
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        window.start()
    assert "vgg.pth" in blocker.args[0] and "corrupt" in blocker.args[0]


def test_an_engine_exception_is_shown_logged_and_the_next_start_works(qtbot, window, image_paths, tmp_path):
    log_file = tmp_path / "brushwork.log"
    handler = logging.FileHandler(log_file)
    logging.getLogger().addHandler(handler)
    real = Objective.__call__
    calls = []

    def flaky(self, picture):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("a bug in the engine")
        return real(self, picture)

    try:
        Objective.__call__ = flaky
        load_both(qtbot, window, image_paths)
        window.set_params(window.params().replace(size=32, steps=10))
        with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
            window.start()
        assert "The engine stopped unexpectedly: a bug in the engine" in blocker.args[0]
        qtbot.waitUntil(lambda: not window.controller.running, timeout=SLOW)
    finally:
        Objective.__call__ = real
        handler.close()
        logging.getLogger().removeHandler(handler)
    text = log_file.read_text()
    assert "Traceback" in text and "ValueError: a bug in the engine" in text
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW) as done:
        window.start()
    assert done.args == [True]


def test_out_of_memory_keeps_the_picture_and_offers_a_smaller_size(qtbot, window, image_paths, monkeypatch):
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    real = Objective.__call__

    def limited(self, picture):
        if picture.shape[-1] >= 90:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return real(self, picture)

    monkeypatch.setattr(Objective, "__call__", limited)
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=96, steps=12, clean_edges=False))
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        window.start()
    assert "Out of memory painting at 96 px" in blocker.args[0]
    qtbot.waitUntil(lambda: not window.controller.running, timeout=SLOW)
    shown = window.picture.copy()
    assert window.banner.action_button.isVisible() and window.banner.action_button.text().startswith("Continue at")
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW) as done:
        window.banner.action_button.click()
    assert done.args == [True] and window.params().size < 96
    assert window.picture.shape != shown.shape or not np.array_equal(window.picture, shown)


def test_autosave_writes_the_picture_and_parameters_while_running(qtbot, window, image_paths):
    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=48, steps=8))
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        window.start()
    # Autosaves land on their own writer thread: wait for the last one's state, however long it takes.
    qtbot.waitUntil(lambda: (window.autosave._read_state() or {}).get("step") == 8, timeout=SLOW)
    state = window.autosave._read_state()
    assert state["clean_exit"] is False and (window.autosave.folder / "picture.png").exists()
    assert state["preset"]["params"]["size"] == 48
    assert sorted(p.name for p in window.autosave.folder.iterdir()) == [
        "content.png", "picture.png", "state.json", "style0.png"
    ]  # fmt: skip
    window.picture_saved = True
    window.close()
    assert window.autosave._read_state()["clean_exit"] is True


def _wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _autosaved_step(data_dir) -> int:
    try:
        return json.loads((data_dir / "autosave" / "state.json").read_text()).get("step", 0)
    except (OSError, ValueError):
        return 0


def test_after_sigkill_the_next_launch_restores_and_can_continue(qtbot, tmp_path, event_loop_qt):
    home = tmp_path / "home"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    data_dir = home / "data" / "Brushwork" / "Brushwork"
    child = subprocess.Popen([sys.executable, "-m", "brushwork.gui", "--demo"], env=env, stderr=subprocess.DEVNULL)
    try:
        # picture.png is written before state.json: wait for the state that names its step.
        assert _wait_for(lambda: _autosaved_step(data_dir) > 0, 180), "no autosave appeared"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    settings = QSettings(str(home / "config" / "Brushwork" / "Brushwork.conf"), QSettings.Format.IniFormat)
    dialogs = ScriptedDialogs()
    from brushwork.gui.studio_window import StudioWindow

    win = StudioWindow(settings=settings, data_dir=data_dir, dialogs=dialogs)
    qtbot.addWidget(win)
    assert any("did not close properly" in question for question in dialogs.asked)
    assert win.content_well.path.name == "chelsea.png" and win.style_well.path.name == "starry_night.jpg"
    assert win.picture is not None and win.has_unsaved_picture()
    assert win.banner.action_button.text() == "Continue the run"
    recovered_step = win.autosave._read_state()["step"]
    assert recovered_step > 0
    win.set_params(win.params().replace(steps=recovered_step + 2))  # keep the test short
    reports = []
    win.controller.progressed.connect(reports.append)
    with qtbot.waitSignal(win.controller.run_finished, timeout=120000):
        win.banner.action_button.click()
    assert reports[0].step == recovered_step + 1  # it continued where it stopped
    win.picture_saved = True
    win.close()


def test_declining_recovery_does_not_ask_again(qtbot, tmp_path, event_loop_qt, image_paths):
    first = make_window(qtbot, tmp_path)
    load_both(qtbot, first, image_paths)
    first.autosave.begin_run(first.content_well.image, (first.style_well.image,), None, (None,), first.params())
    first._autosave_writer.shutdown()
    first.controller.shutdown()  # no close: as after a crash
    dialogs = ScriptedDialogs()
    dialogs.confirm_answer = False
    make_window(qtbot, tmp_path, dialogs)
    assert len([q for q in dialogs.asked if "did not close properly" in q]) == 1
    dialogs_again = ScriptedDialogs()
    make_window(qtbot, tmp_path, dialogs_again)
    assert not any("did not close properly" in q for q in dialogs_again.asked)


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def test_start_stop_cycles_and_random_changes(qtbot, window, image_paths, tmp_path):
    """A short version of tests/benchmarks/stress.py (which does 100 cycles and 1,000 changes)."""
    import random

    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=32, steps=100_000))
    engines, engine_threads = [], []
    for _ in range(15):
        window.last_progress = None
        window.start()
        engines.append(weakref.ref(window.controller.engine))
        qtbot.waitUntil(lambda: window.last_progress is not None, timeout=SLOW)
        with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
            window.stop()
        # The engine thread and the threads it started (torch's pool inherits its name).
        engine_threads.append(sum(name.startswith("brushwork-engin") for name in os_thread_names()))
    # All runs share one engine thread: the count never grows (the first release started one per run).
    assert engine_threads[0] >= 1 and engine_threads == [engine_threads[0]] * 15, engine_threads
    gc.collect()
    # ... and no run's engine, with its network and pictures, is kept in memory.
    assert all(engine() is None for engine in engines)
    rng = random.Random(3)
    other = tmp_path / "other.png"
    from tests.conftest import make_photo

    make_photo(40, 56).save(other)
    errors = []
    window.error_shown.connect(errors.append)
    window.start()
    for i in range(150):
        choice = rng.random()
        if choice < 0.8:
            field = rng.choice([*list(window.editor.layers.fields.values()), window.editor.balance.beta])
            field.slider.setValue(rng.randint(0, 1000))
        elif choice < 0.9:
            window.load_image_into(rng.choice([CONTENT, STYLE]), rng.choice([other, image_paths[0]]))
        else:
            window.editor.size.setValue(rng.choice([32, 40, 48]))
        if i % 10 == 0:
            qtbot.wait(20)
    # The run takes in the last changes and goes on painting, without an error.
    engine = window.controller.engine
    mark = engine.steps_done
    qtbot.waitUntil(lambda: engine.steps_done >= mark + 3, timeout=SLOW)
    assert window.controller.running and not errors
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        window.stop()
    assert _rss_mib() < 3000
    assert window.controller.shutdown(SLOW)
    qtbot.waitUntil(lambda: not any(name.startswith("brushwork-engin") for name in os_thread_names()), timeout=SLOW)
