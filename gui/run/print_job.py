"""A render at print size, in the background: autosaved as it goes, written as a 16-bit file at the end.

It runs on a second ``RunController`` (its own engine thread), so none of its
reports can reach the live run's picture, and the live run keeps its engine
(the window pauses it while this one runs and resumes it afterwards).
Autosaves and the final file are written on one writer thread, in order:
the kept render is discarded only once its file is on disk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brushwork.engine.errors import BrushworkError
from brushwork.engine.network.vgg_weights import weights_loaded
from brushwork.engine.pictures.picture_export import ExportOptions, export_picture
from brushwork.engine.print_size.print_estimate import RenderEstimate, ScaleCost, estimate_render, machine_memory
from brushwork.engine.run.progress import Progress
from brushwork.engine.run.run_clock import RunClock
from brushwork.engine.run.schedule import plan_stages, resume_step
from brushwork.engine.run.time_history import RunHistory
from brushwork.engine.run.time_model import Span, TimeModel, device_key
from brushwork.engine.settings.presets import Preset, preset_to_json
from brushwork.engine.settings.regions import RegionMasks
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image
from PySide6.QtCore import QObject, Signal

from ..persist.autosave import PrintAutosave
from ..persist.state_file import write_in_background
from .controller import RunController, RunFailure, RunRequest

log = logging.getLogger(__name__)

# Seconds between autosaves within a scale. At the top scale of a print a step
# takes minutes, so every step there is saved; small scales save at their end.
AUTOSAVE_INTERVAL = 60.0

FINISHED, CANCELLED, FAILED, WRITE_FAILED = "finished", "cancelled", "failed", "write failed"
UNREADABLE = "unreadable"  # a kept render whose files cannot be read back


@dataclass(frozen=True, eq=False)
class PrintRequest:
    """Everything a print render starts from."""

    content: Image.Image
    styles: tuple[Image.Image, ...]
    params: StyleParams  # size is the print's long side
    output: Path  # .png or .tif: written at 16 bits per channel
    start_picture: Image.Image | None = None  # continue from this picture...
    start_step: int = 0  # ...at this step of the plan
    masks: RegionMasks | None = None
    resumed: bool = False  # going on with the kept render (its autosave is already there)


@dataclass(frozen=True, eq=False)
class PrintReport:
    """One step of the render, for the dialog: the engine's report and what is left."""

    progress: Progress
    scale: ScaleCost | None  # the scale the step ran at (its size, whether tiled)
    seconds_left: Span  # from the render's own steps and this machine's past runs (engine.run.run_clock)
    estimate: RenderEstimate
    fraction: float = 0.0  # the share done, by time: it never goes back


@dataclass(frozen=True)
class PrintOutcome:
    """How a render ended: ``kind`` is FINISHED, CANCELLED, FAILED, WRITE_FAILED or UNREADABLE."""

    kind: str
    message: str
    output: Path
    step: int = 0
    total_steps: int = 0


def write_print(final: Progress, path: Path) -> Path:
    """The finished picture as a 16-bit PNG or TIFF with its settings inside (``engine.pictures.picture_metadata``)."""
    settings = preset_to_json(Preset("Picture", final.params, "the settings this picture was painted with"))
    options = ExportOptions(long_side=max(final.width, final.height), bits=16)
    return export_picture(final.preview, path, options, final.picture16, settings)


