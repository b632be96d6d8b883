"""The Render clip dialog: how firmly frames hold together, steps per frame, then progress, cancel and a preview."""

from __future__ import annotations

from brushwork.engine.objective.temporal_term import TEMPORAL_WEIGHT
from brushwork.engine.run.progress import format_duration
from brushwork.engine.run.time_model import Span, format_span
from brushwork.engine.video.clip_files import ClipInfo
from brushwork.engine.video.clip_painter import FRAME_STEPS, FrameProgress, VideoSettings
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ..qt_images import array_to_qimage

PREVIEW_SIDE = 320


class ClipRenderDialog(QDialog):
    """Non-modal: the window stays usable (its live run waits) while the clip renders.

    ``render_requested`` carries the chosen settings; the caller asks where to
    write and reports back through ``show_started``, ``show_progress`` and
    ``show_ended``.
    """

    render_requested = Signal(object)  # VideoSettings
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Render clip")
        self.setMinimumWidth(460)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.hold = QDoubleSpinBox()
        self.hold.setRange(0.0, 1000.0)
        self.hold.setDecimals(1)
        self.hold.setValue(TEMPORAL_WEIGHT)
        self.hold.setToolTip(
            "How firmly each frame keeps to the last one where the motion is known: higher flickers less, "
            "0 only starts each frame from the last"
        )
        self.steps = QSpinBox()
        self.steps.setRange(1, 1000)
        self.steps.setValue(FRAME_STEPS)
        self.steps.setToolTip("Steps for each frame after the first (which is painted like a picture)")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(PREVIEW_SIDE * 9 // 16)
        self.render_button = QPushButton("Render...")
        self.cancel_button = QPushButton("Cancel render")
        self.close_button = QPushButton("Close")
        for button in (self.render_button, self.cancel_button, self.close_button):
            button.setAutoDefault(False)  # Enter confirms a typed number, nothing more
        form = QFormLayout(self)
        form.addRow(self.about)
        form.addRow("Hold to the last frame", self.hold)
        form.addRow("Steps per frame", self.steps)
        form.addRow(self.progress)
        form.addRow(self.status)
        form.addRow(self.preview)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.close_button, self.cancel_button, self.render_button):
            buttons.addWidget(button)
        form.addRow(buttons)
        self.render_button.clicked.connect(lambda: self.render_requested.emit(self.settings()))
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit())
        self.close_button.clicked.connect(self.close)
        self.set_rendering(False)

    def settings(self) -> VideoSettings:
        return VideoSettings(temporal_weight=self.hold.value(), frame_steps=self.steps.value())

    def show_clip(self, clip: ClipInfo, dims: tuple[int, int]) -> None:
        height, width = dims
        self.about.setText(
            f"{clip.path.name}: {clip.frames} frames at {float(clip.rate):.3g} a second "
            f"({format_duration(clip.seconds)}), painted at {width} x {height} px with the window's settings. "
            "Each frame starts from the last one and holds to it where the motion is known, so the painting "
            "moves with the scene instead of flickering. The sound is kept."
        )

    def set_rendering(self, rendering: bool) -> None:
        self.render_button.setEnabled(not rendering)
        self.cancel_button.setEnabled(rendering)
        self.hold.setEnabled(not rendering)
        self.steps.setEnabled(not rendering)

    def show_started(self, output_name: str, kept: int, frames: int) -> None:
        self.set_rendering(True)
        self.progress.setValue(round(1000 * kept / max(1, frames)))
        going_on = f", going on from frame {kept + 1} (the last render's {kept} frames are kept)" if kept else ""
        self.status.setText(f"Rendering into {output_name}{going_on}...")

    def show_progress(self, report: FrameProgress, seconds_left: Span | None) -> None:
        self.progress.setValue(round(1000 * report.fraction))
        if report.finished:
            return
        step = report.step
        where = f"Frame {report.frame + 1} of {report.frames}"
        if step is not None and not report.frame_finished:
            where += f", step {report.frame_step} of {report.frame_steps}"
        left = f", {format_span(seconds_left)} left" if seconds_left is not None else ""
        self.status.setText(where + left)
        if step is not None and step.preview is not None:
            pixmap = QPixmap.fromImage(array_to_qimage(step.preview))
            self.preview.setPixmap(
                pixmap.scaled(
                    PREVIEW_SIDE,
                    PREVIEW_SIDE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def show_ended(self, text: str) -> None:
        self.set_rendering(False)
        self.status.setText(text)
