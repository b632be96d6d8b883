"""View > Theme: the system's look, or Brushwork's own light or dark one, remembered between launches."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEMES = {"system": "System", "light": "Light", "dark": "Dark"}
SETTING = "view/theme"
# Fusion is the one style that draws every widget from the palette on every platform:
# a light or dark palette under a native style would leave some widgets in the other.
OWN_STYLE = "Fusion"

_DARK = (
    (QPalette.ColorRole.Window, "#2b2b2b"),
    (QPalette.ColorRole.WindowText, "#e8e8e8"),
    (QPalette.ColorRole.Base, "#1e1e1e"),
    (QPalette.ColorRole.AlternateBase, "#2b2b2b"),
    (QPalette.ColorRole.Text, "#e8e8e8"),
    (QPalette.ColorRole.Button, "#353535"),
    (QPalette.ColorRole.ButtonText, "#e8e8e8"),
    (QPalette.ColorRole.Highlight, "#3d7bd9"),
    (QPalette.ColorRole.HighlightedText, "#ffffff"),
    (QPalette.ColorRole.Mid, "#5a5a5a"),
    (QPalette.ColorRole.Dark, "#141414"),
    (QPalette.ColorRole.BrightText, "#ffffff"),
    (QPalette.ColorRole.ToolTipBase, "#353535"),
    (QPalette.ColorRole.ToolTipText, "#e8e8e8"),
    (QPalette.ColorRole.PlaceholderText, "#9a9a9a"),
    (QPalette.ColorRole.Link, "#6ea8ff"),
)


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK:
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


class ThemeChoice:
    """The application's theme, chosen in View > Theme and kept in ``settings``.

    The system theme is the style and palette the application started with
    (a ``-style`` given on the command line included); choosing it again
    brings those back.
    """

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings
        app = QApplication.instance()
        # What "System" goes back to; kept on the application, so that a second window
        # made after a theme was chosen does not take Brushwork's own look for the system's.
        if app.property("brushwork_system_style") is None:
            app.setProperty("brushwork_system_style", app.style().name())
        value = settings.value(SETTING, "system")
        self.current = value if value in THEMES else "system"

    def apply_saved(self) -> None:
        """At launch: the theme chosen last (the system's needs nothing done)."""
        if self.current != "system":
            self.choose(self.current)

    def choose(self, theme: str) -> None:
        app = QApplication.instance()
        if theme == "dark":
            app.setStyle(OWN_STYLE)
            app.setPalette(dark_palette())
        elif theme == "light":
            app.setStyle(OWN_STYLE)
            app.setPalette(QStyleFactory.create(OWN_STYLE).standardPalette())
        else:
            theme = "system"
            app.setStyle(app.property("brushwork_system_style"))
            app.setPalette(QPalette())  # an empty palette: the platform's own again, following its changes
        self.current = theme
        self.settings.setValue(SETTING, theme)
