"""A slider paired with a spin box: the slider for feel, the box for exact values."""

from __future__ import annotations

import math
import re

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QKeyEvent, QValidator, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QDoubleSpinBox,
    QHBoxLayout,
    QSlider,
    QWidget,
)

_TICKS = 1000
SIGNIFICANT_DIGITS = 6
# A number or the start of one: sign, digits, a point and its digits, an exponent.
_NUMBER_START = re.compile(r"(-?)(\d*)(\.\d*)?([eE][+-]?\d*)?")


class ExactSpinBox(QDoubleSpinBox):
    """A number box that shows any value the engine accepts, to six significant digits.

    QDoubleSpinBox rounds its value to a fixed number of decimals, so a preset's
    alpha of 4e-05 in a 4-decimal box became 0 and switched the content term
    off. This box keeps twelve decimals, shows ``%g`` (``4e-05``, ``0.125``,
    ``5000``) and accepts the same forms typed in.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)

    def textFromValue(self, value: float) -> str:
        if self.decimals() == 0:  # a whole number (the seed): every digit counts
            return f"{value:.0f}"
        return f"{value:.{SIGNIFICANT_DIGITS}g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(self._bare(text))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        bare = text.removeprefix(self.prefix()).removesuffix(self.suffix())
        if not self._could_become_number(bare):
            # A letter that no number of this box has is refused, not kept: B typed here
            # was a tool's key, and the box that held "60b" threw the 60 away too.
            return QValidator.State.Invalid, text, pos
        try:
            value = float(bare)
        except ValueError:
            # "1e", "-", "" and the like are on their way to a number.
            return QValidator.State.Intermediate, text, pos
        inside = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate), text, pos

    def fixup(self, text: str) -> str:
        """With ``CorrectToNearestValue``, a number past the range becomes the nearest end.

        Qt corrects a text it cannot read to the minimum: 100000 in the ratio's box
        (1e-2 to 1e4) became 0.01, not 1e4.
        """
        try:
            value = float(self._bare(text))
        except ValueError:
            return text
        nearest = min(max(value, self.minimum()), self.maximum())
        if self.correctionMode() != QAbstractSpinBox.CorrectionMode.CorrectToNearestValue or nearest == value:
            return text
        return self.prefix() + self.textFromValue(nearest) + self.suffix()

    def _could_become_number(self, bare: str) -> bool:
        """Whether ``bare`` is a number this box takes, or the start of one."""
        found = _NUMBER_START.fullmatch(bare)
        if found is None:
            return False
        sign, digits, point, exponent = found.groups()
        if sign and self.minimum() >= 0:
            return False
        if point and self.decimals() == 0:
            return False
        # An exponent needs a digit before it, and only a box that can show one takes one
        # ("1e+06", "4e-05"): in the brush size's box (2 to 400) E is the eraser's key.
        return not exponent or (bool(digits or len(point or "") > 1) and self._shows_exponents())

    def _shows_exponents(self) -> bool:
        """Whether some value in range is shown with an exponent (``%g``: from 1e6, and under 1e-4 but not 0)."""
        if self.decimals() == 0:
            return False
        low, high = self.minimum(), self.maximum()
        huge = high >= 1e6 or low <= -1e6
        tiny = (low < 1e-4 and high > 0) or (low < 0 and high > -1e-4)
        return huge or tiny

    def _bare(self, text: str) -> str:
        return text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip()


class PanelControlFilter(QObject):
    """Keeps the panel's controls from eating input meant for the panel or the window.

    - The wheel: inside a scroll area it is meant to scroll the panel; a
      control that happened to be under the pointer used to swallow it and
      change a setting mid-run. A control takes it only once clicked into.
    - Space in a number box: a space is never part of a number, and the
      window's Space (start/pause) must work wherever the artist last typed.
    - The same for any key the focused box would refuse (B, G, W, [ and ]
      are the region tools' keys): a line edit claims every printable key
      before the window's shortcuts see it, refused or not.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Wheel and not _has_focus(watched):
            _scroll_enclosing_area(watched, event)
            return True
        if (
            kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
            and event.key() == Qt.Key.Key_Space
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and _is_number_box(watched)
        ):
            event.ignore()  # not overridden: the window's shortcut fires
            return True
        if kind == QEvent.Type.ShortcutOverride and _is_number_box(watched) and _box_refuses(watched, event):
            event.ignore()
            return True
        return False


def _box_refuses(widget: QObject, event: QKeyEvent) -> bool:
    """Whether the number box would refuse the character ``event`` types where its cursor is."""
    plain = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
    char = event.text()
    if plain != Qt.KeyboardModifier.NoModifier or len(char) != 1 or not char.isprintable():
        return False  # Ctrl+Z, arrows, Return: the box's own or the window's, as Qt decides
    box = widget if isinstance(widget, QAbstractSpinBox) else widget.parent()
    edit = box.lineEdit()
    text, start = edit.text(), edit.cursorPosition()
    end = start
    if edit.hasSelectedText():
        start = edit.selectionStart()
        end = start + len(edit.selectedText())
    typed = text[:start] + char + text[end:]
    return box.validate(typed, start + 1)[0] == QValidator.State.Invalid


def _is_number_box(widget: QObject) -> bool:
    # A spin box's keys go to its line edit (the box's focus proxy).
    return isinstance(widget, QAbstractSpinBox) or isinstance(widget.parent(), QAbstractSpinBox)


def _has_focus(widget: QWidget) -> bool:
    return widget.hasFocus() or (isinstance(widget, QAbstractSpinBox) and widget.lineEdit().hasFocus())


def _scroll_enclosing_area(widget: QWidget, event: QWheelEvent) -> None:
    """Hand the wheel to the scroll area around ``widget``, as if the control were not there.

    Qt propagates an ignored wheel event to the parents only when it came from
    the window system; handing it over explicitly works for every event.
    """
    area = widget.parentWidget()
    while area is not None and not isinstance(area, QAbstractScrollArea):
        area = area.parentWidget()
    if area is None:
        return
    viewport = area.viewport()
    position = QPointF(widget.mapTo(viewport, event.position().toPoint()))
    forwarded = QWheelEvent(
        position,
        event.globalPosition(),
        event.pixelDelta(),
        event.angleDelta(),
        event.buttons(),
        event.modifiers(),
        event.phase(),
        event.inverted(),
    )
    QApplication.sendEvent(viewport, forwarded)


_FILTER: PanelControlFilter | None = None


def wheel_only_when_focused(widget: QWidget) -> None:
    """Install the shared filter on ``widget``: focus on click, the wheel only when focused."""
    global _FILTER
    if _FILTER is None:
        _FILTER = PanelControlFilter()
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(_FILTER)
    if isinstance(widget, QAbstractSpinBox):
        widget.lineEdit().installEventFilter(_FILTER)


class SliderFieldWidget(QWidget):
    """A horizontal slider and a number box showing one float.

    The slider covers the useful range (``low`` to ``high``); the box accepts
    anything the engine does (``spin_low`` to ``spin_high``). On a logarithmic
    field the slider moves in equal ratios (1e-2 to 1e4 in one drag).
    ``value_changed`` fires on any change made by the artist, never on
    ``set_value``.
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
        step: float = 0.1,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.low, self.high, self.logarithmic = low, high, logarithmic
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, _TICKS)
        # From the keyboard an arrow moves 1 % of the slider and Page Up/Down 10 %. Qt's
        # defaults (0.1 % and 1 % of our ticks) moved a layer weight by 0.002 per arrow,
        # which a trial found changed nothing visible.
        self.slider.setSingleStep(_TICKS // 100)
        self.slider.setPageStep(_TICKS // 10)
        self.spin = ExactSpinBox()
        self.spin.setRange(low if spin_low is None else spin_low, high if spin_high is None else spin_high)
        self.spin.setSingleStep(step)
        self.spin.setKeyboardTracking(False)
        self.spin.setMinimumWidth(90)
        if logarithmic:
            self.spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        for widget in (self.slider, self.spin):
            wheel_only_when_focused(widget)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.spin.valueChanged.connect(self._on_spin_changed)

    def value(self) -> float:
        return self.spin.value()

    def set_value(self, value: float) -> None:
        """Show ``value`` without emitting ``value_changed``."""
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
        return round(self.low + frac * (self.high - self.low), 4)

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
