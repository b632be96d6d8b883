"""Keep faces in the window: a click finds the faces, each a region the artist edits like a painted one."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
from brushwork.engine.pictures import faces
from brushwork.gui.regions import face_regions
from PIL import Image

from tests.gui.conftest import SLOW, click, make_window, type_into
from tests.gui.painting import GREEN, RED, canvas_point, load_photo, plane, stroke

PORTRAIT = Path(__file__).parent.parent / "data" / "astronaut_192.jpg"
FACE = (83, 46)  # between the eyes, in the photo's (and the masks') pixels


def _gradient(path: Path) -> Path:
    y, x = np.mgrid[0:48, 0:64]
    Image.fromarray((np.stack([x * 4, y * 5, 128 + 0 * x], axis=-1)).astype(np.uint8), "RGB").save(path)
    return path


def _keep_faces_checkbox(qtbot, window):
    panel = window.editor.regions
    if not panel.body.isVisible():
        click(qtbot, panel.toggle)  # open the Regions section, as the artist does
    return panel.keep_faces


def _face_regions(params):
    return [region for region in params.regions if region.face]


def _status(window) -> str:
    return window.statusBar().currentMessage()


def test_keep_faces_adds_a_face_region_that_is_edited_like_a_painted_one(qtbot, window, monkeypatch):
    threads = []

    def spied(photo):
        threads.append(threading.current_thread())
        return faces.find_faces(photo)

    monkeypatch.setattr(face_regions, "find_faces", spied)
    load_photo(qtbot, window, PORTRAIT)
    panel = window.editor.regions
    click(qtbot, _keep_faces_checkbox(qtbot, window))
    qtbot.waitUntil(lambda: bool(_face_regions(window.params())), timeout=SLOW)
    assert threads and threading.main_thread() not in threads  # looked for off the GUI thread

    # One region, in the list, with its name and the lowered strength, and its soft mask around the face.
    (face,) = window.params().regions
    assert (face.name, face.strength, face.rgb) == ("Face 1", faces.KEEP_FACES_STRENGTH, RED)
    row = panel.row(RED)
    assert row is not None and row.name.text() == "Face 1" and row.strength.value() == faces.KEEP_FACES_STRENGTH
    mask = plane(window, RED)
    assert mask[FACE[1], FACE[0]] == 255 and mask[5, 5] == 0 and mask[185, 185] == 0
    assert "Found 1 face: Face 1, a region with 0.05 of the style" in _status(window)
    # On the canvas: the overlay covers the face and nothing far from it.
    shown = window.preview.canvas.grab().toImage()
    click(qtbot, row.visible)
    hidden = window.preview.canvas.grab().toImage()
    at_face, far = canvas_point(window, *FACE), canvas_point(window, 5, 5)
    assert shown.pixelColor(at_face) != hidden.pixelColor(at_face)
    assert shown.pixelColor(far) == hidden.pixelColor(far)
    click(qtbot, row.visible)

    # Its strength typed in by hand reaches the run's settings.
    type_into(qtbot, row.strength.spin, "0.6")
    qtbot.waitUntil(lambda: _face_regions(window.run_masks.params)[0].strength == 0.6, timeout=SLOW)
    # The eraser takes it off the face, as from a painted region.
    click(qtbot, panel.tool_buttons["eraser"])
    panel.hardness.spin.setValue(1.0)
    panel.brush_size.spin.setValue(30)
    stroke(window, [(FACE[0] - 10, FACE[1]), (FACE[0] + 10, FACE[1])])
    assert plane(window, RED)[FACE[1], FACE[0]] == 0

    # A region the artist paints stays when Keep faces goes off; the face region goes.
    click(qtbot, panel.add_button)
    assert panel.current == GREEN
    click(qtbot, panel.tool_buttons["brush"])
    stroke(window, [(20, 150), (60, 150)])
    click(qtbot, panel.tool_buttons["brush"])  # the brush put down again
    green = plane(window, GREEN)
    assert green.any()
    click(qtbot, panel.keep_faces)
    qtbot.waitUntil(lambda: not _face_regions(window.params()), timeout=SLOW)
    assert [region.rgb for region in window.params().regions] == [GREEN]
    assert np.array_equal(plane(window, GREEN), green)
    assert [region.rgb for region in window.run_masks.params.regions] == [GREEN]
    assert "removed 1 face region" in _status(window)


def test_a_photo_without_a_face_changes_nothing_and_a_new_photo_is_looked_at_again(qtbot, window, tmp_path):
    load_photo(qtbot, window, _gradient(tmp_path / "gradient.png"))
    before = window.params()
    click(qtbot, _keep_faces_checkbox(qtbot, window))
    qtbot.waitUntil(lambda: "No face found in the photo: nothing changed" in _status(window), timeout=SLOW)
    assert window.params() == before and window.editor.regions.rows == []

    # While it is on, a new photo is looked at: its face becomes a region ...
    load_photo(qtbot, window, PORTRAIT)
    qtbot.waitUntil(lambda: bool(_face_regions(window.params())), timeout=SLOW)
    # ... and a photo without a face takes the last photo's face regions away, and says so.
    load_photo(qtbot, window, _gradient(tmp_path / "another.png"))
    qtbot.waitUntil(lambda: "the last photo's 1 face region went with it" in _status(window), timeout=SLOW)
    assert window.params() == before


def test_without_dlib_the_toggle_says_why_and_the_window_goes_on(qtbot, tmp_path, event_loop_qt, monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)  # what an import of a missing package finds
    window = make_window(qtbot, tmp_path)
    try:
        checkbox = window.editor.regions.keep_faces
        assert not checkbox.isEnabled() and not checkbox.isChecked()
        assert "unavailable" in checkbox.text() and "pip install dlib-bin" in checkbox.toolTip()
        load_photo(qtbot, window, PORTRAIT)
        assert window.params().regions == ()
    finally:
        assert window.controller.shutdown(10000)
        assert window.clips.job.shutdown(10000)


def test_face_regions_edited_by_hand_come_back_with_the_session_as_they_were(qtbot, tmp_path, event_loop_qt):
    first = make_window(qtbot, tmp_path)
    load_photo(qtbot, first, PORTRAIT)
    click(qtbot, _keep_faces_checkbox(qtbot, first))
    qtbot.waitUntil(lambda: bool(_face_regions(first.params())), timeout=SLOW)
    type_into(qtbot, first.editor.regions.row(RED).strength.spin, "0.1")
    qtbot.waitUntil(lambda: _face_regions(first.params())[0].strength == 0.1, timeout=SLOW)
    panel = first.editor.regions
    click(qtbot, panel.tool_buttons["eraser"])
    panel.hardness.spin.setValue(1.0)
    panel.brush_size.spin.setValue(20)
    stroke(first, [(FACE[0], FACE[1] - 5), (FACE[0], FACE[1] + 5)])
    edited = plane(first, RED)
    assert edited[FACE[1], FACE[0]] == 0
    first.close()

    # The next launch finds the same photo: its face regions stay as the artist left them, not found afresh.
    second = make_window(qtbot, tmp_path)
    try:
        qtbot.waitUntil(lambda: second.content_well.path == PORTRAIT and not second._tasks, timeout=SLOW)
        assert [(r.name, r.strength) for r in _face_regions(second.params())] == [("Face 1", 0.1)]
        assert np.array_equal(plane(second, RED), edited)
        assert second.editor.regions.keep_faces.isChecked()
    finally:
        assert second.controller.shutdown(10000)
