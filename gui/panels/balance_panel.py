"""Alpha and beta on logarithmic sliders, and their ratio as one control."""

from __future__ import annotations

import math

from brushwork.engine.settings.style_params import MAX_WEIGHT
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractSpinBox, QFormLayout, QGroupBox, QWidget

from .param_changes import FieldChange
from .slider_fields import SliderFieldWidget

RATIO_LOW, RATIO_HIGH = 1e-2, 1e4


class BalancePanel(QGroupBox):
    """Content weight (alpha), style weight (beta) and beta/alpha.

    Moving the ratio keeps alpha and sets beta = ratio * alpha, so one control
    sweeps from "barely styled" (1e-2) to "style dominates" (1e4).
    ``edited`` carries a tuple of ``FieldChange``.
    """

    edited = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Balance", parent)
        self.alpha = SliderFieldWidget(1e-3, 1e3, logarithmic=True, spin_low=0.0, spin_high=MAX_WEIGHT)
        # beta's slider spans the ratio's range: with alpha at 1 (the default, and every preset's)
        # beta is the ratio, and the two handles sit at one place for one value. Its box takes any beta.
        self.beta = SliderFieldWidget(RATIO_LOW, RATIO_HIGH, logarithmic=True, spin_low=0.0, spin_high=MAX_WEIGHT)
        self.ratio = SliderFieldWidget(RATIO_LOW, RATIO_HIGH, logarithmic=True)
        # 100000 typed becomes 1e4, the end of the range, rather than the ratio before it.
        self.ratio.spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        self.alpha.setToolTip("alpha: how much the picture must keep the photo's content")
        self.beta.setToolTip("beta: how much the picture must take on the painting's style")
        self.ratio.setToolTip("beta / alpha: the one number that sets how styled the picture is")
        form = QFormLayout(self)
        form.addRow("Content α", self.alpha)
        form.addRow("Style β", self.beta)
        form.addRow("Ratio β/α", self.ratio)
        self.alpha.value_changed.connect(lambda value: self._on_weight_changed("alpha", value))
        self.beta.value_changed.connect(lambda value: self._on_weight_changed("beta", value))
        self.ratio.value_changed.connect(self._on_ratio_changed)

    def set_values(self, alpha: float, beta: float) -> None:
        self.alpha.set_value(alpha)
        self.beta.set_value(beta)
        self._show_ratio()

    def values(self) -> tuple[float, float]:
        return self.alpha.value(), self.beta.value()

    def _show_ratio(self) -> None:
        alpha, beta = self.values()
        ratio = beta / alpha if alpha > 0 else math.inf
        # The box takes 1e-2 to 1e4; a ratio the weights put outside is shown as past that end, not as it.
        self._mark_ratio("> " if ratio > RATIO_HIGH else "< " if ratio < RATIO_LOW else "")
        self.ratio.set_value(min(max(ratio, RATIO_LOW), RATIO_HIGH))

    def _mark_ratio(self, prefix: str) -> None:
        self.ratio.spin.blockSignals(True)
        self.ratio.spin.setPrefix(prefix)
        self.ratio.spin.blockSignals(False)

    def _on_weight_changed(self, field: str, value: float) -> None:
        self._show_ratio()
        self.edited.emit((FieldChange(field, value),))

    def _on_ratio_changed(self, ratio: float) -> None:
        self._mark_ratio("")  # the ratio is the one set now
        changes = []
        alpha = self.alpha.value()
        if alpha <= 0:  # a ratio needs a content weight to multiply
            alpha = 1.0
            self.alpha.set_value(alpha)
            changes.append(FieldChange("alpha", alpha))
        beta = min(ratio * alpha, MAX_WEIGHT)
        self.beta.set_value(beta)
        changes.append(FieldChange("beta", beta))
        self.edited.emit(tuple(changes))
