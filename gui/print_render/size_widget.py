"""The print's size two ways: the long side in pixels, or a length on paper at a resolution.

Both are always shown and agree: typing pixels changes the print length (at
the DPI shown), typing a length or a DPI changes the pixels (a print is
planned as "30 cm at 300 DPI", so a new DPI keeps the paper size). The
other side follows the photo's aspect.
"""

from __future__ import annotations

from brushwork.engine.pictures.images import fit_dims
from brushwork.engine.print_size.print_units import UNITS, convert_length, dpi_for, length_for, pixels_for
from brushwork.engine.settings.style_params import MAX_SIZE, MIN_SIZE
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QGridLayout, QLabel, QSpinBox, QWidget

from ..panels.slider_fields import wheel_only_when_focused
from . import wording

WARNING_STYLE = "color: #b00020;"
MAX_TYPED_PIXELS = 999_999  # the box takes absurd sizes, so that they get a message instead of vanishing
MAX_DPI = 9_600
DEFAULT_DPI = 300


class PrintSizeWidget(QWidget):
    """Long side in pixels <-> length in cm or inches at a DPI; ``problem()`` says what is wrong, if anything."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.photo_size: tuple[int, int] | None = None  # (width, height) of the photo: the aspect
        self.pixels = QSpinBox()
        self.pixels.setRange(0, MAX_TYPED_PIXELS)
        self.pixels.setSuffix(" px")
        self.pixels.setToolTip(f"Long side of the picture, {MIN_SIZE} to {MAX_SIZE} px")
        self.length = QDoubleSpinBox()
        self.length.setRange(0.0, 100_000.0)
        self.length.setDecimals(2)
        self.length.setToolTip("Long side of the print on paper")
        self.unit = QComboBox()
        self.unit.addItems(UNITS)
        self.dpi = QSpinBox()
        self.dpi.setRange(0, MAX_DPI)
        self.dpi.setSuffix(" DPI")
        self.dpi.setToolTip("Printer resolution: 300 DPI for a close look, 150 for a poster seen from afar")
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setObjectName("printSizeResult")
        for box in (self.pixels, self.length, self.dpi, self.unit):
            wheel_only_when_focused(box)  # as in the main panel: the wheel changes a box only once clicked into
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("Long side"), 0, 0)
        grid.addWidget(self.pixels, 0, 1)
        grid.addWidget(QLabel("or print it"), 1, 0)
        grid.addWidget(self.length, 1, 1)
        grid.addWidget(self.unit, 1, 2)
        grid.addWidget(QLabel("at"), 1, 3)
        grid.addWidget(self.dpi, 1, 4)
        grid.addWidget(self.result, 2, 0, 1, 5)
        grid.setColumnStretch(5, 1)
        self._unit = UNITS[0]
        self._syncing = False
        self._typed_length = False  # the artist last typed a print length or DPI, not pixels
        self.dpi.setValue(DEFAULT_DPI)
        self.pixels.valueChanged.connect(self._on_pixels)
        self.length.valueChanged.connect(self._on_length)
        self.dpi.valueChanged.connect(self._on_length)  # a new DPI keeps the paper size
        self.unit.currentTextChanged.connect(self._on_unit)

    # -- what it holds -----------------------------------------------------------------

    def set_values(self, long_side: int, unit: str, dpi: int) -> None:
        self._syncing = True
        try:
            self.unit.setCurrentText(unit if unit in UNITS else UNITS[0])
            self._unit = self.unit.currentText()
            self.dpi.setValue(dpi if 0 < dpi <= MAX_DPI else DEFAULT_DPI)
            self.pixels.setValue(long_side)
            self._show_length()
        finally:
            self._syncing = False
        self._update()

    def set_photo_size(self, size: tuple[int, int] | None) -> None:
        self.photo_size = size
        self._update()

    def long_side(self) -> int:
        return self.pixels.value()

    def dims(self) -> tuple[int, int]:
        """(width, height) in pixels: the photo's aspect at the long side (square without a photo)."""
        side = self.long_side()
        if self.photo_size is None or side < MIN_SIZE:
            return side, side
        height, width = fit_dims(*self.photo_size, side)
        return width, height

    def problem(self) -> str | None:
        """Why this size cannot be rendered, in words that say what to do; None when it can."""
        side, dpi = self.long_side(), self.dpi.value()
        if dpi < 1:
            return "The resolution must be at least 1 DPI."
        if side < MIN_SIZE:
            return f"The long side must be at least {MIN_SIZE} px (it is {side} px)."
        if side > MAX_SIZE:
            unit, length = self.unit.currentText(), self.length.value()
            most = length_for(MAX_SIZE, unit, dpi)
            if self._typed_length and length > 0:
                # Said in the terms the artist chose: the paper size stays, the resolution gives.
                lower = int(dpi_for(MAX_SIZE, length, unit))
                return (
                    f"{length:g} {unit} at {dpi} DPI is {side} px, more than Brushwork paints (at most "
                    f"{MAX_SIZE} px on the long side): print {length:g} {unit} at {lower} DPI or less, "
                    f"or at most {most:.1f} {unit} at {dpi} DPI."
                )
            return (
                f"{side} px is more than Brushwork paints: at most {MAX_SIZE} px on the long side "
                f"({most:.1f} {unit} at {dpi} DPI)."
            )
        return None

    # -- keeping the two ways in step ------------------------------------------------------

    def _on_pixels(self, _value: int) -> None:
        if not self._syncing:
            self._typed_length = False
            self._syncing = True
            try:
                self._show_length()
            finally:
                self._syncing = False
        self._update()

    def _on_length(self, _value: float) -> None:
        if not self._syncing and self.dpi.value() > 0:
            self._typed_length = True
            self._syncing = True
            try:
                self.pixels.setValue(
                    min(pixels_for(self.length.value(), self._unit, self.dpi.value()), MAX_TYPED_PIXELS)
                )
            finally:
                self._syncing = False
        self._update()

    def _on_unit(self, unit: str) -> None:
        old, self._unit = self._unit, unit
        self._syncing = True
        try:
            self.length.setValue(convert_length(self.length.value(), old, unit))
        finally:
            self._syncing = False
        self._update()

    def _show_length(self) -> None:
        if self.dpi.value() > 0:
            self.length.setValue(length_for(self.long_side(), self._unit, self.dpi.value()))

    def _update(self) -> None:
        width, height = self.dims()
        dpi = self.dpi.value()
        problem = self.problem()
        if problem is None:
            self.result.setStyleSheet("")
            self.result.setText(
                f"<b>{width} x {height} px</b>, printed {wording.print_size(width, height, self._unit, dpi)}"
            )
        else:
            self.result.setStyleSheet(WARNING_STYLE)
            self.result.setText(problem)
        self.changed.emit()
