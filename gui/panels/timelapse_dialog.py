"""The time-lapse dialog: format, size, frame rate and length, and an Export button."""

from __future__ import annotations

from brushwork.engine.run.progress import format_duration
from brushwork.engine.video.timelapse import FORMATS, MAX_SIDE, TimelapseOptions
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

GIF_SIDE = 480  # a GIF's default long side: it has no inter-frame compression worth the name


class TimelapseDialog(QDialog):
    """Non-modal, so that the run goes on (and keeps recording) while it is open.

    ``export_requested`` carries the options and the chosen suffix; the caller
    asks where, writes, and reports through ``show_result``.
    """

    export_requested = Signal(object, str)  # TimelapseOptions, ".mp4" or ".gif"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export time-lapse")
        self.setMinimumWidth(420)  # room for the wrapped lines about what was recorded and written
        self.recorded = QLabel()
        self.recorded.setWordWrap(True)
        self.format = QComboBox()
        for suffix, name in FORMATS.items():
            self.format.addItem(name, suffix)
        self.size = QSpinBox()
        self.size.setRange(16, MAX_SIDE)
        self.size.setSuffix(" px")
        self.size.setToolTip("Long side of the video; a coarse scale's smaller picture is enlarged to it")
        self.fps = QSpinBox()
        self.fps.setRange(1, 60)
        self.fps.setValue(15)
        self.fps.setSuffix(" frames/s")
        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(1.0, 600.0)
        self.seconds.setDecimals(1)
        self.seconds.setValue(8.0)
        self.seconds.setSuffix(" s")
        self.seconds.setToolTip("The run's whole time, sampled evenly, fits in this")
        self.hold = QDoubleSpinBox()
        self.hold.setRange(0.0, 30.0)
        self.hold.setDecimals(1)
        self.hold.setValue(1.5)
        self.hold.setSuffix(" s")
        self.hold.setToolTip("How long the finished picture stays at the end")
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.export_button = QPushButton("Export...")
        self.close_button = QPushButton("Close")
        for button in (self.export_button, self.close_button):
            # Enter confirms a typed number; it must not also start an export (or close the dialog).
            button.setAutoDefault(False)
        form = QFormLayout(self)
        form.addRow(self.recorded)
        form.addRow("Format", self.format)
        form.addRow("Long side", self.size)
        form.addRow("Frame rate", self.fps)
        form.addRow("Length", self.seconds)
        form.addRow("Hold the end", self.hold)
        form.addRow(self.result)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.export_button)
        form.addRow(buttons)
        self._picture_side = 0
        self._size_chosen = False  # the artist set the long side: it no longer follows the picture
        self._frames = 0
        self._busy = False  # a write asked for and not yet reported: one at a time
        self.format.currentIndexChanged.connect(self._on_format)
        self.size.valueChanged.connect(self._on_size_changed)
        self.export_button.clicked.connect(self._on_export)
        self.close_button.clicked.connect(self.close)

    def show_recording(self, seconds: float, frames: int, picture_side: int) -> None:
        """What has been recorded; the size follows the picture until the artist sets one."""
        if frames:
            self.recorded.setText(
                f"Recorded {format_duration(seconds)} of painting: {frames} pictures, the newest "
                f"{picture_side} px on its long side. Paused time is left out."
            )
        else:
            self.recorded.setText("Nothing recorded yet: the run is recorded as it paints. Press Start first.")
        self._frames = frames
        self.export_button.setEnabled(frames > 0 and not self._busy)
        if picture_side and picture_side != self._picture_side:
            self._picture_side = picture_side
            self._follow_picture()

    def options(self) -> tuple[TimelapseOptions, str]:
        options = TimelapseOptions(self.size.value(), float(self.fps.value()), self.seconds.value(), self.hold.value())
        return options, self.format.currentData()

    def show_writing(self, text: str) -> None:
        self.result.setText(text)

    def show_result(self, text: str) -> None:
        """The export asked for has ended (written, failed or cancelled): ready for another."""
        self._busy = False
        self.result.setText(text)
        self.export_button.setEnabled(self._frames > 0)

    def _on_format(self, *_args) -> None:
        self._follow_picture()

    def _follow_picture(self) -> None:
        """The default long side: the picture's (a GIF's at most ``GIF_SIDE``), until the artist sets one."""
        if self._size_chosen:
            return
        side = min(self._picture_side or MAX_SIDE, MAX_SIDE)
        self.size.blockSignals(True)  # not the artist's choice
        self.size.setValue(min(side, GIF_SIDE) if self.format.currentData() == ".gif" else side)
        self.size.blockSignals(False)

    def _on_size_changed(self, _value: int) -> None:
        self._size_chosen = True

    def _on_export(self) -> None:
        self._busy = True  # one write at a time; show_result ends it
        self.export_button.setEnabled(False)
        self.result.setText("")
        self.export_requested.emit(*self.options())
