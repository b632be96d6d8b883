"""Painting a clip in the background: one ``engine.video.clip_painter.ClipRender`` on its own engine thread.

Like a print render (``print_job``), it runs on a second ``RunController``, so
none of its reports can reach the live run's picture; the window pauses the
live run meanwhile. The render keeps each finished frame on disk, so a cancel
loses at most the frame in flight, and rendering again into the same file
with the same settings goes on from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from brushwork.engine.settings.style_params import StyleParams
from brushwork.engine.video.clip_painter import ClipRender, FrameProgress, VideoSettings
from PIL import Image
from PySide6.QtCore import QObject, Signal

from .controller import RunController, RunFailure

FINISHED, CANCELLED, FAILED = "finished", "cancelled", "failed"


@dataclass(frozen=True, eq=False)
class ClipRequest:
    """Everything a clip render starts from."""

    clip: Path
    styles: tuple[Image.Image, ...]
    params: StyleParams
    output: Path
    settings: VideoSettings = field(default_factory=VideoSettings)


@dataclass(frozen=True)
class ClipOutcome:
    """How a render ended: ``kind`` is FINISHED, CANCELLED or FAILED; ``kept`` frames wait in the work folder."""

    kind: str
    message: str
    output: Path
    kept: int = 0
    frames: int = 0


class ClipJob(QObject):
    """One clip render at a time; every method is called on the GUI thread. ``ended`` comes once per render."""

    reported = Signal(object)  # engine.video.FrameProgress
    ended = Signal(object)  # ClipOutcome

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # A thread of its own name: the pools that PyTorch, OpenCV and FFmpeg start from it
        # (bounded, reused by the next render) are then told apart from the live run's.
        self.controller = RunController(self, thread_name="brushwork-clips")
        self.render: ClipRender | None = None  # the render going, until it has ended
        self.last: FrameProgress | None = None
        self._failure: RunFailure | None = None
        self.controller.progressed.connect(self._on_progress)
        self.controller.failed.connect(self._on_failed)
        self.controller.run_finished.connect(self._on_finished)

    @property
    def rendering(self) -> bool:
        return self.render is not None

    def prepare(self, request: ClipRequest) -> ClipRender:
        """The render for ``request``, not started (raises BrushworkError for a clip that cannot be read)."""
        return ClipRender(request.clip, request.styles, request.params, request.output, request.settings)

    def start(self, render: ClipRender) -> None:
        self.render, self.last, self._failure = render, None, None
        self.controller.start_job(render)

    def cancel(self) -> None:
        """Stop after the step in flight; the frames finished stay for a later render to go on from."""
        if self.render is not None:
            self.render.cancel()

    def shutdown(self, timeout_ms: int = 2000, *, must_end: bool = False) -> bool:
        return self.controller.shutdown(timeout_ms, must_end=must_end)

    def _on_progress(self, progress: FrameProgress) -> None:
        self.last = progress
        self.reported.emit(progress)

    def _on_failed(self, failure: RunFailure) -> None:
        self._failure = failure

    def _on_finished(self, completed: bool) -> None:
        render, self.render = self.render, None
        if render is None:
            return
        kept = render.frames_done() if not completed else 0
        frames = self.last.frames if self.last is not None else render.info.frames
        if completed:
            text = f"Wrote {render.output} ({frames} frames)."
            if render.cut_short:
                text += " " + render.short_note()
            outcome = ClipOutcome(FINISHED, text, render.output, 0, frames)
        elif self._failure is not None:
            text = f"The render stopped: {self._failure.message}"
            if kept:
                text += f" The {kept} frames painted are kept: render again into {render.output.name} to go on."
            outcome = ClipOutcome(FAILED, text, render.output, kept, frames)
        else:
            text = (
                f"Stopped after {kept} of {frames} frames. They are kept: render into {render.output.name} again "
                "with the same settings to go on from there."
                if kept
                else "Stopped before a frame was finished."
            )
            outcome = ClipOutcome(CANCELLED, text, render.output, kept, frames)
        self.ended.emit(outcome)
