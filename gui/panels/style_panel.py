"""Stroke scale, the photo's colours, and the blend of several style images."""

from __future__ import annotations

from brushwork.engine.settings.style_params import MAX_LAYER_WEIGHT, MAX_STYLE_SCALE, MIN_STYLE_SCALE
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .param_changes import BlendWeightChange, FieldChange
from .slider_fields import SliderFieldWidget, wheel_only_when_focused


class StylePanel(QGroupBox):
    """One group for how the style is applied.

    The blend rows list every style image (the Style well's first, then the
    added ones), each with its weight; ``add_requested`` and ``remove_requested``
    ask the window to change the list of images. ``edited`` carries a tuple of
    changes.
    """

    edited = Signal(object)
    add_requested = Signal()
    remove_requested = Signal(int)  # index among all styles (never 0)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Style and colour", parent)
        self.stroke = SliderFieldWidget(MIN_STYLE_SCALE, MAX_STYLE_SCALE, logarithmic=True, step=0.05)
        self.stroke.setToolTip("Stroke scale: the painting's size relative to the picture. Small: fine brushwork.")
        self.colors = QComboBox()
        # Long item texts must not set the panel's width: the window has to fit small screens.
        self.colors.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.colors.setMinimumContentsLength(14)
        self.colors.addItem("no, use the painting's colours", "off")
        self.colors.addItem("yes, style on luminance only", "luminance")
        # Read after "Keep photo colours": the painting is recoloured to the photo's palette before it is
        # used (a trial read "match the painting's colours" the other way round).
        self.colors.addItem("yes, recolour the painting to the photo's", "match")
        wheel_only_when_focused(self.colors)  # the wheel scrolls the panel, not this choice
        self.strength = SliderFieldWidget(0.0, 1.0, step=0.05)
        self.strength.setToolTip("How much of the photo's colour to keep")
        form = QFormLayout()
        form.addRow("Stroke scale", self.stroke)
        form.addRow("Keep photo colours", self.colors)
        form.addRow("Colour strength", self.strength)
        self.blend_grid = QGridLayout()
        self.add_button = QPushButton("Add a style image...")
        self.add_button.setToolTip("Blend several paintings; each gets a weight")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(self.blend_grid)
        layout.addWidget(self.add_button)
        self.blend_fields: list[SliderFieldWidget] = []
        self._rows: list[list[QWidget]] = []
        self.stroke.value_changed.connect(lambda value: self._emit("style_scale", value))
        self.strength.value_changed.connect(lambda value: self._emit("color_strength", value))
        self.colors.currentIndexChanged.connect(self._on_colors)
        self.add_button.clicked.connect(self.add_requested)
        self.strength.setEnabled(False)

    def _emit(self, field: str, value) -> None:
        self.edited.emit((FieldChange(field, value),))

    def _on_colors(self, _index: int) -> None:
        self.strength.setEnabled(self.colors.currentData() != "off")
        self._emit("keep_colors", self.colors.currentData())

    def set_styles(self, names: list[str], thumbs: list[QPixmap], weights: list[float]) -> None:
        """Rebuild the blend rows; shown only when there is more than one style."""
        for row in self._rows:
            for widget in row:
                widget.deleteLater()
        self._rows, self.blend_fields = [], []
        if len(names) < 2:
            return
        for i, (name, thumb) in enumerate(zip(names, thumbs, strict=True)):
            picture = QLabel()
            picture.setPixmap(thumb.scaled(40, 40, Qt.AspectRatioMode.KeepAspectRatio))
            label = QLabel(name)
            label.setToolTip(name)
            field = SliderFieldWidget(0.0, 2.0, spin_high=MAX_LAYER_WEIGHT, step=0.05)
            field.set_value(weights[i] if i < len(weights) else 1.0)
            field.value_changed.connect(lambda value, index=i: self.edited.emit((BlendWeightChange(index, value),)))
            remove = QToolButton(text="x")
            remove.setToolTip("Remove this style" if i else "The Style well's image: replace it there")
            remove.setEnabled(i > 0)
            remove.clicked.connect(lambda _c=False, index=i: self.remove_requested.emit(index))
            for column, widget in enumerate((picture, label, field, remove)):
                self.blend_grid.addWidget(widget, i, column)
            self._rows.append([picture, label, field, remove])
            self.blend_fields.append(field)

    def remove_buttons(self) -> list[QToolButton]:
        """Each blend row's remove button (the first one, the Style well's, is disabled)."""
        return [row[3] for row in self._rows]

    def set_values(self, params) -> None:
        self.stroke.set_value(params.style_scale)
        self.colors.blockSignals(True)
        self.colors.setCurrentIndex(max(0, self.colors.findData(params.keep_colors)))
        self.colors.blockSignals(False)
        self.strength.setEnabled(params.keep_colors != "off")
        self.strength.set_value(params.color_strength)
        for i, field in enumerate(self.blend_fields):
            field.set_value(params.style_blend[i] if i < len(params.style_blend) else 1.0)
