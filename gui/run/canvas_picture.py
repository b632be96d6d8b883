"""What the canvas shows: the live run's newest frame, a restored picture or a chosen snapshot, and what it lacks.

The live run's frames come here from ``LiveRunActions``; a new photo or
painting, a change of settings, a pause or the run's end make the canvas say
again how the picture falls short (``gui.run.shown_picture``). Save and
Export take ``picture_to_keep()`` (what the canvas shows), Snapshot, a
continued run and the session ``run_picture()``: never a frame that carries
the loupe's square (``engine.run.loupe``), which is no picture.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from brushwork.engine.run.progress import Progress
from PIL import Image
from PySide6.QtCore import QObject, QTimer

from ..panels.history_strip import Snapshot
from ..qt_images import array_to_qimage
from .shown_picture import IDLE, PAUSED, RUNNING, Inputs, Note, PaintedFrom, ShownPicture, canvas_text, fingerprint
from .shown_picture import stale_notes as notes_for

# A change mid-run is usually painted within a step: the canvas says it is not only once it has waited this long,
# so that a slider's drag does not make the note flicker.
UNPAINTED_GRACE_S = 1.0


class CanvasPicture(QObject):
    """The picture ``window`` (the ``StudioWindow``) shows, what painted it, and the canvas's note on it.

    ``shown`` is the picture behind ``window.picture``; ``held`` a snapshot
    chosen in the history, shown in its place until the artist goes back to
    the run (or starts one).
    """

    def __init__(self, window, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.shown: ShownPicture | None = None
        self._kept: ShownPicture | None = None  # the newest frame without the loupe's square
        self.held: Snapshot | None = None
        self._now = Inputs()  # the photo and paintings loaded
        self._run_inputs = Inputs()  # what the run's frames are painted from
        self._pending: tuple[Inputs, int] | None = None  # new inputs sent mid-run, and the step they were sent after
        self._unpainted_since: float | None = None
        self._grace = QTimer(self)  # says a change still unpainted once the grace is over
        self._grace.setSingleShot(True)
        self._grace.timeout.connect(self.refresh)
        window.preview.live_requested.connect(self._on_live_requested)

    # -- the inputs ------------------------------------------------------------------------

    @property
    def inputs_now(self) -> Inputs:
        """The photo and paintings loaded now."""
        return self._now

    def photo_changed(self, photo: Image.Image) -> None:
        """A new photo (or clip frame) is in the Content well, before the run is told.

        With no run going, a picture painted from another photo leaves the
        canvas for the history strip, and the canvas shows the new photo as at
        launch: its regions' overlay and the comparison then fit it. A clip's
        other frame keeps the picture, marked, as a run going or paused does
        (it goes on from it).
        """
        inputs = self.window.inputs
        path = inputs.content_well.path
        name = path.name if path is not None else "the pasted photo"
        if inputs.clip is not None:
            name = f"frame {inputs.clip_frame + 1} of {name}"
        self._now = Inputs(fingerprint(photo), self._now.paintings, name, photo.size)
        self._inputs_sent()
        shown, w = self.shown, self.window
        if shown is not None and not w.controller.running and not self._same_clip(shown):
            was = shown.painted.inputs
            if was.photo is not None and was.photo != self._now.photo:
                self._move_to_history(shown, f"{was.photo_name}, step {shown.step}")
                w.status.message(
                    f"{name} is the photo now. The picture painted from {was.photo_name} is kept in the history.", 15000
                )
        self.refresh()

    def paintings_changed(self, paintings: tuple[Image.Image, ...]) -> None:
        self._now = dataclasses.replace(self._now, paintings=fingerprint(*paintings))
        self._inputs_sent()
        self.refresh()

    def _same_clip(self, shown: ShownPicture) -> bool:
        """True when the picture is a frame of the clip in the Content well (the scrubber moved)."""
        clip = self.window.inputs.clip
        return clip is not None and shown.painted.inputs.photo_name.endswith(f" of {clip.path.name}")

    def _inputs_sent(self) -> None:
        """The run is told of new inputs now: frames after the step in flight are painted from them.

        The step in flight may still end with the old ones (it is given up
        only if the news comes in time), so one step more is waited for.
        """
        engine = self.window.controller.engine
        if engine is not None:
            self._pending = (self._now, getattr(engine, "steps_done", 0) + 1)
        else:
            self._run_inputs = self._now

    def _move_to_history(self, shown: ShownPicture, label: str) -> None:
        w = self.window
        w.history.add(Snapshot(shown.frame, shown.painted.params or w.params(), shown.step, shown.total_steps, label))
        self.shown = self._kept = None
        self.release_snapshot()
        w.picture, w.picture_saved = None, True  # it is in the history, which the session keeps
        w.preview.set_picture(None)
        w.live_run.update_buttons()

    # -- the run's frames ----------------------------------------------------------------------

    def run_started(self) -> None:
        """A run starts from the inputs loaded now; a snapshot held on the canvas gives way to it."""
        self._run_inputs, self._pending = self._now, None
        self.release_snapshot()

    def frame_reported(self, progress: Progress) -> ShownPicture:
        """``progress.preview`` with what painted it."""
        if self._pending is not None and progress.step > self._pending[1]:
            self._run_inputs, self._pending = self._pending[0], None
        params = progress.params
        if progress.loupe is not None and self._kept is not None:
            params = self._kept.painted.params  # outside the square, the picture is still the one before the change
        shown = ShownPicture(
            progress.preview,
            PaintedFrom(params, self._run_inputs),
            progress.loupe,
            progress.params if progress.loupe is not None else None,
            progress.step,
            progress.total_steps,
        )
        if shown.loupe is None:
            self._kept = shown  # here, not when shown: of a burst of frames only the newest reaches the canvas
        return shown

    def show(self, shown: ShownPicture, saved: bool = False) -> None:
        """Make ``shown`` the picture (on the canvas unless a snapshot is held there)."""
        w = self.window
        self.shown = shown
        if shown.loupe is None:
            self._kept = shown
        w.picture, w.picture_saved = shown.frame, saved
        if self.held is None:
            w.preview.set_picture(array_to_qimage(shown.frame))
        self.refresh()

    def show_restored(self, frame: np.ndarray, saved: bool, painted: PaintedFrom | None = None) -> None:
        """A picture kept by the last session or an autosave; without inputs in ``painted``, painted from those
        loaded now (an autosave's, restored just before it)."""
        painted = painted or PaintedFrom()
        if painted.inputs == Inputs():
            painted = PaintedFrom(painted.params, self._now)
        self.show(ShownPicture(frame, painted), saved)

    def picture_to_keep(self) -> ShownPicture | None:
        """What Save and Export take: what the canvas shows, the held snapshot or ``run_picture()``."""
        if self.held is not None:
            snap = self.held
            return ShownPicture(snap.picture, PaintedFrom(snap.params), None, None, snap.step, snap.total_steps)
        return self.run_picture()

    def run_picture(self) -> ShownPicture | None:
        """The picture (the run's, or a restored one) as it may be kept: without the loupe's square."""
        if self.shown is None or self.window.picture is not self.shown.frame:
            return None
        return self.shown if self.shown.loupe is None else self._kept

    # -- snapshots -------------------------------------------------------------------------------

    def hold_snapshot(self, snapshot: Snapshot) -> None:
        """Show a snapshot chosen in the history; the run's frames wait behind it."""
        self.held = snapshot
        self.window.preview.set_picture(array_to_qimage(snapshot.picture))
        self.refresh()

    def release_snapshot(self) -> None:
        if self.held is None:
            return
        w = self.window
        self.held = None
        w.history.list.setCurrentRow(-1)  # the selection is what the canvas shows: none now
        w.preview.set_picture(array_to_qimage(w.picture) if w.picture is not None else None)
        self.refresh()

    def _on_live_requested(self) -> None:
        self.release_snapshot()

    # -- the canvas's note -------------------------------------------------------------------------

    def phase(self) -> str:
        controller = self.window.controller
        if not controller.running:
            return IDLE
        return PAUSED if controller.paused else RUNNING

    def notes(self, shown: ShownPicture | None = None) -> tuple[Note, ...]:
        """How ``shown`` (default: the picture on the canvas) falls short of the settings and inputs now."""
        shown = shown or self.shown
        if shown is None:
            return ()
        return notes_for(shown, PaintedFrom(self.window.editor.current, self._now), self.phase())

    def refresh(self) -> None:
        """Say again on the canvas what the picture lacks (or which snapshot it is)."""
        w, phase = self.window, self.phase()
        if self.held is not None:
            snap = self.held
            behind = "The run goes on behind it." if phase != IDLE else ""
            text = f"Snapshot: {snap.label}, step {snap.step} of {snap.total_steps}. {behind}".strip()
            w.preview.show_note(text, "Back to the run" if phase != IDLE else "Back to the picture")
            return
        notes = self.notes()
        if phase == RUNNING and any(note.kind == "settings" for note in notes):
            notes = self._after_grace(notes)
        else:
            self._unpainted_since = None
        w.preview.show_note(canvas_text(notes, phase))

    def _after_grace(self, notes: tuple[Note, ...]) -> tuple[Note, ...]:
        """A change mid-run is said once it has waited ``UNPAINTED_GRACE_S`` unpainted."""
        now = time.monotonic()
        if self._unpainted_since is None:
            self._unpainted_since = now
        waited = now - self._unpainted_since
        if waited >= UNPAINTED_GRACE_S:
            return notes
        if not self._grace.isActive():
            self._grace.start(int((UNPAINTED_GRACE_S - waited) * 1000) + 10)
        return tuple(note for note in notes if note.kind != "settings")
