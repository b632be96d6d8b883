import json

import numpy as np
import pytest
from brushwork.engine.settings.style_params import StyleParams
from brushwork.gui.studio_window import CONTENT, STYLE
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QKeySequence
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import SLOW, ScriptedDialogs, drop, file_mime, load_both, make_window


def test_opens_with_the_defaults(window):
    assert window.editor.current == StyleParams()
    assert window.editor.balance.values() == (1.0, 10.0)
    assert window.editor.balance.ratio.value() == 10.0
    assert [f.value() for f in window.editor.layers.fields.values()] == [1.0, 0.8, 0.6, 0.4, 0.3]
    assert window.editor.content_layer.currentData() == "conv4_2"
    assert not window.editor.advanced.body.isVisible()  # advanced starts collapsed
    assert not window.start_button.isEnabled()  # nothing to paint yet
    assert window.content_well.is_empty and window.style_well.is_empty


def test_real_drops_fill_both_wells(qtbot, window, image_paths):
    content, style = image_paths
    event = drop(window.content_well, file_mime(content))
    assert event.isAccepted()
    drop(window.style_well, file_mime(style))
    qtbot.waitUntil(lambda: not window.content_well.is_empty and not window.style_well.is_empty, timeout=SLOW)
    assert window.content_well.path == content and window.style_well.path == style
    assert window.content_well.image.size == (64, 48)
    assert "64 x 48 px" in window.content_well._size.text()
    assert window.start_button.isEnabled()


def test_a_drop_elsewhere_goes_to_content_then_style(qtbot, window, image_paths):
    content, style = image_paths
    drop(window.preview.canvas, file_mime(content))
    qtbot.waitUntil(lambda: not window.content_well.is_empty, timeout=SLOW)
    drop(window.preview.canvas, file_mime(style))
    qtbot.waitUntil(lambda: not window.style_well.is_empty, timeout=SLOW)
    assert window.content_well.path == content and window.style_well.path == style


def test_two_files_dropped_at_once_fill_both(qtbot, window, image_paths):
    drop(window.preview.canvas, file_mime(*image_paths))
    qtbot.waitUntil(lambda: not window.content_well.is_empty and not window.style_well.is_empty, timeout=SLOW)
    assert window.style_well.path == image_paths[1]


def test_paintings_dropped_together_on_the_style_well_are_blended(qtbot, window, image_paths, tmp_path):
    # A trial dropped two paintings on the Style well: the second was dropped without a word.
    from tests.conftest import make_painting

    second = tmp_path / "second.png"
    make_painting(48, 48, seed=5).save(second)
    drop(window.content_well, file_mime(image_paths[0]))
    event = drop(window.style_well, file_mime(image_paths[1], second))
    assert event.isAccepted()
    qtbot.waitUntil(lambda: len(window.editor.style.blend_fields) == 2, timeout=SLOW)
    assert window.style_well.path == image_paths[1]  # the first is the main painting
    assert [path for path, _ in window.inputs.extra_styles] == [second]
    assert len(window.inputs.all_styles()) == 2  # both go to the run


def test_several_files_dropped_on_the_content_well_use_the_first_and_say_so(qtbot, window, image_paths):
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        drop(window.content_well, file_mime(*image_paths))
    assert f"Only {image_paths[0].name} was used" in blocker.args[0]
    qtbot.waitUntil(lambda: not window.content_well.is_empty, timeout=SLOW)
    assert window.content_well.path == image_paths[0] and window.style_well.is_empty


