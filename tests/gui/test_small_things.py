"""Issue 29, finding 9: a photo too small to paint, messages that outlive their truth, the balance's sliders."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from tests.bad_inputs import BAD_IMAGES
from tests.clips import make_clip
from tests.conftest import make_photo
from tests.gui.conftest import SLOW, click, drop, file_mime, load_both, type_into
from tests.gui.painting import RED, load_photo, press, spotted_photo, stroke


def test_a_one_pixel_photo_is_refused_as_too_small(qtbot, window, image_paths, tmp_path):
    # It was taken silently and painted a 128 px square of pure texture.
    load_both(qtbot, window, image_paths)
    dot = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (200, 40, 40)).save(dot)
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as shown:
        drop(window.content_well, file_mime(dot))
    assert "dot.png is 1 x 1 px" in shown.args[0] and "too small" in shown.args[0]
    qtbot.waitUntil(lambda: not window._tasks, timeout=SLOW)
    assert window.content_well.path == image_paths[0]  # the photo there stays


def test_a_good_load_takes_the_damaged_files_message_away(qtbot, window, image_paths, tmp_path):
    make, _words = BAD_IMAGES["truncated JPEG"]
    cut = make(tmp_path)
    with qtbot.waitSignal(window.error_shown, timeout=SLOW):
        drop(window.content_well, file_mime(cut))
    assert "cut.jpg" in window.statusBar().currentMessage()
    load_both(qtbot, window, image_paths)
    assert "cut.jpg" not in window.statusBar().currentMessage()
    assert not window.banner.isVisible()


def test_the_frame_message_goes_when_a_still_photo_replaces_the_clip(qtbot, window, image_paths, tmp_path):
    clip = make_clip(tmp_path / "walk.mp4", frames=4)
    drop(window.content_well, file_mime(clip))
    drop(window.style_well, file_mime(image_paths[1]))
    qtbot.waitUntil(lambda: window.inputs.clip is not None and not window._tasks, timeout=SLOW)
    window.set_params(window.params().replace(size=48, steps=3))
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: not window.controller.running and window.picture is not None, timeout=SLOW)
    window.clip_bar.slider.setFocus()
    with qtbot.waitSignal(window.inputs.content_changed, timeout=SLOW):
        qtbot.keyClick(window.clip_bar.slider, Qt.Key.Key_End)
    assert window.statusBar().currentMessage().startswith("Frame 4 is the photo now")
    load_photo(qtbot, window, image_paths[0])
    assert window.inputs.clip is None
    assert "Frame 4" not in window.statusBar().currentMessage()


def test_no_word_of_regions_staying_when_there_are_none(qtbot, window, tmp_path):
    load_photo(qtbot, window, spotted_photo(tmp_path / "photo.png"))
    press(qtbot, window, Qt.Key.Key_B)
    stroke(window, [(10, 20), (60, 20)])
    press(qtbot, window, Qt.Key.Key_Escape)
    click(qtbot, window.editor.regions.remove_button)  # its paint stays, for Ctrl+Z
    assert not window.params().regions and window.mask_doc.plane(RED) is not None
    tall = tmp_path / "tall.png"
    make_photo(40, 90).save(tall)  # another shape: the masks are cleared
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    load_photo(qtbot, window, tall)
    assert not any("regions and their settings stay" in m for m in messages)

    # With a region, the note is still given.
    press(qtbot, window, Qt.Key.Key_B)
    stroke(window, [(5, 20), (30, 20)])
    press(qtbot, window, Qt.Key.Key_Escape)
    load_photo(qtbot, window, spotted_photo(tmp_path / "wide.png"))
    assert any("regions and their settings stay" in m for m in messages)


def test_beta_and_the_ratio_sit_at_one_place_for_one_value(qtbot, window):
    balance = window.editor.balance
    assert balance.alpha.value() == 1.0  # beta is the ratio then
    for value in ("0.05", "100", "3000"):
        type_into(qtbot, balance.beta.spin, value)
        assert balance.ratio.value() == float(value)
        assert balance.beta.slider.value() == balance.ratio.slider.value()
    slider_ends = [balance.ratio.slider.minimum(), balance.ratio.slider.maximum()]
    for end in slider_ends:
        balance.ratio.slider.setFocus()
        qtbot.keyClick(balance.ratio.slider, Qt.Key.Key_Home if end == slider_ends[0] else Qt.Key.Key_End)
        assert balance.beta.slider.value() == balance.ratio.slider.value() == end


def test_the_ratio_box_keeps_to_its_range(qtbot, window):
    balance = window.editor.balance
    type_into(qtbot, balance.ratio.spin, "100000")  # documented: 1e-2 to 1e4
    window.editor.flush()
    assert balance.ratio.value() == 1e4 and window.params().beta == 1e4
    type_into(qtbot, balance.ratio.spin, "0.001")
    window.editor.flush()
    assert balance.ratio.value() == 1e-2 and window.params().beta == 1e-2
    # A beta typed past the ratio's range is kept, and the ratio box says it is past its end.
    type_into(qtbot, balance.beta.spin, "50000")
    window.editor.flush()
    assert window.params().beta == 50000.0
    assert balance.ratio.spin.text() == "> 10000"
    type_into(qtbot, balance.ratio.spin, "20")
    window.editor.flush()
    assert balance.ratio.spin.text() == "20" and window.params().beta == 20.0
    assert np.isclose(window.params().beta / window.params().alpha, 20.0)


def _paint(qtbot, window) -> None:
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: not window.controller.running and window.picture is not None, timeout=SLOW)


def test_the_history_strip_sets_runs_apart_and_follows_the_newest(qtbot, window, image_paths):
    from brushwork.gui.panels.history_strip import RUN_STARTS
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QAbstractSlider

    load_both(qtbot, window, image_paths)
    window.set_params(window.params().replace(size=64, steps=4))
    strip, snapshots = window.history.list, window.history.snapshots
    _paint(qtbot, window)
    first_run = len(snapshots)
    assert first_run >= 1 and not any(strip.item(row).data(RUN_STARTS) for row in range(first_run))
    for _ in range(10):  # more than the strip shows at once
        click(qtbot, window.history.snapshot_button)
        newest = strip.visualItemRect(strip.item(len(snapshots) - 1))
        assert strip.viewport().rect().contains(newest.center()), "the newest snapshot is out of sight"
    assert strip.horizontalScrollBar().maximum() > 0

    before = len(snapshots)
    _paint(qtbot, window)
    assert len(snapshots) > before
    starts = [row for row in range(len(snapshots)) if strip.item(row).data(RUN_STARTS)]
    assert starts == [before]  # the second run's first snapshot, and only it
    assert "run 2" in strip.item(before).toolTip() and "run 1" in strip.item(before - 1).toolTip()
    # The bar is drawn where the artist sees it.
    rect = strip.visualItemRect(strip.item(before))
    assert strip.viewport().rect().contains(rect.left() + 1, rect.center().y())
    shot = strip.viewport().grab().toImage()
    bar = shot.pixelColor(rect.left() + 1, rect.center().y())
    assert bar == strip.palette().color(QPalette.ColorRole.Highlight)

    # Scrolled back to look at the first run, the strip stays there when a snapshot comes.
    strip.horizontalScrollBar().triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)
    click(qtbot, window.history.snapshot_button)
    assert strip.horizontalScrollBar().value() == 0


def test_the_runs_are_kept_with_the_history(tmp_path):
    from brushwork.engine.settings.style_params import StyleParams
    from brushwork.gui.panels.history_strip import Snapshot
    from brushwork.gui.persist.history_store import HistoryStore

    picture = np.zeros((12, 16, 3), np.uint8)
    kept = [Snapshot(picture, StyleParams(), 3, 9, "scale 1", run) for run in (1, 1, 2)]
    HistoryStore(tmp_path).write(kept)
    assert [snapshot.run for snapshot in HistoryStore(tmp_path).read()] == [1, 1, 2]
