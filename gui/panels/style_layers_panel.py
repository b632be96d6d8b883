"""One weight per style layer, with a hint of what each layer carries."""

from __future__ import annotations

from brushwork.engine.network.layers import DEFAULT_STYLE_WEIGHTS
from brushwork.engine.settings.style_params import MAX_LAYER_WEIGHT
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QWidget

from .param_changes import StyleWeightChange
from .slider_fields import SliderFieldWidget

LAYER_HINTS = {
    "conv1_1": "fine texture and colour",
    "conv2_1": "small strokes, colour blends",
    "conv3_1": "brush marks, small motifs",
    "conv4_1": "larger patterns, swirls",
    "conv5_1": "big shapes and their arrangement",
}


class StyleLayersPanel(QGroupBox):
    """Sliders (0-2; the box takes up to 100) for conv1_1 ... conv5_1.

    Layers a preset or the command line set beyond these five are listed
    underneath; edits here are changes to one layer each, so they are kept.
    ``edited`` carries a tuple of ``StyleWeightChange``.
    """

    edited = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Style layers", parent)
        self.fields: dict[str, SliderFieldWidget] = {}
        grid = QGridLayout(self)
        for row, (layer, hint) in enumerate(LAYER_HINTS.items()):
            field = SliderFieldWidget(0.0, 2.0, spin_high=MAX_LAYER_WEIGHT, step=0.05)
            field.setToolTip(f"{layer}: {hint}")
            field.value_changed.connect(lambda value, name=layer: self.edited.emit((StyleWeightChange(name, value),)))
            hint_label = QLabel(hint)
            hint_label.setStyleSheet("color: palette(mid);")
            grid.addWidget(QLabel(layer), 2 * row, 0)
            grid.addWidget(field, 2 * row, 1)
            grid.addWidget(hint_label, 2 * row + 1, 1)
            self.fields[layer] = field
        self._extra_label = QLabel()
        self._extra_label.setWordWrap(True)
        self.reset_button = QPushButton("Reset layer weights")
        self.reset_button.setToolTip("Back to 1.0, 0.8, 0.6, 0.4, 0.3")
        self.reset_button.clicked.connect(self._on_reset)
        grid.addWidget(self._extra_label, 2 * len(LAYER_HINTS), 0, 1, 2)
        grid.addWidget(self.reset_button, 2 * len(LAYER_HINTS) + 1, 1)

    def set_weights(self, weights: dict[str, float]) -> None:
        for layer, field in self.fields.items():
            field.set_value(weights.get(layer, 0.0))
        extra = {k: v for k, v in weights.items() if k not in self.fields}
        self._extra_label.setVisible(bool(extra))
        self._extra_label.setText("Also: " + ", ".join(f"{k} = {v:g}" for k, v in extra.items()))

    def _on_reset(self) -> None:
        changes = tuple(StyleWeightChange(layer, weight) for layer, weight in DEFAULT_STYLE_WEIGHTS.items())
        for change in changes:
            self.fields[change.layer].set_value(change.weight)
        self.edited.emit(changes)
