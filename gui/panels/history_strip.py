"""Snapshots of the picture: one at each scale's end and one per click on Snapshot."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brushwork.engine.settings.style_params import StyleParams
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from ..qt_images import array_to_qimage

ICON = 88
MAX_SNAPSHOTS = 60


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A picture and what made it."""

    picture: np.ndarray
    params: StyleParams
    step: int
    total_steps: int
    label: str


class HistoryStripWidget(QWidget):
    """A strip of thumbnails; choosing one shows it, and the buttons act on it."""

    snapshot_requested = Signal()
    snapshot_chosen = Signal(object)
    continue_requested = Signal(object)
    save_requested = Signal(object)
    restore_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setFixedHeight(ICON + 44)
        self.snapshot_button = QPushButton("Snapshot")
        self.snapshot_button.setToolTip("Keep the picture as it is now, with its settings")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Paint on from this snapshot, with the current settings")
        self.save_button = QPushButton("Save...")
        self.restore_button = QPushButton("Use settings")
        self.restore_button.setToolTip("Put this snapshot's settings back in the controls")
        buttons = QHBoxLayout()
        for button in (self.snapshot_button, self.continue_button, self.save_button, self.restore_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.snapshots: list[Snapshot] = []
        self.snapshot_button.clicked.connect(self.snapshot_requested)
        self.list.currentRowChanged.connect(self._on_row)
        self.continue_button.clicked.connect(lambda: self._emit(self.continue_requested))
        self.save_button.clicked.connect(lambda: self._emit(self.save_requested))
        self.restore_button.clicked.connect(lambda: self._emit(self.restore_requested))
        self._update_buttons()

    def add(self, snapshot: Snapshot) -> None:
        if len(self.snapshots) >= MAX_SNAPSHOTS:  # keep the memory bounded: drop the oldest
            self.snapshots.pop(0)
            self.list.takeItem(0)
        self.snapshots.append(snapshot)
        pixmap = QPixmap.fromImage(array_to_qimage(snapshot.picture)).scaled(
            ICON, ICON, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        item = QListWidgetItem(QIcon(pixmap), snapshot.label)
        item.setToolTip(f"{snapshot.label}: step {snapshot.step} of {snapshot.total_steps}")
        self.list.addItem(item)
        self._update_buttons()

    def clear(self) -> None:
        self.snapshots.clear()
        self.list.clear()
        self._update_buttons()

    def selected(self) -> Snapshot | None:
        row = self.list.currentRow()
        return self.snapshots[row] if 0 <= row < len(self.snapshots) else None

    def _on_row(self, _row: int) -> None:
        self._update_buttons()
        chosen = self.selected()
        if chosen is not None:
            self.snapshot_chosen.emit(chosen)

    def _emit(self, signal) -> None:
        chosen = self.selected()
        if chosen is not None:
            signal.emit(chosen)

    def _update_buttons(self) -> None:
        on = self.selected() is not None
        for button in (self.continue_button, self.save_button, self.restore_button):
            button.setEnabled(on)
