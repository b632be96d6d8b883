"""Every control that shapes the picture, read and written as one ``StyleParams``."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from engine.errors import ParamsError
from engine.layers import CONTENT_LAYER_CHOICES
from engine.params import MAX_SIZE, MAX_STEPS, MIN_SIZE, StyleParams

from .advanced_panel import AdvancedPanel
from .balance_panel import BalancePanel
from .style_layers_panel import StyleLayersPanel
from .style_panel import StylePanel

THROTTLE_MS = 100  # at most ten parameter updates a second while a slider is dragged


class ParamsEditor(QWidget):
    """The balance, style-layer, content-layer, output and advanced controls.

    ``params_changed`` carries a validated ``StyleParams`` after the artist
    changes anything. While a slider is dragged it fires at most every
    ``THROTTLE_MS``: the first change at once, the latest value at the end.
    """

    params_changed = Signal(object)
    params_invalid = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.balance = BalancePanel()
        self.layers = StyleLayersPanel()
        self.style = StylePanel()
        self.content_layer = QComboBox()
        for layer in CONTENT_LAYER_CHOICES:
            self.content_layer.addItem(layer, layer)
        self.content_layer.setToolTip("Deeper layers keep less of the photo's exact shapes")
        self.size = QSpinBox()
        self.size.setRange(MIN_SIZE, MAX_SIZE)
        self.size.setSingleStep(64)
        self.size.setSuffix(" px")
        self.size.setKeyboardTracking(False)
        self.size.setToolTip("Long side of the finished picture")
        self.steps = QSpinBox()
        self.steps.setRange(1, MAX_STEPS)
        self.steps.setSingleStep(50)
        self.steps.setKeyboardTracking(False)
        self.steps.setToolTip("Optimisation steps over all scales; most run on the small, cheap scales")
        self.advanced = AdvancedPanel()
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        output = QGroupBox("Content and output")
        form = QFormLayout(output)
        form.addRow("Content layer", self.content_layer)
        form.addRow("Size", self.size)
        form.addRow("Steps", self.steps)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.balance, self.layers, self.style, output, self.advanced, self.error_label):
            layout.addWidget(widget)

        self._last_emit = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._emit_now)
        self.balance.changed.connect(self._on_edited)
        self.layers.changed.connect(self._on_edited)
        self.style.changed.connect(self._on_edited)
        self.advanced.changed.connect(self._on_edited)
        self.content_layer.currentIndexChanged.connect(self._on_edited)
        self.size.valueChanged.connect(self._on_edited)
        self.steps.valueChanged.connect(self._on_edited)
        self._current = StyleParams()
        self.set_params(self._current)

    def params(self) -> StyleParams:
        """The controls as parameters; raises ``ParamsError`` for an impossible combination."""
        alpha, beta = self.balance.values()
        return StyleParams(
            alpha=alpha,
            beta=beta,
            style_layers=self.layers.weights(),
            content_layer=self.content_layer.currentData(),
            size=self.size.value(),
            steps=self.steps.value(),
            **self.style.values(),
            **self.advanced.values(),
        )

    @property
    def current(self) -> StyleParams:
        """The last valid parameters the controls held."""
        return self._current

    def set_params(self, params: StyleParams) -> None:
        """Show ``params`` in every control, without emitting ``params_changed``."""
        widgets = (self.content_layer, self.size, self.steps)
        for widget in widgets:
            widget.blockSignals(True)
        self.balance.set_values(params.alpha, params.beta)
        self.layers.set_weights(params.style_weights)
        self.style.set_values(params)
        self.content_layer.setCurrentIndex(self.content_layer.findData(params.content_layer))
        self.size.setValue(params.size)
        self.steps.setValue(params.steps)
        self.advanced.set_values(params)
        for widget in widgets:
            widget.blockSignals(False)
        self._current = params
        self._show_error("")

    def flush(self) -> None:
        """Emit a pending throttled change now."""
        if self._timer.isActive():
            self._timer.stop()
            self._emit_now()

    def _on_edited(self, *_args) -> None:
        wait_ms = THROTTLE_MS - (time.monotonic() - self._last_emit) * 1000
        if wait_ms <= 0 and not self._timer.isActive():
            self._emit_now()
        elif not self._timer.isActive():
            self._timer.start(max(1, int(wait_ms)))

    def _emit_now(self) -> None:
        self._last_emit = time.monotonic()
        try:
            params = self.params()
        except ParamsError as exc:
            self._show_error(str(exc))
            self.params_invalid.emit(str(exc))
            return
        self._show_error("")
        if params != self._current:
            self._current = params
            self.params_changed.emit(params)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
