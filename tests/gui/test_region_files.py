"""Regions kept: settings in the parameters and presets, masks in files, in the session and in the autosave."""

from __future__ import annotations

import numpy as np
from brushwork.engine.settings.regions import RegionSetting, masks_from_colour_image
from brushwork.gui.persist.mask_store import mask_file_name
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt

from tests.gui.conftest import SLOW, ScriptedDialogs, click, load_both, make_window, type_into
from tests.gui.painting import GREEN, RED, choose, load_photo, plane, press, spotted_photo, stroke


def _paint_two_regions(qtbot, window) -> tuple[np.ndarray, np.ndarray]:
    press(qtbot, window, Qt.Key.Key_B)
    window.editor.regions.hardness.spin.setValue(1.0)
    window.editor.regions.brush_size.spin.setValue(40)
    stroke(window, [(10, 20), (80, 20)])
    click(qtbot, window.editor.regions.add_button)
    stroke(window, [(10, 55), (80, 55)])
    return plane(window, RED), plane(window, GREEN)


def test_region_settings_reach_the_parameters_and_a_preset_keeps_them(qtbot, window, image_paths):
    load_both(qtbot, window, image_paths)
    panel = window.editor.regions
    click(qtbot, panel.toggle)
    click(qtbot, panel.add_button)
    row = panel.row(RED)
    qtbot.mouseClick(row.name, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(row.name, "sky")
    qtbot.keyClick(row.name, Qt.Key.Key_Return)
    choose(qtbot, row.style, 1)  # the picture's blend -> the painting
    type_into(qtbot, row.strength.spin, "2.5")
    click(qtbot, panel.add_button)
    choose(qtbot, panel.row(GREEN).style, 2)  # -> the painting -> photo only (which keeps that choice aside)
    choose(qtbot, panel.outside, 1)  # outside the regions: the photo
    window.editor.flush()
    expected = (RegionSetting("red", "sky", (1.0,), False, 2.5), RegionSetting("green", "", (1.0,), True, 1.0))
    assert window.params().regions == expected and window.params().outside_regions == "photo"
    assert not panel.row(GREEN).strength.isEnabled()  # photo only: no strength to set

    window.dialogs.text = "Sky only"
    click(qtbot, window.presets_bar.save_as_button)
    window.presets.apply(next(p for p in window.library.builtin() if p.name == "Gatys 2016"))
    assert window.params().regions == () and not panel.rows
    combo = window.presets_bar.combo
    index = next(i for i, p in enumerate(window.presets_bar._presets) if p and p.name == "Sky only")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    assert window.params().regions == expected and window.params().outside_regions == "photo"
    assert panel.row(RED).name.text() == "sky" and panel.row(RED).style.currentData() == 0
    assert panel.row(GREEN).style.currentData() == "photo" and panel.outside.currentData() == "photo"


def test_a_preset_blend_is_kept_until_another_style_is_chosen(qtbot, window):
    window.set_params(window.params().replace(regions=(RegionSetting("red", style=(0.3, 0.7)),)))
    row = window.editor.regions.row(RED)
    assert row.style.currentData() == "preset"
    type_into(qtbot, row.strength.spin, "2")
    window.editor.flush()
    assert window.params().regions[0].style == (0.3, 0.7)  # untouched by an edit of another field


def test_removing_a_painting_moves_the_regions_styles_with_it(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)
    second = tmp_path / "second.png"
    Image.new("RGB", (40, 40), (10, 200, 10)).save(second)
    window.inputs.add_style_image(second)
    qtbot.waitUntil(lambda: len(window.inputs.all_styles()) == 2 and not window._tasks, timeout=SLOW)
    window.set_params(
        window.params().replace(regions=(RegionSetting("red", style=(0.0, 1.0)), RegionSetting("green", style=(1.0,))))
    )
    assert window.editor.regions.row(RED).style.currentText() == "Style: second.png"
    click(qtbot, window.editor.style.remove_buttons()[1])
    assert [r.style for r in window.params().regions] == [(), (1.0,)]


def test_export_then_import_gives_the_same_regions_back(qtbot, window, tmp_path):
    load_photo(qtbot, window, spotted_photo(tmp_path / "photo.png"))
    red, green = _paint_two_regions(qtbot, window)
    window.dialogs.mask_path = tmp_path / "regions.png"
    window.export_mask_action.trigger()  # File > Export region mask...
    qtbot.waitUntil(lambda: not window._tasks, timeout=SLOW)
    written = Image.open(tmp_path / "regions.png")
    assert written.mode == "RGB" and written.size == (96, 72)
    # What the command line's --regions reads:
    cli_red, cli_green = (np.asarray(m, int) for m in masks_from_colour_image(written, ["red", "green"]))
    assert np.abs(cli_red - red).max() <= 2 and np.abs(cli_green - green).max() <= 2

    click(qtbot, window.editor.regions.remove_button)
    click(qtbot, window.editor.regions.remove_button)
    assert window.params().regions == ()
    click(qtbot, window.editor.regions.import_button)
    qtbot.waitUntil(lambda: not window._tasks, timeout=SLOW)
    assert [r.rgb for r in window.params().regions] == [RED, GREEN]
    assert np.abs(plane(window, RED).astype(int) - red).max() <= 2
    assert np.abs(plane(window, GREEN).astype(int) - green).max() <= 2
    # The import is one step back.
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.params().regions == ()


def test_a_greyscale_mask_goes_into_the_selected_region(qtbot, window, tmp_path):
    load_photo(qtbot, window, spotted_photo(tmp_path / "photo.png"))
    _paint_two_regions(qtbot, window)
    red = plane(window, RED)
    grey = Image.new("L", (192, 144), 0)  # twice the photo's size: the same shape is enough
    ImageDraw.Draw(grey).rectangle((40, 40, 119, 99), fill=255)
    grey.save(tmp_path / "grey.png")
    window.dialogs.mask_path = tmp_path / "grey.png"
    window.import_mask_action.trigger()
    qtbot.waitUntil(lambda: not window._tasks, timeout=SLOW)
    green = plane(window, GREEN)
    assert green[35, 40] == 255 and green[5, 5] == 0 and green[60, 60] == 0
    assert np.array_equal(plane(window, RED), red)


def test_a_bad_mask_file_says_why_and_changes_nothing(qtbot, window, tmp_path):
    load_photo(qtbot, window, spotted_photo(tmp_path / "photo.png"))
    red, green = _paint_two_regions(qtbot, window)
    params = window.params()
    (tmp_path / "notes.png").write_text("not a picture")
    Image.new("L", (50, 50), 255).save(tmp_path / "square.png")
    Image.new("RGB", (96, 72), (0, 0, 0)).save(tmp_path / "black.png")
    Image.new("RGB", (96, 72), (120, 60, 20)).save(tmp_path / "brown.png")
    cases = {
        "notes.png": "is not an image",
        "square.png": "the photo is 96 x 72 px",
        "black.png": "all black",
        "brown.png": "none of the region colours",
    }
    for name, reason in cases.items():
        window.dialogs.mask_path = tmp_path / name
        with qtbot.waitSignal(window.error_shown, timeout=SLOW) as shown:
            window.import_mask_action.trigger()
        assert reason in shown.args[0] and window.banner.isVisible() and reason in window.banner.label.text()
        assert window.params() == params
        assert np.array_equal(plane(window, RED), red) and np.array_equal(plane(window, GREEN), green)
    stroke(window, [(48, 5), (48, 40)])  # the window works on
    assert plane(window, GREEN)[30, 48] == 255


def test_a_photo_of_another_shape_clears_the_masks_and_keeps_the_regions(qtbot, window, tmp_path):
    load_photo(qtbot, window, spotted_photo(tmp_path / "photo.png"))
    _paint_two_regions(qtbot, window)
    regions = window.params().regions
    load_photo(qtbot, window, spotted_photo(tmp_path / "larger.png", 192, 144))  # the same shape
    assert window.mask_doc.size == (192, 144) and plane(window, RED)[40, 60] == 255
    load_photo(qtbot, window, spotted_photo(tmp_path / "square.png", 80, 80))
    assert window.mask_doc.size == (80, 80) and not window.mask_doc.has_paint()
    assert "cleared" in window.statusBar().currentMessage()
    assert window.params().regions == regions


def test_masks_come_back_with_the_photo_after_closing(qtbot, tmp_path, event_loop_qt):
    photo = spotted_photo(tmp_path / "photo.png")
    first = make_window(qtbot, tmp_path)
    load_photo(qtbot, first, photo)
    red, green = _paint_two_regions(qtbot, first)
    regions = first.params().regions
    first.close()
    assert (tmp_path / "data" / "masks" / mask_file_name(RED)).exists()
    second = make_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: second.content_well.path == photo and not second._tasks, timeout=SLOW)
    assert second.params().regions == regions
    assert np.array_equal(plane(second, RED), red) and np.array_equal(plane(second, GREEN), green)
    assert second.controller.shutdown(10000)


