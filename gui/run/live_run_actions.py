"""The live run: start, pause, continue and stop it, and what its reports do to the window.

Reports come back from the engine thread through the ``RunController`` (the
current run's only) to here, and go on to the preview, the status bar, the
loss chart, the history, the time-lapse and the autosave. A print or clip
render has the machine to itself: the live run is paused while one goes and
resumed after it.
"""

from __future__ import annotations

import logging

import numpy as np
from brushwork.engine.print_size.print_estimate import machine_memory
from brushwork.engine.run.progress import Progress
from brushwork.engine.run.run_clock import RunClock, start_clock
from brushwork.engine.run.schedule import plan_stages, resume_step
from brushwork.engine.run.time_model import format_span
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image
from PySide6.QtCore import QObject, QTimer

from ..panels.history_strip import Snapshot
from .canvas_picture import CanvasPicture
from .controller import RunFailure, RunRequest
from .shown_picture import PaintedFrom, ShownPicture

log = logging.getLogger(__name__)


class LiveRunActions(QObject):
    """Runs the live run of ``window`` (the ``StudioWindow``) and shows what it reports.

    ``last_progress`` is the run's newest report (None before the first one);
    ``canvas`` what the canvas shows of it, and what that lacks.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.last_progress: Progress | None = None
        self.canvas = CanvasPicture(window, self)
        self._pending_preview: ShownPicture | None = None
        self._final16: tuple[np.ndarray, np.ndarray] | None = None  # (preview, 16-bit picture) of a finished run
        self._live_held = False  # the live run was paused for a print or clip render, to resume after it
        controller = window.controller
        controller.progressed.connect(self._on_progress)
        controller.failed.connect(self._on_failed)
        controller.run_finished.connect(self._on_run_finished)
        controller.downloading.connect(self._on_downloading)
        window.print_render.rendering_changed.connect(self._on_background_render)
        window.clips.rendering_changed.connect(self._on_background_render)

    # -- starting, pausing, stopping ---------------------------------------------------

    def start(self, start_picture: Image.Image | None = None, start_step: int = 0) -> None:
        """Start a run; with ``start_picture``, continue from it at plan step ``start_step``."""
        if self.window.controller.running:
            return
        self._begin_run(start_picture, start_step)

    def _begin_run(self, start_picture: Image.Image | None, start_step: int) -> None:
        """Start a run, replacing one that goes."""
        w = self.window
        if self._print_holds_live_run():
            return
        if not w.inputs.ready:
            w.show_error("Drop a content photo and a style painting first.")
            return
        w.banner.hide()
        w.status.reset()
        self.last_progress = None
        params = w.params()
        content, styles = w.content_well.image, w.inputs.all_styles()
        w.loss_chart.clear()
        masks = w.run_masks.start_run(params)
        self.canvas.run_started()
        w.history.begin_run()
        w.controller.start(RunRequest(content, styles, params, start_picture, start_step, masks))
        w.timelapse.run_started(continuing=start_picture is not None)
        w.autosave_later(
            w.autosave.begin_run,
            content,
            styles,
            w.content_well.path,
            w.inputs.style_paths(),
            params,
            *w.run_masks.sent_masks(),
        )
        w.status.message("Painting...")
        w.status.start_run(self._clock(params, start_step))
        self.update_buttons()

    def _clock(self, params: StyleParams, start_step: int = 0) -> RunClock:
        """The run's clock: what it will take here, from this machine's past runs (engine.run.time_model)."""
        w = self.window
        free, dtype = machine_memory(params)
        size = w.content_well.image.size
        return start_clock(w.session.run_history, size, params, start_step, free_bytes=free, dtype=dtype)

    def _cost_estimate(self, params: StyleParams) -> str:
        """What a run would take here, said before it starts; a range where the estimate is unsure."""
        clock = self._clock(params)
        guess = "" if clock.model.measured else f" (a first guess: no {clock.model.untimed}run timed here yet)"
        return f"{format_span(clock.forecast)}{guess}"

    def show_cost_estimate(self) -> None:
        """Before a run, what it would cost, where the time left will show once it runs."""
        w = self.window
        if not w.controller.running and w.inputs.ready:
            w.status.left.setText(f"a run: {self._cost_estimate(w.editor.current)}")

    def continue_from_picture(self, size: int | None = None, step: int = 0) -> None:
        """Resume from the picture on screen (after a crash or running out of memory)."""
        w = self.window
        kept = self.canvas.run_picture()
        if kept is None:
            return
        if size is not None:
            w.set_params(w.params().replace(size=size))
        self._begin_run(Image.fromarray(kept.frame), step)

    def continue_from_snapshot(self, snapshot: Snapshot) -> None:
        """Paint on from the snapshot's picture with the current settings, replacing any run that goes."""
        w = self.window
        painted = PaintedFrom(snapshot.params, self.canvas.inputs_now)
        self.canvas.show(ShownPicture(snapshot.picture, painted, step=snapshot.step, total_steps=snapshot.total_steps))
        self.canvas.release_snapshot()
        params = w.params()
        stages = plan_stages(params.size, params.steps)
        step = resume_step(stages, snapshot.step, max(snapshot.picture.shape[:2]))
        self._begin_run(Image.fromarray(snapshot.picture), step)

    def toggle_pause(self) -> None:
        controller, status = self.window.controller, self.window.status
        if not controller.running or self._print_holds_live_run():
            return
        if controller.paused:
            controller.resume()
            status.message("Resumed")
        else:
            controller.pause()
            status.message("Paused", 0)
        status.set_paused(controller.paused)
        self.update_buttons()
        self.canvas.refresh()

    def start_or_pause(self) -> None:
        self.toggle_pause() if self.window.controller.running else self.start()

    def stop(self) -> None:
        if self.window.controller.running:
            self.window.controller.stop()
            self.window.status.message("Stopping...")

    def final16(self, picture: np.ndarray) -> np.ndarray | None:
        """The finished run's 16-bit picture when ``picture`` is that run's last preview, else None."""
        if self._final16 is not None and self._final16[0] is picture:
            return self._final16[1]
        return None

    # -- what the run reports ----------------------------------------------------------

    def _on_progress(self, progress: Progress) -> None:
        w = self.window
        self.last_progress = progress
        w.status.show_progress(progress)
        w.preview.show_working_side(progress.preview_side, (progress.width, progress.height))
        w.preview.show_loupe(progress.loupe)
        w.loss_chart.add(progress)
        w.timelapse.add(progress)
        if progress.scale_finished and progress.preview is not None:
            label = f"scale {progress.scale + 1} ({progress.width}x{progress.height})"
            w.history.add(Snapshot(progress.preview, progress.params, progress.step, progress.total_steps, label))
        if w.autosave.due(progress):
            w.autosave_later(w.autosave.save_picture, progress.preview, progress)
        if progress.picture16 is not None:
            self._final16 = (progress.preview, progress.picture16)
        if progress.preview is not None:
            # Keep only the newest frame; a burst of queued reports paints once.
            first = self._pending_preview is None
            self._pending_preview = self.canvas.frame_reported(progress)
            if first:
                QTimer.singleShot(0, self._show_pending_preview)

    def _show_pending_preview(self) -> None:
        shown, self._pending_preview = self._pending_preview, None
        if shown is None:
            return
        w = self.window
        first = w.picture is None
        self.canvas.show(shown)
        if first:
            self.update_buttons()
        w.preview_shown.emit()

    def _on_downloading(self, done: int, total: int) -> None:
        amount = f"{done / 1e6:.0f} of {total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
        self.window.status.message(f"Downloading the torchvision VGG19 weights: {amount}", 0)

    def _on_failed(self, failure: RunFailure) -> None:
        if failure.details:
            log.error("%s\n%s", failure.message, failure.details)
        if failure.suggested_size is not None and self.window.picture is not None:
            size, step = failure.suggested_size, failure.step
            self.window.show_error(
                failure.message, f"Continue at {size} px", lambda: self.continue_from_picture(size, step)
            )
        else:
            self.window.show_error(failure.message)

    def _on_run_finished(self, completed: bool) -> None:
        w = self.window
        w.preview.show_working_side(None)
        if w.status.clock is not None:
            # What the run's scales took: the next estimate learns from it (written off the GUI thread).
            w.autosave_later(w.session.run_history.add, w.status.clock.records())
        self._show_pending_preview()
        self.update_buttons()
        self.canvas.refresh()  # the run's end: what it did not paint, it will not
        w.status.finish(completed)
        w.status.message("Finished" if completed else "Stopped", 0)

    # -- print and clip renders, which have the machine to themselves ---------------------

    def _background_render(self) -> str | None:
        """Which render has the machine ("print render" or "clip render"), or None."""
        if self.window.print_render.rendering:
            return "print render"
        if self.window.clips.rendering:
            return "clip render"
        return None

    def _print_holds_live_run(self) -> bool:
        """True (and the artist is told) while a print or clip render has the machine: the live run waits."""
        render = self._background_render()
        if render is None:
            return False
        self.window.status.message(f"The {render} is using the machine: the live run waits until it ends.")
        return True

    def _on_background_render(self, rendering: bool) -> None:
        """A print or clip render starts or ends: the live run is paused for it and goes on afterwards.

        Paused, not stopped: the live run keeps its picture and optimiser, and
        none of the render's reports reach it (it has its own engine thread).
        """
        controller, status = self.window.controller, self.window.status
        render = self._background_render()
        if rendering and controller.running and not controller.paused:
            controller.pause()
            self._live_held = True
            status.set_paused(True)
            status.message(f"The live run is paused while the {render} goes", 0)
        elif not rendering and self._live_held and render is None:
            self._live_held = False
            if controller.running and controller.paused:
                controller.resume()
                status.set_paused(False)
        self.update_buttons()
        self.canvas.refresh()

    def update_buttons(self) -> None:
        """The run bar's buttons, enabled for what can be done now."""
        w = self.window
        running = w.controller.running
        printing = self._background_render() is not None
        w.start_button.setEnabled(w.inputs.ready and not running and not printing)
        w.pause_button.setEnabled(running and not printing)
        w.pause_button.setText("Resume" if w.controller.paused else "Pause")
        w.stop_button.setEnabled(running)
        w.save_button.setEnabled(w.picture is not None)
