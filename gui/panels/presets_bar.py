"""Choosing, saving, deleting, importing and exporting presets."""

from __future__ import annotations

from brushwork.engine.settings.presets import Preset
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QPushButton, QWidget

from .slider_fields import wheel_only_when_focused


class PresetBarWidget(QGroupBox):
    """A preset list (built-in first, then the artist's) and the buttons that manage it.

    It only reports what the artist asked for; the window does the work and
    the dialogs.
    """

    preset_chosen = Signal(object)  # Preset
    save_as_requested = Signal()
    save_requested = Signal()
    delete_requested = Signal()
    import_requested = Signal()
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Presets", parent)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(18)
        wheel_only_when_focused(self.combo)  # a wheel turned over it must not switch the preset
        self.save_as_button = QPushButton("Save as...")
        self.save_button = QPushButton("Save")
        self.save_button.setToolTip("Overwrite the selected preset of yours with the current settings")
        self.delete_button = QPushButton("Delete")
        self.import_button = QPushButton("Import...")
        self.export_button = QPushButton("Export...")
        grid = QGridLayout(self)
        grid.addWidget(self.combo, 0, 0, 1, 3)
        grid.addWidget(self.save_as_button, 1, 0)
        grid.addWidget(self.save_button, 1, 1)
        grid.addWidget(self.delete_button, 1, 2)
        grid.addWidget(self.import_button, 2, 0)
        grid.addWidget(self.export_button, 2, 1)
        self.combo.activated.connect(self._on_activated)
        self.save_as_button.clicked.connect(self.save_as_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.delete_button.clicked.connect(self.delete_requested)
        self.import_button.clicked.connect(self.import_requested)
        self.export_button.clicked.connect(self.export_requested)
        self._presets: list[Preset | None] = []

    def set_presets(self, builtin: list[Preset], user: list[Preset], selected: str | None = None) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        self._presets = []
        self.combo.addItem("(custom)")
        self._presets.append(None)
        for preset in builtin:
            self.combo.addItem(f"{preset.name}  (built in)")
            self._presets.append(preset)
        if user:
            self.combo.insertSeparator(self.combo.count())
            self._presets.append(None)
            for preset in user:
                self.combo.addItem(preset.name)
                self._presets.append(preset)
        self.combo.blockSignals(False)
        self.select(selected)

    def select(self, name: str | None) -> None:
        """Show ``name`` as the current preset, or "(custom)"."""
        index = 0
        for i, preset in enumerate(self._presets):
            if preset is not None and preset.name == name:
                index = i
                if not preset.builtin:
                    break  # the artist's own wins over a built-in of the same name
        self.combo.setCurrentIndex(index)
        self._update_buttons()

    def selected(self) -> Preset | None:
        index = self.combo.currentIndex()
        return self._presets[index] if 0 <= index < len(self._presets) else None

    def _on_activated(self, index: int) -> None:
        self._update_buttons()
        preset = self.selected()
        if preset is not None:
            self.preset_chosen.emit(preset)

    def _update_buttons(self) -> None:
        preset = self.selected()
        own = preset is not None and not preset.builtin
        self.save_button.setEnabled(own)
        self.delete_button.setEnabled(own)
