"""One engine thread for the whole session, and the one object that owns the run on it.

The first release started a QThread per run and waited for it when the run
ended. A run replaced mid-flight (continue from a snapshot) then received the
old run's queued ``finished`` and waited on the *new* thread, freezing the
window. Here the thread lives as long as the controller, nothing on the GUI
thread ever waits for a run, and every report carries the number of the run
that made it: the controller forwards only the current run's reports, so a
late report from a replaced run cannot act on its successor. This is the
pattern of the Qt for Python Mandelbrot example (one worker, a restart flag).
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass

from brushwork.engine.errors import BrushworkError, OutOfMemoryError
from brushwork.engine.run.core_share import create_thread_pools
from brushwork.engine.run.progress import Progress
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.regions import RegionMasks
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image
from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class RunRequest:
    """Everything a run starts from; handed to the engine thread as is."""

    content: Image.Image
    style: Image.Image | tuple[Image.Image, ...]  # several are blended
    params: StyleParams
    start_picture: Image.Image | None = None
    start_step: int = 0
    masks: RegionMasks | None = None  # where each of params.regions is (engine.settings.regions)


@dataclass(frozen=True)
class RunFailure:
    """Why a run stopped early: a message for the artist, a traceback for the log.

    After running out of memory, ``suggested_size`` and ``step`` say how to
    continue from the picture so far.
    """

    message: str
    details: str = ""
    suggested_size: int | None = None
    step: int = 0


class EngineWorker(QObject):
    """Lives on the engine thread; runs one engine at a time, as they are handed in.

    Its ``serve`` loop blocks on a condition, not on the Qt event loop, so
    handing in a run or closing goes through ``submit``/``close`` (thread-safe),
    never through queued signals that a busy thread would not deliver.
    """

    progressed = Signal(int, object)  # run number, engine.Progress
    failed = Signal(int, object)  # run number, RunFailure
    finished = Signal(int, bool)  # run number, True when every step ran
    downloading = Signal(int, int, int)  # run number, bytes so far, total (0 if unknown)

    def __init__(self) -> None:
        super().__init__()
        self._wake = threading.Condition()
        self._next: tuple[int, StyleTransfer] | None = None
        self._closing = False

    def submit(self, run: int, engine: StyleTransfer) -> None:
        """Run ``engine`` next (replacing one handed in but not yet started)."""
        with self._wake:
            self._next = (run, engine)
            self._wake.notify()

    def close(self) -> None:
        """End ``serve`` once the run in hand (if any) has returned."""
        with self._wake:
            self._closing = True
            self._next = None
            self._wake.notify()

    @Slot()
    def serve(self) -> None:
        while True:
            with self._wake:
                while self._next is None and not self._closing:
                    self._wake.wait()
                if self._closing:
                    return
                (run, engine), self._next = self._next, None
            self._run(run, engine)
            del engine  # nothing on this thread keeps a finished run's tensors alive

    def _run(self, run: int, engine: StyleTransfer) -> None:
        try:
            for progress in engine.run():
                self.progressed.emit(run, progress)
        except OutOfMemoryError as exc:
            self.failed.emit(run, RunFailure(str(exc), suggested_size=exc.suggested_size, step=exc.step))
        except BrushworkError as exc:
            log.warning("run stopped: %s", exc)
            self.failed.emit(run, RunFailure(str(exc)))
        except Exception as exc:  # anything else is a bug: keep the window alive, log it all
            log.exception("the engine failed")
            self.failed.emit(run, RunFailure(f"The engine stopped unexpectedly: {exc}", traceback.format_exc()))
        finally:
            self.finished.emit(run, engine.finished)


class RunController(QObject):
    """Owns the engine thread and the current run; every method is called on the GUI thread.

    ``progressed``, ``failed`` and ``run_finished`` come from the current run
    only. ``start`` while a run goes replaces it: the old one is cancelled and
    its remaining reports are dropped, and ``run_finished`` fires once, for
    the run that is current when it ends.
    """

    progressed = Signal(object)
    failed = Signal(object)
    run_finished = Signal(bool)
    downloading = Signal(int, int)

    def __init__(self, parent: QObject | None = None, thread_name: str = "brushwork-engine") -> None:
        super().__init__(parent)
        self._thread_name = thread_name
        self._thread: QThread | None = None
        self._worker: EngineWorker | None = None
        self._run = 0  # number of the current (or last) run
        self._engine: StyleTransfer | None = None  # the current run's, until it ends
        self._focus = (0.5, 0.5)  # where the artist looks: the loupe of every run goes there

    @property
    def running(self) -> bool:
        return self._engine is not None

    @property
    def paused(self) -> bool:
        return self._engine is not None and self._engine.paused

    @property
    def engine(self) -> StyleTransfer | None:
        """The running engine (for reading its state; control through this controller)."""
        return self._engine

    def start(self, request: RunRequest) -> None:
        """Start a run; one already going is cancelled and replaced."""
        if self._engine is not None:
            self._engine.cancel()
        worker = self._ensure_thread()
        self._run += 1
        run = self._run
        self._engine = StyleTransfer(
            request.content,
            request.style,
            request.params,
            start_picture=request.start_picture,
            start_step=request.start_step,
            masks=request.masks,
            weights_progress=lambda done, total: worker.downloading.emit(run, done, total),
        )
        self._engine.set_focus(*self._focus)
        worker.submit(run, self._engine)

    def start_job(self, job) -> None:
        """Run ``job`` on the engine thread instead of a picture's engine: anything with ``run()`` (yielding
        reports), ``cancel()`` and ``finished``, such as a clip's ``engine.video.clip_painter.ClipRender``."""
        if self._engine is not None:
            self._engine.cancel()
        worker = self._ensure_thread()
        self._run += 1
        self._engine = job
        worker.submit(self._run, job)

    def update(
        self, params: StyleParams | None = None, *, content=None, style=None, masks: RegionMasks | None = None
    ) -> None:
        """Forward a change to the running engine (it applies on the next step).

        Parameters and masks handed together reach the same step: a region
        removed never meets the masks of the list before it.
        """
        if self._engine is not None:
            self._engine.update(params, content=content, style=style, masks=masks)

    def set_focus(self, x: float, y: float) -> None:
        """Where the artist looks, as shares of the picture's width and height (``engine.run.loupe``)."""
        self._focus = (x, y)
        if isinstance(self._engine, StyleTransfer):
            self._engine.set_focus(x, y)

    def pause(self) -> None:
        if self._engine is not None:
            self._engine.pause()

    def resume(self) -> None:
        if self._engine is not None:
            self._engine.resume()

    def stop(self) -> None:
        """Ask the run to stop; ``run_finished(False)`` follows once its step in flight is given up."""
        if self._engine is not None:
            self._engine.cancel()

    def shutdown(self, timeout_ms: int = 2000, *, must_end: bool = False) -> bool:
        """Stop the run and end the engine thread; True if it ended within ``timeout_ms``.

        Only for closing (and tests' teardown): it is the one place that waits.
        The engine gives up the step in flight at its next checkpoint (at
        most a layer of one tile away), but a preview's step, or a device
        busy elsewhere, can take longer than the timeout. With ``must_end`` we then keep waiting:
        destroying a QThread that still runs would abort the process.
        """
        self.stop()
        self._engine = None  # no report of it is forwarded any more
        thread, worker = self._thread, self._worker
        if thread is None:
            return True
        worker.close()
        thread.quit()
        ended = thread.wait(timeout_ms)
        if not ended and must_end:
            log.warning("the engine is finishing a long step; waiting for it")
            thread.wait()
            ended = True
        if ended:
            self._thread = self._worker = None
        return ended

    def _ensure_thread(self) -> EngineWorker:
        if self._worker is None:
            create_thread_pools()  # on this, the GUI thread: see engine.core_share
            thread = QThread()
            thread.setObjectName(self._thread_name)
            worker = EngineWorker()
            worker.moveToThread(thread)
            thread.started.connect(worker.serve)
            worker.progressed.connect(self._on_progressed)
            worker.failed.connect(self._on_failed)
            worker.finished.connect(self._on_finished)
            worker.downloading.connect(self._on_downloading)
            self._thread, self._worker = thread, worker
            thread.start()
        return self._worker

    def _current(self, run: int) -> bool:
        return run == self._run and self._engine is not None

    @Slot(int, object)
    def _on_progressed(self, run: int, progress: Progress) -> None:
        if self._current(run):
            self.progressed.emit(progress)

    @Slot(int, object)
    def _on_failed(self, run: int, failure: RunFailure) -> None:
        if self._current(run):
            self.failed.emit(failure)

    @Slot(int, int, int)
    def _on_downloading(self, run: int, done: int, total: int) -> None:
        if self._current(run):
            self.downloading.emit(done, total)

    @Slot(int, bool)
    def _on_finished(self, run: int, completed: bool) -> None:
        if self._current(run):
            self._engine = None  # the engine thread has let go of it too: its tensors are freed now
            self.run_finished.emit(completed)
