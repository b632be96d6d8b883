"""A dismissible error line above the preview: readable in light and dark themes, never modal."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

# An alarm-red tint for each kind of theme; both pairs have a contrast ratio above 7:1.
LIGHT_COLOURS = ("#fde7e9", "#7a0010")  # background, text
DARK_COLOURS = ("#4a1418", "#ffd9dc")


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21; 4.5 is the minimum for body text)."""

    def luminance(colour: QColor) -> float:
        def channel(c: float) -> float:
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


class MessageBanner(QWidget):
    """Shows one message, optionally with an action button (e.g. "Continue at 384 px")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.action_button.hide()
        self.action_button.clicked.connect(self._on_action)
        self._action = None
        close = QToolButton(text="x")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(close)
        self.setAutoFillBackground(True)
        self._apply_colours()
        self.hide()

    def colours(self) -> tuple[QColor, QColor]:
        """Background and text, chosen for the theme the window's palette belongs to."""
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        background, text = DARK_COLOURS if dark else LIGHT_COLOURS
        return QColor(background), QColor(text)

    def _apply_colours(self) -> None:
        background, text = self.colours()
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, background)
        palette.setColor(QPalette.ColorRole.WindowText, text)
        self.setPalette(palette)
        self.label.setStyleSheet(f"color: {text.name()};")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self.setPalette(QPalette())  # back to the application's, then tint it again
            self._apply_colours()
        super().changeEvent(event)

    def show_message(self, text: str, action_text: str | None = None, action=None) -> None:
        """Show ``text``; with an action, a button that runs it (and hides the banner)."""
        self.label.setText(text)
        self._action = action
        self.action_button.setText(action_text or "")
        self.action_button.setVisible(action is not None)
        self.show()

    def _on_action(self) -> None:
        action, self._action = self._action, None
        self.hide()
        if action is not None:
            action()
