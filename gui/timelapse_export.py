"""*File > Export time-lapse...*: the live run recorded as it paints, written as an MP4 or a GIF off the GUI thread."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from brushwork.engine.errors import BrushworkError
from brushwork.engine.run.progress import Progress
from brushwork.engine.video.timelapse import FORMATS, TimelapseOptions, TimelapseRecorder, write_timelapse
from PySide6.QtCore import QObject

from .panels.timelapse_dialog import TimelapseDialog

log = logging.getLogger(__name__)


class TimelapseActions(QObject):
    """Records the window's runs and exports them; every method is called on the GUI thread.

    Parameters: ``window``, the ``StudioWindow`` (its dialogs, files, spawn and status).
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.recorder = TimelapseRecorder()
        self.dialog: TimelapseDialog | None = None

    def run_started(self, continuing: bool) -> None:
        """A run from the photo starts a new recording; one continuing from the picture goes on in it."""
        self.recorder.begin(continuing)
        self._refresh()

    def add(self, progress: Progress) -> None:
        self.recorder.add(progress)
        if self.dialog is not None and self.dialog.isVisible() and progress.preview is not None:
            self._refresh()  # at most ten times a second, with the previews

    def open_dialog(self) -> TimelapseDialog:
        if self.dialog is None:
            self.dialog = TimelapseDialog(self.window)
            self.dialog.export_requested.connect(self._on_export_requested)
        self._refresh()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _refresh(self) -> None:
        if self.dialog is None:
            return
        size = self.recorder.size
        self.dialog.show_recording(self.recorder.duration, self.recorder.frames, max(size) if size else 0)

    def _on_export_requested(self, options: TimelapseOptions, suffix: str) -> None:
        self._refresh()
        path = self.window.dialogs.timelapse_path(self.window.saving.files.suggested_name(suffix), suffix)
        if path is None:
            self.dialog.show_result("")
            return
        if path.suffix.lower() not in FORMATS:
            path = path.with_suffix(suffix)
        # The frames as they are now: the run goes on recording while this writes.
        self.window.spawn(self._write(self.recorder.recording(), path, options))

    async def _write(self, recording, path: Path, options: TimelapseOptions) -> None:
        self.dialog.show_writing(f"Writing {path.name}...")
        loop = asyncio.get_running_loop()
        try:
            written = await loop.run_in_executor(None, write_timelapse, recording, path, options)
        except BrushworkError as exc:
            self.dialog.show_result(f"Not written: {exc}")
            return
        self.window.session.set_save_folder(path.parent)
        text = f"Wrote {path} ({written.frames} frames, {written.width} x {written.height} px, {written.seconds:.1f} s)"
        self.dialog.show_result(text)
        self.window.status.message(text, 0)
