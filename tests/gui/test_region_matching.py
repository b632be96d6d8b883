"""Regions matched to parts of a painting ("sky to sky"): a mask on the painting, into the run, off and on again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from brushwork.engine.settings.regions import RegionSetting
from brushwork.gui.persist.mask_store import painting_mask_file_name
from brushwork.gui.roles import STYLE
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt

from tests.conftest import make_painting
from tests.gui.conftest import SLOW, ScriptedDialogs, click, load_both, make_window
from tests.gui.painting import GREEN, RED, choose, press

TOP, BOTTOM = (10, 5), (45, 5)  # (row, column) in the painting's top and bottom halves: red, then green


def painting_mask(path: Path, size: tuple[int, int] = (56, 56), colours=(RED, GREEN)) -> Path:
    """Red over the painting's top half, green over its bottom half, on black (what --style-regions reads)."""
    width, height = size
    image = Image.new("RGB", size, (0, 0, 0))
    draw = ImageDraw.Draw(image)
    if RED in colours:
        draw.rectangle((0, 0, width - 1, height // 2 - 1), fill=RED)
    if GREEN in colours:
        draw.rectangle((0, height // 2 + height // 8, width - 1, height - 1), fill=GREEN)
    image.save(path)
    return path


def add_painting(qtbot, window, path: Path, size: tuple[int, int], seed: int = 2) -> None:
    count = len(window.inputs.all_styles())
    make_painting(*size, seed=seed).save(path)
    window.inputs.add_style_image(path)
    qtbot.waitUntil(lambda: len(window.inputs.all_styles()) == count + 1 and not window._tasks, timeout=SLOW)


def two_regions(window, red_style=(1.0,), green_style=(1.0,)) -> None:
    regions = (RegionSetting("red", "sky", red_style), RegionSetting("green", "sea", green_style))
    window.set_params(window.params().replace(size=64, steps=100_000, regions=regions))


def match(qtbot, window, path: Path, by_menu: bool = False) -> None:
    """Match to parts of a painting...: the panel's button (or the Regions menu's action), and the file read."""
    window.dialogs.mask_path = path
    if by_menu:
        window.match_painting_action.trigger()
    else:
        click(qtbot, window.editor.regions.match_button)
    qtbot.waitUntil(lambda: not window._tasks, timeout=SLOW)


def style_masks(window) -> tuple:
    return window.controller.engine._inputs.masks.style


def is_red_half(mask) -> bool:
    pixels = np.asarray(mask)
    return mask is not None and pixels[TOP] == 255 and pixels[BOTTOM] == 0


def test_a_mask_on_the_painting_reaches_the_run_and_stands_aside_for_a_blend(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)
    add_painting(qtbot, window, tmp_path / "wide.png", (60, 40))
    two_regions(window, red_style=(1.0,), green_style=(0.0, 1.0))  # red: the first painting; green: the second
    reports = []
    window.controller.progressed.connect(reports.append)
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=SLOW)

    match(qtbot, window, painting_mask(tmp_path / "sky_to_sky.png"))
    # Red takes its style from the painting's top half; green's style is the other painting: no mask for it.
    qtbot.waitUntil(lambda: len(style_masks(window)) == 2 and is_red_half(style_masks(window)[0]), timeout=SLOW)
    assert style_masks(window)[1] is None
    handed = style_masks(window)[0]
    panel = window.editor.regions
    note = panel.row(RED).painting_note
    assert note.isVisible() and note.text() == "style from part of painting.png" and "painting.png" in note.toolTip()
    assert not panel.row(GREEN).painting_note.isVisible()
    mark = len(reports)
    qtbot.waitUntil(lambda: len(reports) > mark + 1, timeout=SLOW)  # the run goes on with it

    choose(qtbot, panel.row(RED).style, -1)  # the first painting -> the picture's blend (of both paintings)
    qtbot.waitUntil(lambda: style_masks(window) == (), timeout=SLOW)
    assert window.params().regions[0].style == () and not note.isVisible()
    mark = len(reports)
    qtbot.waitUntil(lambda: len(reports) > mark + 1, timeout=SLOW)  # and goes on without it: no failure
    assert window.controller.running and not window.banner.isVisible()

    choose(qtbot, panel.row(RED).style, 1)  # back to the first painting: the mask applies again
    qtbot.waitUntil(lambda: style_masks(window) != () and style_masks(window)[0] is handed, timeout=SLOW)
    assert note.isVisible()
    mark = len(reports)
    qtbot.waitUntil(lambda: len(reports) > mark + 1, timeout=SLOW)
    click(qtbot, window.stop_button)


def test_the_painting_is_found_by_the_masks_shape(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)  # the painting is 56 x 56
    add_painting(qtbot, window, tmp_path / "wide.png", (60, 40))
    add_painting(qtbot, window, tmp_path / "square.png", (84, 84), seed=3)
    two_regions(window, red_style=(0.0, 0.0, 1.0), green_style=(0.0, 1.0))
    masks = window.mask_doc.painting_masks
    match(qtbot, window, painting_mask(tmp_path / "wide_mask.png", (120, 80)), by_menu=True)  # twice the size
    assert {c: m.painting for c, m in masks.all().items()} == {RED: 1, GREEN: 1}
    assert masks.get(RED).image.size == (60, 40)
    assert window.editor.regions.row(GREEN).painting_note.text() == "style from part of wide.png"
    assert not window.editor.regions.row(RED).painting_note.isVisible()  # red's style is another painting

    # Two square paintings: the selected region's own, not merely the first.
    window.editor.regions.select(RED)
    match(qtbot, window, painting_mask(tmp_path / "square_mask.png"))
    assert {c: m.painting for c, m in masks.all().items()} == {RED: 2, GREEN: 2}  # it replaced wide.png's
    assert window.editor.regions.row(RED).painting_note.text() == "style from part of square.png"
    window.editor.regions.select(GREEN)  # green uses wide.png: the first square painting, then
    match(qtbot, window, painting_mask(tmp_path / "square_mask.png"))
    assert {c: m.painting for c, m in masks.all().items()} == {RED: 0, GREEN: 0}

    # A greyscale file (white inside) is the selected region's mask, as for the photo.
    grey = Image.new("L", (84, 84), 0)
    ImageDraw.Draw(grey).rectangle((0, 42, 83, 83), fill=255)
    grey.save(tmp_path / "grey.png")
    window.editor.regions.select(RED)
    match(qtbot, window, tmp_path / "grey.png")
    assert {c: m.painting for c, m in masks.all().items()} == {RED: 2, GREEN: 0}
    assert np.asarray(masks.get(RED).image)[60, 5] == 255 and np.asarray(masks.get(RED).image)[10, 5] == 0


def test_a_bad_painting_mask_says_why_and_changes_nothing(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)
    two_regions(window)
    match(qtbot, window, painting_mask(tmp_path / "good.png"))
    kept = window.mask_doc.painting_masks.all()
    params = window.params()
    (tmp_path / "notes.png").write_text("not a picture")
    painting_mask(tmp_path / "tall.png", (40, 80))
    Image.new("RGB", (56, 56), (120, 60, 20)).save(tmp_path / "brown.png")
    cases = {
        "notes.png": "is not an image",
        "tall.png": "the shape of none of the paintings (painting.png is 56 x 56 px)",
        "brown.png": "none of the region colours",
    }
    for name, reason in cases.items():
        window.dialogs.mask_path = tmp_path / name
        with qtbot.waitSignal(window.error_shown, timeout=SLOW) as shown:
            click(qtbot, window.editor.regions.match_button)
        assert reason in shown.args[0] and window.banner.isVisible() and reason in window.banner.label.text()
        qtbot.waitUntil(lambda: not window._tasks, timeout=SLOW)
        assert window.mask_doc.painting_masks.all() == kept and window.params() == params
    assert window.editor.regions.row(RED).painting_note.isVisible()


def test_clearing_the_painting_masks_reaches_the_run_and_undo_brings_them_back(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)
    two_regions(window)
    panel = window.editor.regions
    assert not panel.clear_matches_button.isEnabled() and not window.clear_matches_action.isEnabled()
    reports = []
    window.controller.progressed.connect(reports.append)
    click(qtbot, window.start_button)
    qtbot.waitUntil(lambda: len(reports) >= 1, timeout=SLOW)
    match(qtbot, window, painting_mask(tmp_path / "sky_to_sky.png"))
    qtbot.waitUntil(lambda: len(style_masks(window)) == 2 and is_red_half(style_masks(window)[0]), timeout=SLOW)
    assert np.asarray(style_masks(window)[1])[BOTTOM] == 255  # green: the bottom half
    assert window.clear_matches_action.isEnabled()

    click(qtbot, panel.clear_matches_button)
    qtbot.waitUntil(lambda: style_masks(window) == (), timeout=SLOW)
    assert not window.mask_doc.painting_masks.all() and not panel.row(RED).painting_note.isVisible()
    assert not panel.clear_matches_button.isEnabled()
    mark = len(reports)
    qtbot.waitUntil(lambda: len(reports) > mark + 1, timeout=SLOW)

    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the clear was one step
    qtbot.waitUntil(lambda: len(style_masks(window)) == 2 and is_red_half(style_masks(window)[0]), timeout=SLOW)
    window.clear_matches_action.trigger()  # Regions > Clear painting masks
    qtbot.waitUntil(lambda: style_masks(window) == (), timeout=SLOW)
    click(qtbot, window.stop_button)


def test_removing_a_painting_takes_its_masks_and_moves_the_later_ones(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)
    add_painting(qtbot, window, tmp_path / "wide.png", (60, 40))
    add_painting(qtbot, window, tmp_path / "square.png", (84, 84), seed=3)
    two_regions(window, red_style=(0.0, 0.0, 1.0), green_style=(0.0, 1.0))
    masks = window.mask_doc.painting_masks
    match(qtbot, window, painting_mask(tmp_path / "on_wide.png", (60, 40)))
    window.editor.regions.select(RED)
    match(qtbot, window, painting_mask(tmp_path / "on_square.png", (84, 84)))
    assert {c: m.painting for c, m in masks.all().items()} == {RED: 2, GREEN: 2}
    window.editor.regions.select(GREEN)
    match(qtbot, window, painting_mask(tmp_path / "green_on_wide.png", (60, 40), colours=(GREEN,)))
    assert {c: m.painting for c, m in masks.all().items()} == {RED: 2, GREEN: 1}

    click(qtbot, window.editor.style.remove_buttons()[1])  # wide.png goes: green's mask with it
    assert {c: m.painting for c, m in masks.all().items()} == {RED: 1}
    assert window.editor.regions.row(RED).painting_note.text() == "style from part of square.png"
    # The Style well's painting replaced by one of another shape: nothing is matched to it any more.
    match(qtbot, window, painting_mask(tmp_path / "on_first.png"))
    assert {c: m.painting for c, m in masks.all().items()} == {RED: 0, GREEN: 0}
    make_painting(30, 50).save(tmp_path / "tall.png")
    window.load_image_into(STYLE, tmp_path / "tall.png")
    qtbot.waitUntil(lambda: window.style_well.path == tmp_path / "tall.png" and not window._tasks, timeout=SLOW)
    assert masks.all() == {} and "changed shape" in window.statusBar().currentMessage()


def test_painting_masks_come_back_with_the_session(qtbot, tmp_path, event_loop_qt, image_paths):
    first = make_window(qtbot, tmp_path)
    load_both(qtbot, first, image_paths)
    add_painting(qtbot, first, tmp_path / "wide.png", (60, 40))
    two_regions(first, red_style=(0.0, 1.0), green_style=(0.0, 1.0))
    match(qtbot, first, painting_mask(tmp_path / "on_wide.png", (60, 40)))
    kept = {c: (m.painting, np.asarray(m.image).copy()) for c, m in first.mask_doc.painting_masks.all().items()}
    assert set(kept) == {RED, GREEN}
    first.close()

    second = make_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: len(second.mask_doc.painting_masks.all()) == 2, timeout=SLOW)
    back = second.mask_doc.painting_masks.all()
    assert all(back[c].painting == kept[c][0] and np.array_equal(np.asarray(back[c].image), kept[c][1]) for c in kept)
    assert second.editor.regions.row(RED).painting_note.text() == "style from part of wide.png"
    assert second.controller.shutdown(10000)


def test_painting_masks_matched_during_a_run_are_recovered_after_a_crash(qtbot, tmp_path, event_loop_qt, image_paths):
    first = make_window(qtbot, tmp_path)
    load_both(qtbot, first, image_paths)
    two_regions(first)
    click(qtbot, first.start_button)
    qtbot.waitUntil(lambda: first.last_progress is not None, timeout=SLOW)
    match(qtbot, first, painting_mask(tmp_path / "sky_to_sky.png"))
    saved = first.autosave.folder / painting_mask_file_name(0, RED)
    qtbot.waitUntil(saved.exists, timeout=SLOW)
    qtbot.waitUntil((first.autosave.folder / painting_mask_file_name(0, GREEN)).exists, timeout=SLOW)
    first.controller.shutdown()
    first._autosave_writer.shutdown()  # no close: as after a crash
    second = make_window(qtbot, tmp_path, ScriptedDialogs())
    back = second.mask_doc.painting_masks.all()
    assert {c: m.painting for c, m in back.items()} == {RED: 0, GREEN: 0} and is_red_half(back[RED].image)
    assert second.editor.regions.row(RED).painting_note.isVisible()
    assert second.controller.shutdown(10000)
