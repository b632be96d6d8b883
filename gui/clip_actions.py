"""A clip in the Content well: the scrubber that picks the frame painted live, and *Render clip...*.

The live run paints one frame like a photo, so every slider works on it as
usual; the render then paints the whole clip with the same settings
(``engine.video.clip_painter``), in the background, and the window's live run waits.
"""

from __future__ import annotations

import time

from brushwork.engine.errors import BrushworkError
from brushwork.engine.video.clip_painter import FrameProgress, VideoSettings, clip_dims, seconds_left
from PySide6.QtCore import QObject, Signal

from .panels.clip_bar import ClipBar
from .panels.clip_render_dialog import ClipRenderDialog
from .run.clip_job import ClipJob, ClipOutcome, ClipRequest


class ClipActions(QObject):
    """Wires the clip bar, the render dialog and the render job to the window; GUI thread only.

    Parameters: ``window``, the ``StudioWindow`` (its inputs, dialogs, params and status), and ``bar``, the
    clip bar it placed under the preview.
    """

    rendering_changed = Signal(bool)

    def __init__(self, window, bar: ClipBar) -> None:
        super().__init__(window)
        self.window = window
        self.bar = bar
        self.job = ClipJob(self)
        self.dialog: ClipRenderDialog | None = None
        self._frame_times: list[float] = []  # when each frame of this render finished (monotonic seconds)
        inputs = window.inputs
        inputs.clip_changed.connect(bar.set_clip)
        bar.frame_chosen.connect(inputs.show_clip_frame)
        bar.render_requested.connect(self.open_dialog)
        self.job.reported.connect(self._on_report)
        self.job.ended.connect(self._on_ended)

    @property
    def rendering(self) -> bool:
        return self.job.rendering

    def open_dialog(self) -> ClipRenderDialog | None:
        clip = self.window.inputs.clip
        if clip is None and self.dialog is None:
            self.window.show_error("Drop a video clip on the Content well first, then tune the settings on a frame.")
            return None
        if self.dialog is None:
            self.dialog = ClipRenderDialog(self.window)
            self.dialog.render_requested.connect(self._on_render_requested)
            self.dialog.cancel_requested.connect(self.job.cancel)
        if clip is not None and not self.rendering:
            params = self.window.params()
            self.dialog.show_clip(clip, clip_dims(clip, params.size))
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _on_render_requested(self, settings: VideoSettings) -> None:
        window, clip = self.window, self.window.inputs.clip
        if self.rendering:
            return
        if clip is None or not window.inputs.ready:
            self.dialog.show_ended("A clip needs a painting too: drop one on the Style well.")
            return
        output = window.dialogs.clip_output_path(clip.path.with_name(f"{clip.path.stem}_painted.mp4"))
        if output is None:
            return
        params = window.params()
        note = ""
        if params.regions:
            # Region masks belong to one still photo: a moving clip would need them on every frame.
            params = params.replace(regions=(), outside_regions="style")
            note = " Regions are left out: their masks belong to a still photo."
        try:
            render = self.job.prepare(ClipRequest(clip.path, window.inputs.all_styles(), params, output, settings))
        except BrushworkError as exc:
            self.dialog.show_ended(f"Not rendered: {exc}")
            return
        kept = render.frames_done()
        self._frame_times = []
        self.job.start(render)
        self.dialog.show_started(output.name, kept, render.info.frames)
        if note:
            self.dialog.status.setText(self.dialog.status.text() + note)
        self.rendering_changed.emit(True)

    def _on_report(self, report: FrameProgress) -> None:
        if report.frame_finished:
            self._frame_times.append(time.monotonic())
        if self.dialog is not None:
            left = seconds_left(self._frame_times, report.frames_left)
            self.dialog.show_progress(report, left)

    def _on_ended(self, outcome: ClipOutcome) -> None:
        if self.dialog is not None:
            self.dialog.show_ended(outcome.message)
        self.window.status.message(outcome.message, 0)
        self.rendering_changed.emit(False)

    def shutdown(self) -> None:
        """Closing: stop the render after its step in flight; its finished frames stay on disk."""
        self.job.cancel()
        self.job.shutdown(2000, must_end=True)
