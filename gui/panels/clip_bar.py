"""Under the preview while the Content well holds a clip: a scrubber for the frame painted live, and Render clip."""

from __future__ import annotations

from brushwork.engine.video.clip_files import ClipInfo
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

# Milliseconds the scrubber rests before its frame is decoded: dragging
# through a clip then decodes where the artist stops, not every frame passed.
SETTLE_MS = 120


def frame_time(clip: ClipInfo, index: int) -> str:
    seconds = float(index / clip.rate)
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


class ClipBar(QWidget):
    """Scrub to a frame (mouse, wheel, arrow keys, Page Up/Down), tune the sliders on it, then render the clip."""

    frame_chosen = Signal(int)
    render_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clip: ClipInfo | None = None
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("clip_scrubber")
        self.slider.setToolTip("The clip's frame to tune the settings on (arrow keys: one frame)")
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.slider.setMinimumWidth(160)
        self.label = QLabel()
        self.render_button = QPushButton("Render clip...")
        self.render_button.setToolTip("Paint every frame of the clip with these settings (Ctrl+Shift+R)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Frame"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.render_button)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(lambda: self.frame_chosen.emit(self.slider.value()))
        self.slider.valueChanged.connect(self._on_moved)
        self.render_button.clicked.connect(lambda: self.render_requested.emit())
        self.set_clip(None)

    def set_clip(self, clip: ClipInfo | None) -> None:
        """Show the bar for ``clip`` at its first frame, or hide it (None)."""
        self.clip = clip
        self._settle.stop()
        self.setVisible(clip is not None)
        if clip is None:
            return
        self.slider.blockSignals(True)
        self.slider.setRange(0, clip.frames - 1)
        self.slider.setPageStep(max(1, clip.frames // 10))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self._show_label(0)

    def _on_moved(self, index: int) -> None:
        self._show_label(index)
        self._settle.start()

    def _show_label(self, index: int) -> None:
        if self.clip is not None:
            self.label.setText(f"{index + 1} / {self.clip.frames}")
            self.label.setToolTip(f"Frame {index + 1} of {self.clip.frames}, at {frame_time(self.clip, index)}")
