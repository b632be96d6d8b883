"""Keys typed while a box has the focus: a tool's key reaches the tool unless the box takes that character."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.painting import RED, load_photo, plane, press, spotted_photo, stroke

KEYS = {"6": Qt.Key.Key_6, "0": Qt.Key.Key_0, "1": Qt.Key.Key_1}


def _click_into(qtbot, window, spin, text: str) -> None:
    """Scroll the box into view, click into it, select what it holds and type ``text``, as a hand does."""

    def shown() -> bool:
        window.controls_scroll.ensureWidgetVisible(spin)
        return spin.lineEdit().visibleRegion().boundingRect().width() > 20

    qtbot.waitUntil(shown)
    qtbot.mouseClick(spin.lineEdit(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is spin)
    spin.selectAll()
    for char in text:
        press(qtbot, window, KEYS[char])


def test_tool_keys_reach_the_tools_from_the_brush_size_box(qtbot, window, tmp_path):
    # Issue 29, finding 5: B went into the box, the wand stayed, and strokes became wand fills.
    load_photo(qtbot, window, spotted_photo(tmp_path / "photo.png"))
    press(qtbot, window, Qt.Key.Key_W)
    assert window.region_editing.tool == "wand"
    spin = window.editor.regions.brush_size.spin
    _click_into(qtbot, window, spin, "60")
    press(qtbot, window, Qt.Key.Key_B)
    assert window.region_editing.tool == "brush"
    assert spin.text() == "60"  # the size typed is kept, without the B
    window.editor.regions.hardness.spin.setValue(1.0)
    stroke(window, [(10, 20), (60, 20)])  # on the grey that a wand click would flood
    assert window.editor.regions.brush_size.value() == 60.0
    red = plane(window, RED)
    assert (red[20, 10:61] == 255).all() and red[:, 90:].max() == 0 and red[70, :].max() == 0

    for key, tool in ((Qt.Key.Key_G, "fill"), (Qt.Key.Key_E, "eraser"), (Qt.Key.Key_W, "wand")):
        _click_into(qtbot, window, spin, "60")
        press(qtbot, window, key)
        assert window.region_editing.tool == tool and spin.text() == "60"


def test_brackets_grow_the_size_typed_in_the_box(qtbot, window, tmp_path):
    load_photo(qtbot, window, spotted_photo(tmp_path / "photo.png"))
    press(qtbot, window, Qt.Key.Key_B)
    spin = window.editor.regions.brush_size.spin
    _click_into(qtbot, window, spin, "60")
    press(qtbot, window, Qt.Key.Key_BracketRight)
    assert spin.text() == "75" and window.editor.regions.brush_size.value() == 75.0
    press(qtbot, window, Qt.Key.Key_BracketLeft)
    assert spin.text() == "60"


def test_a_key_the_box_takes_stays_in_the_box(qtbot, window, tmp_path):
    load_photo(qtbot, window, spotted_photo(tmp_path / "photo.png"))
    press(qtbot, window, Qt.Key.Key_B)
    # alpha takes exponents ("4e-05"): E after a digit is part of the number, not the eraser.
    spin = window.editor.balance.alpha.spin
    _click_into(qtbot, window, spin, "1")
    for key in (Qt.Key.Key_E, Qt.Key.Key_Minus, Qt.Key.Key_3, Qt.Key.Key_Return):
        press(qtbot, window, key)
    assert window.region_editing.tool == "brush"
    window.editor.flush()
    assert window.params().alpha == 1e-3
    # A region's name takes any letter.
    name = window.editor.regions.rows[0].name
    qtbot.mouseClick(name, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(name.hasFocus)
    name.selectAll()
    press(qtbot, window, Qt.Key.Key_W)
    assert name.text() == "w" and window.region_editing.tool == "brush"
