"""Regions: which style goes where. The region list, the painting tools and the mask files.

A collapsible section of the controls column. The region settings are part
of the parameters (``edited`` carries changes, as every panel's does); the
tools, the brush and the overlay are the window's own state and never touch
the parameters.
"""

from __future__ import annotations

from brushwork.engine.settings.regions import MAX_REGIONS, RegionSetting
from brushwork.engine.settings.style_params import StyleParams
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .collapsible import CollapsibleSection
from .param_changes import FieldChange
from .region_row import RegionRowWidget
from .slider_fields import SliderFieldWidget, wheel_only_when_focused

# The tools and their keys: B and E as in most paint programs, G for the fill (Photoshop's bucket), W for the wand.
TOOLS = {"brush": ("Brush", "B"), "eraser": ("Eraser", "E"), "fill": ("Fill", "G"), "wand": ("Wand", "W")}
TOOL_TIPS = {
    "brush": "Paint the selected region",
    "eraser": "Take paint off the selected region",
    "fill": "Fill the enclosed area you click in the selected region's mask",
    "wand": "Add the photo's pixels of a similar colour to the one you click",
}
BRUSH_SIZES = (2.0, 400.0)  # diameter on screen, in pixels


class RegionsPanel(CollapsibleSection):
    """The regions' settings and tools.

    Signals: ``edited`` (a tuple of parameter changes), ``add_requested``,
    ``remove_requested`` (the selected region's colour), ``tool_chosen``
    (a tool's name, or None for none: clicking the active tool again),
    ``current_changed`` (the region the tools paint in), ``brush_changed``,
    ``overlay_changed`` (visibility or opacity), ``import_requested``,
    ``export_requested``, ``match_requested`` (a mask on a painting),
    ``clear_matches_requested`` and ``keep_faces_toggled`` (the artist's click
    on Keep faces, on or off).
    """

    edited = Signal(object)
    add_requested = Signal()
    remove_requested = Signal(object)
    tool_chosen = Signal(object)
    current_changed = Signal()
    brush_changed = Signal()
    overlay_changed = Signal()
    import_requested = Signal()
    export_requested = Signal()
    match_requested = Signal()
    clear_matches_requested = Signal()
    keep_faces_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Regions: a style for each part", parent)
        self.toggle.setToolTip("Paint where each style goes: the sky in one painting, a face left as the photo")
        self.regions: tuple[RegionSetting, ...] = ()
        self.style_names: list[str] = []
        self.rows: list[RegionRowWidget] = []
        self.hidden: set[tuple[int, int, int]] = set()  # colours the overlay leaves out
        self.painting_notes: dict[tuple[int, int, int], str] = {}  # region colour -> the painting its style is part of
        self.current: tuple[int, int, int] | None = None
        self.tool: str | None = None
        self._has_matches = False  # painting masks are kept (in force or set aside)

        self.empty_label = QLabel("No regions yet: add one, or pick a tool and paint.")
        self.empty_label.setWordWrap(True)
        self.rows_layout = QVBoxLayout()
        self.rows_layout.setSpacing(4)
        self.add_button = QPushButton("Add region")
        self.add_button.setToolTip("A new region, in the next free colour")
        self.remove_button = QPushButton("Remove region")
        self.remove_button.setToolTip("Remove the selected region and its paint (Ctrl+Z brings both back)")
        self.keep_faces = QCheckBox("Keep faces")
        self.keep_faces.setToolTip(
            "Find the faces in the photo and give each a soft region with less style (Face 1, ...), so that a face "
            "keeps its features; edit them like any region. Off: they go, and nothing you painted does"
        )
        self.outside = QComboBox()
        self.outside.addItem("the picture's style", "style")
        self.outside.addItem("the photo", "photo")
        self.outside.setToolTip("What the picture gets where no region is painted")
        wheel_only_when_focused(self.outside)

        self.tool_buttons: dict[str, QToolButton] = {}
        tools_bar = QHBoxLayout()
        for tool, (text, key) in TOOLS.items():
            button = QToolButton(text=f"{text} ({key})", checkable=True)
            button.setToolTip(f"{TOOL_TIPS[tool]} ({key}; Esc or a second click: no tool)")
            button.clicked.connect(lambda _checked=False, t=tool: self.tool_chosen.emit(None if self.tool == t else t))
            tools_bar.addWidget(button)
            self.tool_buttons[tool] = button
        tools_bar.addStretch(1)
        self.brush_size = SliderFieldWidget(*BRUSH_SIZES, logarithmic=True, step=1.0)
        self.brush_size.set_value(40.0)
        self.brush_size.setToolTip("Brush diameter on screen, in pixels ([ smaller, ] larger); zoom in for detail")
        self.hardness = SliderFieldWidget(0.0, 1.0, step=0.05)
        self.hardness.set_value(0.5)
        self.hardness.setToolTip("1: a hard edge; lower: the brush fades out towards its rim")
        self.tolerance = SliderFieldWidget(0.0, 255.0, step=1.0)
        self.tolerance.set_value(32.0)
        self.tolerance.setToolTip(
            "How different a colour may be from the one you click, as the eye sees it (255: black from white); "
            "the selection stops at the photo's outlines"
        )
        self.contiguous = QCheckBox("Only the connected area")
        self.contiguous.setChecked(True)
        self.contiguous.setToolTip("Off: every similar pixel of the photo, wherever it is")
        self.opacity = SliderFieldWidget(0.0, 1.0, step=0.05)
        self.opacity.set_value(0.5)
        self.opacity.setToolTip("How strongly the regions' colours show over the picture")
        self.import_button = QPushButton("Import mask...")
        self.import_button.setToolTip(
            "A PNG in region colours on black (as the command line's --regions reads), or a greyscale one "
            "for the selected region"
        )
        self.export_button = QPushButton("Export mask...")
        self.export_button.setToolTip("The regions as one PNG in their colours on black (for --regions)")
        self.match_button = QPushButton("Match to parts of a painting...")
        self.match_button.setToolTip(
            "A PNG in the same region colours on black, painted on one of the paintings (its shape): each region "
            "takes its style from its own part of that painting, the sky from the sky (as --style-regions)"
        )
        self.clear_matches_button = QPushButton("Clear matches")
        self.clear_matches_button.setToolTip(
            "Clear painting masks: each region takes its style from the whole of its painting again"
        )

        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.add_button)
        list_buttons.addWidget(self.remove_button)
        list_buttons.addStretch(1)
        list_buttons.addWidget(self.keep_faces)
        outside_form = QFormLayout()
        outside_form.addRow("Outside the regions", self.outside)
        brush_form = QFormLayout()
        brush_form.addRow("Brush size", self.brush_size)
        brush_form.addRow("Hardness", self.hardness)
        brush_form.addRow("Wand tolerance", self.tolerance)
        brush_form.addRow("", self.contiguous)
        brush_form.addRow("Overlay", self.opacity)
        files = QHBoxLayout()
        files.addWidget(self.import_button)
        files.addWidget(self.export_button)
        files.addStretch(1)
        matches = QHBoxLayout()
        matches.addWidget(self.match_button)
        matches.addWidget(self.clear_matches_button)
        matches.addStretch(1)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.empty_label)
        body.addLayout(self.rows_layout)
        body.addLayout(list_buttons)
        body.addLayout(outside_form)
        body.addLayout(tools_bar)
        body.addLayout(brush_form)
        body.addLayout(files)
        body.addLayout(matches)
        self._place_header_and_body()

        self.add_button.clicked.connect(lambda: self.add_requested.emit())
        self.remove_button.clicked.connect(self._on_remove)
        self.keep_faces.clicked.connect(self.keep_faces_toggled)  # clicked: the artist's own, never set_values'
        self.outside.currentIndexChanged.connect(
            lambda _i: self.edited.emit((FieldChange("outside_regions", self.outside.currentData()),))
        )
        self.brush_size.value_changed.connect(lambda _v: self.brush_changed.emit())
        self.hardness.value_changed.connect(lambda _v: self.brush_changed.emit())
        self.opacity.value_changed.connect(lambda _v: self.overlay_changed.emit())
        self.import_button.clicked.connect(lambda: self.import_requested.emit())
        self.export_button.clicked.connect(lambda: self.export_requested.emit())
        self.match_button.clicked.connect(lambda: self.match_requested.emit())
        self.clear_matches_button.clicked.connect(lambda: self.clear_matches_requested.emit())
        self._update_buttons()

    # -- showing ---------------------------------------------------------------------------

    def set_values(self, params: StyleParams) -> None:
        """Show the parameters' regions (rebuilding the rows if the list changed) and the outside choice."""
        self.outside.blockSignals(True)
        self.outside.setCurrentIndex(max(0, self.outside.findData(params.outside_regions)))
        self.outside.blockSignals(False)
        if [r.rgb for r in params.regions] != [r.rgb for r in self.regions]:
            self._rebuild(params.regions)
        else:
            self.regions = params.regions
            for row, region in zip(self.rows, params.regions, strict=True):
                row.set_region(region, self.style_names)
        if params.regions and not self.toggle.isChecked():
            self.set_expanded(True)
        self._show_faces_kept(params)

    def follow(self, params: StyleParams) -> None:
        """The artist's own edit was applied: rebuild the rows only if regions came or went."""
        if [r.rgb for r in params.regions] != [r.rgb for r in self.regions]:
            self._rebuild(params.regions)
        else:
            self.regions = params.regions
        self._show_faces_kept(params)

    def _show_faces_kept(self, params: StyleParams) -> None:
        """Face regions (a restored session, an undone step) mean Keep faces is on; their absence says nothing
        (no face was found, or the artist removed them by hand)."""
        if any(region.face for region in params.regions) and self.keep_faces.isEnabled():
            self.keep_faces.setChecked(True)  # setChecked never emits clicked: nothing is looked for again

    def set_faces_unavailable(self, reason: str) -> None:
        """Keep faces cannot work here (``reason``, e.g. dlib is missing): the toggle says so, and is off."""
        self.keep_faces.setChecked(False)
        self.keep_faces.setEnabled(False)
        self.keep_faces.setText("Keep faces (unavailable)")
        self.keep_faces.setToolTip(reason)

    def set_styles(self, names: list[str]) -> None:
        """The loaded paintings' names, for each region's style choice."""
        self.style_names = list(names)
        for row, region in zip(self.rows, self.regions, strict=True):
            row.set_region(region, self.style_names)

    def _rebuild(self, regions: tuple[RegionSetting, ...]) -> None:
        for row in self.rows:
            row.deleteLater()
        self.rows = []
        self.regions = regions
        for region in regions:
            row = RegionRowWidget(region, self.style_names)
            row.visible.setChecked(region.rgb not in self.hidden)
            row.set_painting_note(self.painting_notes.get(region.rgb))
            row.chosen.connect(lambda r=row: self.select(r.colour))
            row.edited.connect(self.edited)
            row.visibility_changed.connect(lambda on, r=row: self._on_visibility(r.colour, on))
            self.rows_layout.addWidget(row)
            self.rows.append(row)
        colours = [r.rgb for r in regions]
        if self.current not in colours:
            self.current = colours[-1] if colours else None
            self.current_changed.emit()
        self._show_selection()
        self._update_buttons()
        self.overlay_changed.emit()

    def _show_selection(self) -> None:
        for row in self.rows:
            row.set_selected(row.colour == self.current)

    def _update_buttons(self) -> None:
        self.empty_label.setVisible(not self.regions)
        self.add_button.setEnabled(len(self.regions) < MAX_REGIONS)
        self.remove_button.setEnabled(self.current is not None)
        self.outside.setEnabled(bool(self.regions))
        self.export_button.setEnabled(bool(self.regions))
        self.clear_matches_button.setEnabled(self._has_matches)

    def show_painting_notes(self, notes: dict[tuple[int, int, int], str], any_masks: bool) -> None:
        """Per region colour, the painting whose part its style comes from; ``any_masks``: some are kept at all."""
        if (notes, any_masks) == (self.painting_notes, self._has_matches):
            return
        self.painting_notes, self._has_matches = dict(notes), any_masks
        for row in self.rows:
            row.set_painting_note(notes.get(row.colour))
        self._update_buttons()

    def show_tool(self, tool: str | None) -> None:
        """Check the active tool's button (without emitting)."""
        self.tool = tool
        for name, button in self.tool_buttons.items():
            button.setChecked(name == tool)

    # -- choosing ---------------------------------------------------------------------------

    def select(self, colour: tuple[int, int, int]) -> None:
        """Make the region with ``colour`` the one the tools paint in."""
        if colour == self.current:
            return
        self.current = colour
        self._show_selection()
        self._update_buttons()
        self.current_changed.emit()

    def row(self, colour: tuple[int, int, int]) -> RegionRowWidget | None:
        return next((row for row in self.rows if row.colour == colour), None)

    def visible_colours(self) -> list[tuple[int, int, int]]:
        return [r.rgb for r in self.regions if r.rgb not in self.hidden]

    def _on_visibility(self, colour: tuple[int, int, int], on: bool) -> None:
        self.hidden.discard(colour) if on else self.hidden.add(colour)
        self.overlay_changed.emit()

    def _on_remove(self) -> None:
        if self.current is not None:
            self.remove_requested.emit(self.current)

    # -- the brush ------------------------------------------------------------------------------

    def grow_brush(self, factor: float) -> None:
        """[ and ]: a step of about a quarter, never off the range."""
        low, high = BRUSH_SIZES
        self.brush_size.spin.interpretText()  # a size typed into the box and not yet entered is the one to grow
        size = min(max(round(self.brush_size.value() * factor), low), high)
        if size == self.brush_size.value():
            size = min(max(self.brush_size.value() + (1 if factor > 1 else -1), low), high)
        self.brush_size.set_value(size)
        self.brush_changed.emit()
