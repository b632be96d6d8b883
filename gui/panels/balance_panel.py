"""Alpha and beta on logarithmic sliders, and their ratio as one control."""

from __future__ import annotations

from brushwork.engine.settings.style_params import MAX_WEIGHT
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QWidget

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
        self.beta = SliderFieldWidget(1e-3, 1e5, logarithmic=True, spin_low=0.0, spin_high=MAX_WEIGHT)
        self.ratio = SliderFieldWidget(RATIO_LOW, RATIO_HIGH, logarithmic=True, spin_low=0.0, spin_high=MAX_WEIGHT)
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
        self.ratio.set_value(beta / alpha if alpha > 0 else MAX_WEIGHT)

    def _on_weight_changed(self, field: str, value: float) -> None:
        self._show_ratio()
        self.edited.emit((FieldChange(field, value),))

    def _on_ratio_changed(self, ratio: float) -> None:
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
