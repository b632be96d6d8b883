"""Snapshots of the picture: one at each scale's end and one per click on Snapshot.

Each run's snapshots stand apart (a bar before the first of a run), and the
strip follows the newest unless the artist has scrolled back to look at older ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from brushwork.engine.settings.style_params import StyleParams
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPalette, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from ..qt_images import array_to_qimage

ICON = 88
MAX_SNAPSHOTS = 60
RUN_STARTS = Qt.ItemDataRole.UserRole + 1  # an item's flag: the first snapshot of a run, after another run's
RUN_BAR = 3  # the bar's width, in pixels


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A picture and what made it."""

    picture: np.ndarray
    params: StyleParams
    step: int
    total_steps: int
    label: str
    run: int = 0  # which run of the strip's made it (the strip numbers them; 0: none yet)


class RunBarDelegate(QStyledItemDelegate):
    """Draws a bar at the left of a snapshot that begins a run, so that runs stand apart in the strip."""

    def paint(self, painter, option, index) -> None:
        super().paint(painter, option, index)
        if index.data(RUN_STARTS):
            rect = option.rect
            bar = QRect(rect.left(), rect.top() + 2, RUN_BAR, rect.height() - 4)
            painter.fillRect(bar, option.palette.color(QPalette.ColorRole.Highlight))


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
        self.list.setItemDelegate(RunBarDelegate(self.list))
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
        self._run = 0  # the newest run's number
        self._new_run = False  # begin_run was called: the next snapshot is the first of a run
        self.snapshot_button.clicked.connect(self.snapshot_requested)
        self.list.currentRowChanged.connect(self._on_row)
        self.continue_button.clicked.connect(lambda: self._emit(self.continue_requested))
        self.save_button.clicked.connect(lambda: self._emit(self.save_requested))
        self.restore_button.clicked.connect(lambda: self._emit(self.restore_requested))
        self._update_buttons()

    def begin_run(self) -> None:
        """A run starts (Start or Continue): its snapshots are set apart from those before."""
        self._new_run = True

    def add(self, snapshot: Snapshot) -> None:
        """Add ``snapshot`` at the end; one kept from an earlier session keeps its run's number."""
        if self._new_run:
            self._run, self._new_run = self._run + 1, False
        if snapshot.run:
            self._run = max(self._run, snapshot.run)
        else:
            snapshot = dataclasses.replace(snapshot, run=self._run)
        # The newest in sight (or none yet): keep to the newest. Scrolled back to older ones: stay there.
        last = self.list.item(self.list.count() - 1)
        following = last is None or self.list.visualItemRect(last).intersects(self.list.viewport().rect())
        if len(self.snapshots) >= MAX_SNAPSHOTS:  # keep the memory bounded: drop the oldest
            self.snapshots.pop(0)
            self.list.takeItem(0)
        starts_run = bool(self.snapshots) and self.snapshots[-1].run != snapshot.run
        self.snapshots.append(snapshot)
        pixmap = QPixmap.fromImage(array_to_qimage(snapshot.picture)).scaled(
            ICON, ICON, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        item = QListWidgetItem(QIcon(pixmap), snapshot.label)
        run = f"run {snapshot.run}, " if snapshot.run else ""
        item.setToolTip(f"{snapshot.label}: {run}step {snapshot.step} of {snapshot.total_steps}")
        item.setData(RUN_STARTS, starts_run)
        self.list.addItem(item)
        if following:
            self.list.doItemsLayout()  # Qt lays items out later; until then it has no place to scroll to
            self.list.scrollToItem(item)
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