def test_a_dropped_text_file_shows_an_error_and_the_window_still_works(qtbot, window, image_paths, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("not really a picture")
    with qtbot.waitSignal(window.error_shown, timeout=SLOW) as blocker:
        drop(window.content_well, file_mime(notes))
    assert "notes.png is not an image" in blocker.args[0]
    assert window.banner.isVisible() and window.content_well.is_empty
    load_both(qtbot, window, image_paths)  # still usable
    assert not window.banner.isVisible()


def test_a_bad_file_leaves_the_current_image_in_place(qtbot, window, image_paths, tmp_path):
    load_both(qtbot, window, image_paths)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with qtbot.waitSignal(window.error_shown, timeout=SLOW):
        drop(window.style_well, file_mime(empty))
    assert window.style_well.path == image_paths[1] and "56 x 56 px" in window.style_well._size.text()


def test_a_web_address_is_refused_with_a_clear_message(qtbot, window):
    mime = file_mime()
    from PySide6.QtCore import QUrl

    mime.setUrls([QUrl("https://example.com/cat.jpg")])
    with qtbot.waitSignal(window.error_shown, timeout=2000) as blocker:
        drop(window.content_well, mime)
    assert "web address" in blocker.args[0]


def test_click_opens_a_file_dialog(qtbot, window, image_paths):
    window.dialogs.open_image_path = image_paths[0]
    qtbot.mouseClick(window.content_well, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.content_well.is_empty, timeout=SLOW)
    assert window.dialogs.asked == ["open_image with clips"]  # the Content well takes clips too


def test_paste_an_image_from_the_clipboard(qtbot, window):
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(0xFF2080C0)
    QApplication.clipboard().setImage(image)
    window.inputs.paste()
    qtbot.waitUntil(lambda: not window.content_well.is_empty, timeout=SLOW)
    assert window.content_well.image.size == (40, 30)
    assert np.asarray(window.content_well.image)[5, 5].tolist() == [0x20, 0x80, 0xC0]


@pytest.mark.parametrize(
    ("action", "keys"),
    [
        ("open_content_action", "Ctrl+O"),
        ("open_style_action", "Ctrl+Shift+O"),
        ("save_action", "Ctrl+S"),
        ("start_pause_action", "Space"),
        ("stop_action", "Esc"),
    ],
)
def test_shortcut_keys(window, action, keys):
    assert getattr(window, action).shortcut() == QKeySequence(keys)


def test_ratio_control_sets_beta_and_the_ratio_follows(window):
    balance = window.editor.balance
    balance.alpha.spin.setValue(2.0)
    assert balance.ratio.value() == pytest.approx(5.0)
    balance.ratio.spin.setValue(100.0)
    assert balance.beta.value() == pytest.approx(200.0)
    balance.ratio.slider.setValue(balance.ratio.slider.maximum())
    assert balance.beta.value() == pytest.approx(2.0 * 1e4)
    window.editor.flush()
    assert window.editor.current.beta == pytest.approx(2e4)


def test_invalid_combination_is_reported_not_applied(window):
    window.editor.balance.alpha.spin.setValue(0.0)
    window.editor.balance.beta.spin.setValue(0.0)
    window.editor.flush()
    assert window.editor.error_label.isVisible() and "nothing to optimise" in window.editor.error_label.text()
    assert window.editor.current.beta > 0  # the last valid parameters stay in force


def test_layer_reset_button(window):
    window.editor.layers.fields["conv3_1"].spin.setValue(1.7)
    window.editor.layers.reset_button.click()
    window.editor.flush()
    assert window.editor.current.style_weights["conv3_1"] == 0.6


def _set_every_control(editor):
    editor.balance.alpha.spin.setValue(0.5)
    editor.balance.beta.spin.setValue(250.0)
    for field, value in zip(editor.layers.fields.values(), [0.2, 1.4, 0.0, 1.9, 0.75], strict=True):
        field.spin.setValue(value)
    editor.content_layer.setCurrentIndex(editor.content_layer.findData("conv5_2"))
    editor.size.setValue(320)
    editor.steps.setValue(77)
    adv = editor.advanced
    adv.optimizer.setCurrentIndex(adv.optimizer.findData("adam"))
    adv.init.setCurrentIndex(adv.init.findData("noise"))
    adv.tv_weight.spin.setValue(0.35)
    adv.seed.setValue(1234)
    adv.pooling.setCurrentIndex(adv.pooling.findData("avg"))
    adv.precision.setCurrentIndex(adv.precision.findData("float32"))
    adv.stop_early.setChecked(False)
    adv.clean_edges.setChecked(False)
    adv.trim_frame.setChecked(False)
    editor.style.stroke.spin.setValue(1.5)
    editor.style.colors.setCurrentIndex(editor.style.colors.findData("match"))
    editor.style.strength.spin.setValue(0.6)
    editor.flush()


def test_a_preset_saved_changed_and_reloaded_restores_every_control(qtbot, window):
    _set_every_control(window.editor)
    saved = window.editor.current
    assert saved.optimizer == "adam" and saved.pooling == "avg" and saved.seed == 1234
    assert (saved.precision, saved.stop_early, saved.clean_edges, saved.trim_frame) == ("float32", False, False, False)
    assert (saved.style_scale, saved.keep_colors, saved.color_strength) == (1.5, "match", 0.6)
    window.dialogs.text = "My look"
    window.presets_bar.save_as_button.click()
    assert window.presets_bar.selected().name == "My look"
    assert (window.library.user_dir / "My look.json").exists()

    builtin = next(p for p in window.library.builtin() if p.name == "Gatys 2016")
    window.presets.apply(builtin)
    assert window.editor.current == builtin.params

    mine = next(p for p in window.library.user() if p.name == "My look")
    index = window.presets_bar._presets.index(next(p for p in window.presets_bar._presets if p and p.name == "My look"))
    window.presets_bar.combo.setCurrentIndex(index)
    window.presets_bar.combo.activated.emit(index)
    editor = window.editor
    assert editor.current == mine.params == saved
    assert editor.balance.values() == (0.5, 250.0)
    assert [f.value() for f in editor.layers.fields.values()] == [0.2, 1.4, 0.0, 1.9, 0.75]
    assert editor.content_layer.currentData() == "conv5_2"
    assert (editor.size.value(), editor.steps.value()) == (320, 77)
    assert editor.advanced.optimizer.currentData() == "adam" and editor.advanced.seed.value() == 1234
    assert editor.advanced.precision.currentData() == "float32"
    assert not editor.advanced.stop_early.isChecked() and not editor.advanced.clean_edges.isChecked()
    assert not editor.advanced.trim_frame.isChecked()
    assert editor.style.stroke.value() == 1.5 and editor.style.colors.currentData() == "match"
    assert editor.style.strength.value() == 0.6


def test_preset_overwrite_asks_and_delete_removes(window):
    window.dialogs.text = "Bold"
    window.presets_bar.save_as_button.click()
    window.editor.balance.beta.spin.setValue(999.0)
    window.editor.flush()
    # Choosing a changed control marks the settings as custom.
    assert window.presets_bar.selected() is None
    window.presets_bar.select("Bold")
    window.dialogs.confirm_answer = False
    window.presets_bar.save_button.click()
    assert window.library.user()[0].params.beta == 10.0  # declined: unchanged
    window.dialogs.confirm_answer = True
    window.presets_bar.save_button.click()
    assert window.library.user()[0].params.beta == 999.0
    window.presets_bar.delete_button.click()
    assert window.library.user() == []


def test_save_as_an_existing_name_asks_first(window):
    window.dialogs.text = "Twice"
    window.presets_bar.save_as_button.click()
    window.dialogs.confirm_answer = False
    window.editor.balance.beta.spin.setValue(42.0)
    window.editor.flush()
    window.presets_bar.save_as_button.click()
    assert any("exists" in q for q in window.dialogs.asked)
    assert window.library.user()[0].params.beta == 10.0


def test_import_and_export_presets(window, tmp_path):
    source = tmp_path / "shared.json"
    doc = {"schema_version": 2, "name": "Shared look", "params": {"beta": 77.0}}
    source.write_text(json.dumps(doc))
    window.dialogs.preset_file = source
    window.presets.import_file()
    assert window.editor.current.beta == 77.0 and window.presets_bar.selected().name == "Shared look"
    exported = tmp_path / "out.json"
    window.dialogs.preset_file = exported
    window.presets.export()
    assert json.loads(exported.read_text())["params"]["beta"] == 77.0


def test_a_broken_preset_shows_an_error_and_changes_nothing(qtbot, window, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 2, "params": {"beta": "a lot"}}')
    window.dialogs.preset_file = broken
    before = window.editor.current
    with qtbot.waitSignal(window.error_shown, timeout=2000) as blocker:
        window.presets.import_file()
    assert "beta must be a number" in blocker.args[0]
    assert window.editor.current == before


def test_restarting_restores_images_parameters_and_layout(qtbot, tmp_path, event_loop_qt, image_paths):
    first = make_window(qtbot, tmp_path)
    load_both(qtbot, first, image_paths)
    first.editor.balance.beta.spin.setValue(321.0)
    first.editor.flush()
    first.resize(first.minimumSizeHint().width(), 560)  # inside the offscreen platform's 800 x 600 screen
    first.splitter.setSizes([430, 300])
    sizes, size = first.splitter.sizes(), first.size()
    first.close()
    second = make_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: not second.content_well.is_empty and not second.style_well.is_empty, timeout=SLOW)
    assert second.content_well.path == image_paths[0] and second.style_well.path == image_paths[1]
    assert second.editor.current.beta == 321.0
    assert second.size() == size and second.splitter.sizes() == sizes


def test_corrupt_session_settings_fall_back_to_defaults(qtbot, tmp_path, event_loop_qt):
    data = tmp_path / "data"
    data.mkdir()
    (data / "session.json").write_text("{oops")
    win = make_window(qtbot, tmp_path, ScriptedDialogs())
    assert win.editor.current == StyleParams()
    assert "Could not restore the last settings" in win.banner.label.text()


def test_roles_are_distinct():
    assert CONTENT != STYLE
