"""A slider paired with a spin box: the slider for feel, the box for exact values."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QHBoxLayout, QSlider, QWidget

_TICKS = 1000


class SliderFieldWidget(QWidget):
    """A horizontal slider and a spin box showing one float.

    On a logarithmic field the slider moves in equal ratios (1e-2 to 1e4 in
    one drag) while the spin box still accepts any value in its own range,
    0 included. ``value_changed`` fires on any change made by the user.
    """

    value_changed = Signal(float)

    def __init__(
        self,
        low: float,
        high: float,
        *,
        logarithmic: bool = False,
        spin_low: float | None = None,
        spin_high: float | None = None,
        decimals: int = 2,
        step: float = 0.1,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.low, self.high, self.logarithmic = low, high, logarithmic
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, _TICKS)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(low if spin_low is None else spin_low, high if spin_high is None else spin_high)
        self.spin.setDecimals(decimals)
        self.spin.setSingleStep(step)
        self.spin.setKeyboardTracking(False)
        self.spin.setMinimumWidth(90)
        if logarithmic:
            self.spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.spin.valueChanged.connect(self._on_spin_changed)

    def value(self) -> float:
        return self.spin.value()

    def set_value(self, value: float) -> None:
        """Set without emitting ``value_changed``."""
        self.spin.blockSignals(True)
        self.slider.blockSignals(True)
        self.spin.setValue(value)
        self.slider.setValue(self._to_tick(self.spin.value()))
        self.spin.blockSignals(False)
        self.slider.blockSignals(False)

    def _to_tick(self, value: float) -> int:
        if self.logarithmic:
            if value <= self.low:
                return 0
            frac = math.log(value / self.low) / math.log(self.high / self.low)
        else:
            frac = (value - self.low) / (self.high - self.low)
        return round(min(max(frac, 0.0), 1.0) * _TICKS)

    def _from_tick(self, tick: int) -> float:
        frac = tick / _TICKS
        if self.logarithmic:
            value = self.low * (self.high / self.low) ** frac
            # Round to 3 significant digits: 12.3, not 12.302585.
            digits = 2 - math.floor(math.log10(value))
            return round(value, max(digits, 0))
        return self.low + frac * (self.high - self.low)

    def _on_slider_moved(self, tick: int) -> None:
        value = self._from_tick(tick)
        self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(False)
        self.value_changed.emit(self.spin.value())

    def _on_spin_changed(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self._to_tick(value))
        self.slider.blockSignals(False)
        self.value_changed.emit(value)