class PrintJob(QObject):
    """One print render at a time; every method is called on the GUI thread.

    ``reported`` comes after each step, ``ended`` once, however it ends. A
    cancel gives up the step in flight within a second or two, at any size
    (``StyleTransfer.cancel``): what is kept is the last finished step's picture.
    """

    reported = Signal(object)  # PrintReport
    ended = Signal(object)  # PrintOutcome

    def __init__(
        self,
        autosave: PrintAutosave,
        spawn: Callable[[Coroutine], asyncio.Task],
        parent: QObject | None = None,
        history: RunHistory | None = None,
    ) -> None:
        super().__init__(parent)
        self.autosave = autosave
        self._spawn = spawn
        self.history = history if history is not None else RunHistory(None)  # what renders took here
        self.controller = RunController(self)
        # One thread for every write of this render: autosaves land in order, and the
        # file goes after the last of them.
        self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="brushwork-print-writer")
        self.request: PrintRequest | None = None  # the render going, until it has ended
        self.estimate: RenderEstimate | None = None
        self.last: PrintReport | None = None
        self.unwritten: Progress | None = None  # a finished picture whose file could not be written
        self._clock: RunClock | None = None
        self._final: Progress | None = None
        self._failure: RunFailure | None = None
        self._last_save = 0.0
        self._unsaved: tuple[np.ndarray, int] | None = None  # the latest picture the autosave does not have
        self._kept_step = 0  # the step of the latest picture: what a stopped render keeps
        self.painted: Progress | None = None  # the latest report with a picture: what "Save what is painted" writes
        self._starting = False
        self.stopping = False
        self.controller.progressed.connect(self._on_progress)
        self.controller.failed.connect(self._on_failed)
        self.controller.run_finished.connect(self._on_run_finished)

    @property
    def running(self) -> bool:
        """From the start (reading a kept render included) until ``ended``."""
        return self._starting or self.request is not None

    # -- control ---------------------------------------------------------------------

    def start(self, request: PrintRequest) -> None:
        if self.running:
            raise RuntimeError("a print render is already running")
        free, dtype = machine_memory(request.params)
        device = device_key(request.params)
        model = TimeModel(self.history.for_device(device), device, request.params.style_loss)
        cold = not weights_loaded(request.params.weights)
        self.estimate = estimate_render(
            request.content.size,
            request.params,
            start_step=request.start_step,
            free_bytes=free,
            dtype=dtype,
            model=model,
            cold=cold,
        )
        self._clock = RunClock(model, self.estimate.specs, cold=cold, free_bytes=free, dtype=dtype)
        self.request, self.last, self.unwritten = request, None, None
        self._final = self._failure = self._unsaved = self.painted = None
        self._kept_step = request.start_step
        self.stopping = False
        self._last_save = time.monotonic()
        if request.resumed:
            self._write_later(self.autosave.mark_running)
        else:
            self._write_later(
                self.autosave.begin,
                request.content,
                request.styles,
                request.params,
                request.output,
                request.masks,
                request.start_picture,
                request.start_step,
            )
        self.controller.start(
            RunRequest(
                request.content,
                request.styles,
                request.params,
                request.start_picture,
                request.start_step,
                request.masks,
            )
        )

    def resume_kept(self) -> asyncio.Task:
        """Go on with the kept render from its saved picture and step (read on the writer thread)."""
        self._starting = True
        return self._spawn(self._resume_kept())

    async def _resume_kept(self) -> None:
        try:
            kept = await asyncio.get_running_loop().run_in_executor(self._writer, self.autosave.recover)
        finally:
            self._starting = False
        if kept is None:
            self._write_later(self.autosave.mark_stopped)  # not offered at every launch from now on
            message = "The kept print render could not be read (brushwork.log says why): discard it, start anew."
            self.ended.emit(PrintOutcome(UNREADABLE, message, Path()))
            return
        info = kept.info
        stages = plan_stages(info.params.size, info.params.steps)
        # The step the picture was saved at, or the first scale as large as the picture if later.
        step = resume_step(stages, info.step, max(kept.picture.size)) if kept.picture is not None else 0
        self.start(
            PrintRequest(
                kept.content,
                kept.styles,
                info.params,
                info.output,
                kept.picture,
                step,
                kept.masks if info.params.regions else None,
                resumed=True,
            )
        )

    def set_aside(self) -> None:
        """Keep the kept render for the dialog only: not offered at launch again."""
        self._write_later(self.autosave.mark_stopped)

    def discard_kept(self) -> None:
        if not self.running:
            self._write_later(self.autosave.discard)

    def cancel(self) -> None:
        """Stop now, giving up the step in flight; what was painted stays kept, to resume later."""
        if self.request is not None and not self.stopping:
            self.stopping = True
            self.controller.stop()

    def save_painted(self, path: Path) -> asyncio.Task | None:
        """Write the picture painted so far (a cancelled or failed render's), as painted, with its settings.

        At the size of the scale it reached, 8 bits per channel: it is a
        picture to look at or to go on from, the print is what Resume gives.
        The task's result is the message to show.
        """
        if self.painted is None or self.running:
            return None
        return self._spawn(self._save_painted(self.painted, Path(path)))

    async def _save_painted(self, painted: Progress, path: Path) -> str:
        settings = preset_to_json(Preset("Picture", painted.params, "the settings this picture was painted with"))
        options = ExportOptions(long_side=max(painted.preview.shape[:2]), bits=8)
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._writer, export_picture, painted.preview, path, options, None, settings
            )
        except (OSError, BrushworkError) as exc:
            return f"Could not save the picture so far: {exc}"
        height, width = painted.preview.shape[:2]
        return f"Saved the picture so far ({width} x {height} px, step {painted.step}) to {path}."

    def write_to(self, path: Path) -> asyncio.Task | None:
        """Write a finished picture whose file could not be written to another file."""
        if self.unwritten is None:
            return None
        final, self.unwritten = self.unwritten, None
        return self._spawn(self._write(final, Path(path)))

    def shutdown(self, timeout_ms: int = 2000, *, must_end: bool = False) -> bool:
        """End the engine thread (a render cut off here stays kept, to resume) and the writer."""
        ended = self.controller.shutdown(timeout_ms, must_end=must_end)
        self._writer.shutdown(wait=True)
        return ended

    # -- reports from the engine thread ---------------------------------------------------

    def _on_progress(self, progress: Progress) -> None:
        self._clock.add(progress)
        now = time.monotonic()
        due = progress.scale_finished or progress.finished or now - self._last_save >= AUTOSAVE_INTERVAL
        if progress.preview is not None and not progress.adjusting:
            self._kept_step = progress.step
            self.painted = progress
            if due:
                self._last_save, self._unsaved = now, None
                self._write_later(self.autosave.save_picture, progress.preview, progress.step)
            else:
                self._unsaved = (progress.preview, progress.step)  # saved if the render stops before the next
        if progress.finished and progress.picture16 is not None:
            self._final = progress
        scale = next((s for s in self.estimate.scales if s.index == progress.scale), None)
        clock = self._clock
        self.last = PrintReport(progress, scale, clock.seconds_left(), self.estimate, clock.fraction())
        self.reported.emit(self.last)

    def _on_failed(self, failure: RunFailure) -> None:
        if failure.details:
            log.error("%s\n%s", failure.message, failure.details)
        self._failure = failure

    def _on_run_finished(self, completed: bool) -> None:
        request = self.request
        # What the render's scales took: the next estimate learns from it.
        self._write_later(self.history.add, self._clock.records())
        # Pictures come with at most ten steps a second: the last step may have none, and what is
        # kept (and resumed) is the last picture.
        step = self._kept_step
        total = request.params.steps
        if completed and self._final is not None:
            self._spawn(self._write(self._final, request.output))
            return
        if self._failure is not None:
            message = (
                f"{self._failure.message} What was painted is kept: resume it, or start a new render "
                "at a smaller size or with smaller tiles."
            )
            outcome = PrintOutcome(FAILED, message, request.output, step, total)
        else:
            message = f"Cancelled at step {step} of {total}. What was painted is kept: you can resume it."
            outcome = PrintOutcome(CANCELLED, message, request.output, step, total)
        self._spawn(self._keep_and_end(outcome))

    async def _keep_and_end(self, outcome: PrintOutcome) -> None:
        """Keep the last picture and mark the kept render stopped (after every autosave of it), then
        say it ended: what the dialog then reads of it is already so, and "kept" means every step."""
        unsaved, self._unsaved = self._unsaved, None

        def keep() -> None:
            if unsaved is not None:
                self.autosave.save_picture(*unsaved)
            self.autosave.mark_stopped()

        try:
            await asyncio.get_running_loop().run_in_executor(self._writer, keep)
        except (OSError, BrushworkError) as exc:
            log.warning("could not keep the print render's last picture: %s", exc)
        self._end(outcome)

    async def _write(self, final: Progress, path: Path) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self._writer, self._write_and_discard, final, path)
        except BrushworkError as exc:
            self.unwritten = final  # kept in memory: "Save to another file..." writes it
            message = f"{exc}. The picture is kept: save it to another file."
            await self._keep_and_end(PrintOutcome(WRITE_FAILED, message, path, final.step, final.total_steps))
            return
        kind = "TIFF" if path.suffix.lower() in (".tif", ".tiff") else "PNG"
        message = f"Written to {path}: {final.width} x {final.height} px, 16-bit {kind} with the settings inside."
        self._end(PrintOutcome(FINISHED, message, path, final.step, final.total_steps))

    def _write_and_discard(self, final: Progress, path: Path) -> None:
        """On the writer thread: the file, then (only once it is there) the kept render goes."""
        write_print(final, path)
        self.autosave.discard()

    def _end(self, outcome: PrintOutcome) -> None:
        self.request = None
        self.stopping = False
        self.ended.emit(outcome)

    def _write_later(self, write, *args) -> None:
        write_in_background(self._writer, "print render autosave", write, *args)
