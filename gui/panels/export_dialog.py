"""The export dialog: how large, which format, JPEG quality, 8 or 16 bits."""

from __future__ import annotations

from brushwork.engine.pictures.picture_export import ExportOptions
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QWidget,
)

FORMATS = (("PNG", ".png"), ("JPEG", ".jpg"), ("TIFF", ".tif"))
MAX_EXPORT_SIDE = 16384


class ExportDialog(QDialog):
    """Asks for ``ExportOptions`` and a format; ``chosen()`` gives them after ``exec()``."""

    def __init__(self, painted_side: int, target_side: int, has_16_bits: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export picture")
        self.size = QSpinBox()
        self.size.setRange(16, MAX_EXPORT_SIDE)
        self.size.setSuffix(" px")
        self.size.setValue(target_side)
        self.size.setToolTip("Long side of the exported file; beyond the painted size the picture is enlarged")
        self.format = QComboBox()
        for name, suffix in FORMATS:
            self.format.addItem(name, suffix)
        self.quality = QSlider(Qt.Orientation.Horizontal)
        self.quality.setRange(50, 100)
        self.quality.setValue(95)
        self.quality_label = QLabel("95")
        self.quality.valueChanged.connect(lambda value: self.quality_label.setText(str(value)))
        self.sixteen = QCheckBox("16 bits per channel")
        self.sixteen.setToolTip(
            "From the optimiser's own picture when the run has finished"
            if has_16_bits
            else "The run has not finished: the 8-bit picture will be widened"
        )
        self.note = QLabel(f"Painted at {painted_side} px on the long side.")
        self.note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Long side", self.size)
        form.addRow("Format", self.format)
        form.addRow("JPEG quality", self.quality)
        form.addRow("", self.quality_label)
        form.addRow("", self.sixteen)
        form.addRow(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.format.currentIndexChanged.connect(self._on_format)
        self._on_format()

    def _on_format(self, *_args) -> None:
        suffix = self.format.currentData()
        self.quality.setEnabled(suffix == ".jpg")
        self.sixteen.setEnabled(suffix in (".png", ".tif"))

    def chosen(self) -> tuple[ExportOptions, str]:
        suffix = self.format.currentData()
        bits = 16 if suffix in (".png", ".tif") and self.sixteen.isChecked() else 8
        return ExportOptions(self.size.value(), self.quality.value(), bits), suffix
