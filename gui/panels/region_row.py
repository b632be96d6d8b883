"""One region in the regions panel: its colour, name, style, strength, and whether the overlay shows it."""

from __future__ import annotations

from brushwork.engine.settings.regions import MAX_REGION_STRENGTH, PALETTE, RegionSetting
from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from .param_changes import RegionFieldChange
from .slider_fields import SliderFieldWidget, wheel_only_when_focused

PICTURE_BLEND, PHOTO_ONLY, FROM_PRESET = "blend", "photo", "preset"


def colour_name(region: RegionSetting) -> str:
    """'red' for a palette colour, else its #rrggbb."""
    return next((name for name, rgb in PALETTE.items() if rgb == region.rgb), region.colour)


def blend_choice(region: RegionSetting, paintings: int) -> str | int:
    """The region's style as the box offers it: the picture's blend, one painting's index, or a preset's blend."""
    if not region.style:
        return PICTURE_BLEND
    used = [i for i, weight in enumerate(region.style) if weight > 0]
    return used[0] if len(used) == 1 and used[0] < paintings else FROM_PRESET


def style_choice(region: RegionSetting, paintings: int) -> str | int:
    """What the style box shows for ``region``."""
    return PHOTO_ONLY if region.photo_only else blend_choice(region, paintings)


def swatch_icon(region: RegionSetting, side: int = 18) -> QIcon:
    pixmap = QPixmap(side, side)
    pixmap.fill(QColor(*region.rgb))
    return QIcon(pixmap)


class RegionRowWidget(QFrame):
    """``chosen`` when the artist clicks anywhere in the row; ``edited`` carries region changes."""

    chosen = Signal()
    edited = Signal(object)  # tuple of RegionFieldChange
    visibility_changed = Signal(bool)

    def __init__(self, region: RegionSetting, style_names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("region_row")
        self.region = region
        self.swatch = QToolButton()
        self.swatch.setIcon(swatch_icon(region))
        self.swatch.setToolTip(f"Paint in the {colour_name(region)} region")
        self.name = QLineEdit()
        self.name.setPlaceholderText(f"{colour_name(region)} (name it: sky, face...)")
        self.visible = QCheckBox("Show")
        self.visible.setChecked(True)
        self.visible.setToolTip("Show this region on the picture (the overlay only; the run is not affected)")
        self.style = QComboBox()
        self.style.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.style.setMinimumContentsLength(10)
        self.style.setToolTip("What this region gets: one of the paintings, the picture's blend, or the photo as it is")
        self.strength = SliderFieldWidget(0.0, MAX_REGION_STRENGTH, step=0.1)
        self.strength.spin.setMinimumWidth(64)
        self.strength.setToolTip("How strongly the style acts here (multiplies the style weight, 0-4)")
        wheel_only_when_focused(self.style)
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.addWidget(self.swatch, 0, 0)
        grid.addWidget(self.name, 0, 1)
        grid.addWidget(self.visible, 0, 2)
        second = QHBoxLayout()
        second.addWidget(self.style, 3)
        second.addWidget(QLabel("Strength"))
        second.addWidget(self.strength, 4)
        grid.addLayout(second, 1, 1, 1, 2)
        # "style from part of starry.png": shown while a mask on that painting is in force for this region.
        self.painting_note = QLabel()
        self.painting_note.setObjectName("painting_note")
        self.painting_note.setWordWrap(True)
        self.painting_note.setVisible(False)
        grid.addWidget(self.painting_note, 2, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        self.set_region(region, style_names)
        self.set_selected(False)
        self.swatch.clicked.connect(self.chosen)
        self.name.editingFinished.connect(self._on_name)
        self.style.activated.connect(self._on_style)
        self.strength.value_changed.connect(lambda value: self._emit(("strength", value)))
        self.visible.toggled.connect(self.visibility_changed)
        for child in (self.name, self.style, self.strength.spin.lineEdit(), self.strength.slider, self.visible):
            child.installEventFilter(self)

    @property
    def colour(self) -> tuple[int, int, int]:
        return self.region.rgb

    def set_region(self, region: RegionSetting, style_names: list[str]) -> None:
        """Show ``region`` (same colour) without emitting anything."""
        self.region = region
        if not self.name.hasFocus():
            self.name.setText(region.name)
        self.style.blockSignals(True)
        self.style.clear()
        self.style.addItem("Picture's blend", PICTURE_BLEND)
        for i, name in enumerate(style_names):
            self.style.addItem(f"Style: {name}", i)
        self.style.addItem("Photo only", PHOTO_ONLY)
        if blend_choice(region, len(style_names)) == FROM_PRESET:
            # A blend no single choice shows (from a preset, or a painting not loaded): kept until another is picked.
            self.style.addItem("The preset's blend", FROM_PRESET)
        self.style.setCurrentIndex(self.style.findData(style_choice(region, len(style_names))))
        self.style.blockSignals(False)
        self.strength.set_value(region.strength)
        self.strength.setEnabled(not region.photo_only)

    def set_painting_note(self, painting: str | None) -> None:
        """Say that this region's style comes from part of ``painting`` (None: from the whole of its style)."""
        self.painting_note.setVisible(painting is not None)
        if painting is None:
            self.painting_note.clear()
            self.painting_note.setToolTip("")
            return
        self.painting_note.setText(f"style from part of {painting}")
        self.painting_note.setToolTip(
            f"A mask on {painting} says which part of it this region's style comes from (sky to sky). "
            "It applies while the region's style is that painting alone; Regions > Clear painting masks removes it."
        )

    def set_selected(self, selected: bool) -> None:
        border = "2px solid palette(highlight)" if selected else "1px solid palette(mid)"
        self.setStyleSheet(f"#region_row {{ border: {border}; border-radius: 4px; }}")

    def _emit(self, *fields: tuple[str, object]) -> None:
        self.edited.emit(tuple(RegionFieldChange(self.colour, name, value) for name, value in fields))

    def _on_name(self) -> None:
        if self.name.text().strip() != self.region.name:
            self._emit(("name", self.name.text().strip()))

    def _on_style(self, _index: int) -> None:
        choice = self.style.currentData()
        self.strength.setEnabled(choice != PHOTO_ONLY)
        if choice == PICTURE_BLEND:
            self._emit(("style", ()), ("photo_only", False))
        elif choice == PHOTO_ONLY:
            self._emit(("photo_only", True))
        elif isinstance(choice, int):
            self._emit(("style", tuple(1.0 if i == choice else 0.0 for i in range(choice + 1))), ("photo_only", False))
        else:  # the preset's blend, picked again: its weights were never changed
            self._emit(("photo_only", False))

    def mousePressEvent(self, event) -> None:
        self.chosen.emit()
        super().mousePressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.FocusIn):
            self.chosen.emit()
        return False
