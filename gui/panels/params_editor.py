"""Every control that shapes the picture, editing one ``StyleParams`` by changes."""

from __future__ import annotations

import time

from brushwork.engine.errors import ParamsError
from brushwork.engine.network.layers import CONTENT_LAYER_CHOICES
from brushwork.engine.settings.style_params import MAX_SIZE, MAX_STEPS, MIN_SIZE, StyleParams
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from .advanced_panel import AdvancedPanel
from .balance_panel import BalancePanel
from .param_changes import Change, FieldChange, apply_changes
from .regions_panel import RegionsPanel
from .slider_fields import wheel_only_when_focused
from .style_layers_panel import StyleLayersPanel
from .style_panel import StylePanel

THROTTLE_MS = 100  # at most ten parameter updates a second while a slider is dragged


class ParamsEditor(QWidget):
    """The balance, style-layer, style, regions, output and advanced controls.

    ``current`` is the one copy of the parameters on the GUI side. The
    controls report changes to their own fields; the editor applies them to
    ``current`` (so untouched fields never move) and emits the result as
    ``params_changed``. While a slider is dragged it emits at most every
    ``THROTTLE_MS``: the first change at once, the latest value at the end.
    A combination the engine refuses is shown and held back until the artist
    makes it valid.
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
        self.content_layer.setToolTip(
            "Which layer the photo is matched at: conv3_2 keeps fine detail, conv4_2 (the paper's) "
            "the shapes, deeper layers let the style move them more"
        )
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
        for widget in (self.content_layer, self.size, self.steps):
            wheel_only_when_focused(widget)
        self.regions = RegionsPanel()
        self.advanced = AdvancedPanel()
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: palette(highlighted-text); background: palette(highlight);")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        # Size and steps are what an artist changes most between runs: at the top, always in view.
        self.output = QGroupBox("Output")
        form = QFormLayout(self.output)
        form.addRow("Size", self.size)
        form.addRow("Steps", self.steps)
        form.addRow("Content layer", self.content_layer)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.output,
            self.balance,
            self.layers,
            self.style,
            self.regions,
            self.advanced,
            self.error_label,
        ):
            layout.addWidget(widget)

        self._pending: dict[tuple, Change] = {}
        self._last_emit = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._emit_now)
        for panel in (self.balance, self.layers, self.style, self.regions, self.advanced):
            panel.edited.connect(self.edit)
        self.content_layer.currentIndexChanged.connect(
            lambda _i: self.edit((FieldChange("content_layer", self.content_layer.currentData()),))
        )
        self.size.valueChanged.connect(lambda value: self.edit((FieldChange("size", value),)))
        self.steps.valueChanged.connect(lambda value: self.edit((FieldChange("steps", value),)))
        self._current = StyleParams()
        self.set_params(self._current)

    @property
    def current(self) -> StyleParams:
        """The parameters in force: the last valid result of the artist's changes."""
        return self._current

    def set_params(self, params: StyleParams) -> None:
        """Show ``params`` in every control and make them current, without emitting ``params_changed``.

        Changes not yet emitted are dropped: ``params`` replaces everything.
        """
        self._timer.stop()
        self._pending.clear()
        widgets = (self.content_layer, self.size, self.steps)
        for widget in widgets:
            widget.blockSignals(True)
        self.balance.set_values(params.alpha, params.beta)
        self.layers.set_weights(params.style_weights)
        self.style.set_values(params)
        self.regions.set_values(params)
        self.content_layer.setCurrentIndex(self.content_layer.findData(params.content_layer))
        self.size.setValue(params.size)
        self.steps.setValue(params.steps)
        self.advanced.set_values(params)
        for widget in widgets:
            widget.blockSignals(False)
        self._current = params
        self._show_error("")

    def edit(self, changes: tuple[Change, ...]) -> None:
        """Take the artist's changes; they reach ``params_changed`` within ``THROTTLE_MS``."""
        for change in changes:
            self._pending.pop(change.key, None)  # re-insert: the latest change of a field goes last
            self._pending[change.key] = change
        wait_ms = THROTTLE_MS - (time.monotonic() - self._last_emit) * 1000
        if wait_ms <= 0 and not self._timer.isActive():
            self._emit_now()
        elif not self._timer.isActive():
            self._timer.start(max(1, int(wait_ms)))

    def flush(self) -> None:
        """Emit a pending throttled change now."""
        if self._timer.isActive():
            self._timer.stop()
            self._emit_now()

    def _emit_now(self) -> None:
        self._last_emit = time.monotonic()
        if not self._pending:
            return
        try:
            params = apply_changes(self._current, self._pending.values())
        except ParamsError as exc:
            self._show_error(str(exc))  # kept pending: the next change may make it valid
            self.params_invalid.emit(str(exc))
            return
        self._pending.clear()
        self._show_error("")
        if params != self._current:
            self._current = params
            self.regions.follow(params)  # a region added or removed gets its row (or loses it)
            self.params_changed.emit(params)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