def test_masks_painted_during_a_run_are_recovered_after_a_crash(qtbot, tmp_path, event_loop_qt, image_paths):
    first = make_window(qtbot, tmp_path)
    load_both(qtbot, first, image_paths)
    first.set_params(first.params().replace(size=48, steps=100_000))
    press(qtbot, first, Qt.Key.Key_B)
    stroke(first, [(5, 10), (60, 10)])
    click(qtbot, first.start_button)
    qtbot.waitUntil(lambda: first.last_progress is not None, timeout=SLOW)
    saved = first.autosave.folder / mask_file_name(RED)
    qtbot.waitUntil(saved.exists, timeout=SLOW)
    stroke(first, [(5, 40), (60, 40)])  # while the run goes
    painted = plane(first, RED)

    def autosaved() -> bool:
        try:
            return np.array_equal(np.asarray(Image.open(saved)), painted)
        except OSError:
            return False

    qtbot.waitUntil(autosaved, timeout=SLOW)
    first.controller.shutdown()
    first._autosave_writer.shutdown()  # no close: as after a crash
    dialogs = ScriptedDialogs()
    second = make_window(qtbot, tmp_path, dialogs)
    assert any("did not close properly" in q for q in dialogs.asked)
    assert [r.rgb for r in second.params().regions] == [RED]
    assert np.array_equal(plane(second, RED), painted)
    assert second.controller.shutdown(10000)
