"""Running the engine on a QThread and carrying its reports back to the GUI thread."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from PIL import Image
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from engine.errors import BrushworkError, OutOfMemoryError
from engine.params import StyleParams
from engine.transfer import StyleTransfer

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class RunRequest:
    """Everything a run starts from; handed to the worker thread as is."""

    content: Image.Image
    style: Image.Image | tuple[Image.Image, ...]  # several are blended
    params: StyleParams
    start_picture: Image.Image | None = None
    start_step: int = 0


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
    """Iterates ``StyleTransfer.run()`` in its thread and emits every report.

    Control (update, pause, cancel) goes straight to the engine's thread-safe
    methods, not through queued signals: this thread's event loop is busy.
    """

    progressed = Signal(object)  # engine.Progress
    failed = Signal(object)  # RunFailure
    finished = Signal(bool)  # True when every step ran
    downloading = Signal(int, int)  # bytes so far, total (0 if unknown): torchvision weights

    def __init__(self, request: RunRequest) -> None:
        super().__init__()
        self.engine = StyleTransfer(
            request.content,
            request.style,
            request.params,
            start_picture=request.start_picture,
            start_step=request.start_step,
            weights_progress=self.downloading.emit,
        )

    @Slot()
    def run(self) -> None:
        try:
            for progress in self.engine.run():
                self.progressed.emit(progress)
        except OutOfMemoryError as exc:
            self.failed.emit(RunFailure(str(exc), suggested_size=exc.suggested_size, step=exc.step))
        except BrushworkError as exc:
            log.warning("run stopped: %s", exc)
            self.failed.emit(RunFailure(str(exc)))
        except Exception as exc:  # anything else is a bug: keep the window alive, log it all
            log.exception("the engine failed")
            self.failed.emit(RunFailure(f"The engine stopped unexpectedly: {exc}", traceback.format_exc()))
        finally:
            # Hand ourselves back to the GUI thread before this thread ends:
            # deleteLater() on an object whose thread has already finished is
            # never carried out, and every run's engine (its network, pictures
            # and optimiser state) would stay in memory.
            self.moveToThread(QCoreApplication.instance().thread())
            self.finished.emit(self.engine.finished)


class RunController(QObject):
    """Owns the worker thread of the current run; all methods are called on the GUI thread."""

    progressed = Signal(object)
    failed = Signal(object)
    run_finished = Signal(bool)
    downloading = Signal(int, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: EngineWorker | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def paused(self) -> bool:
        return self._worker is not None and self._worker.engine.paused

    @property
    def engine(self) -> StyleTransfer | None:
        """The running engine (for reading its state; control through this controller)."""
        return self._worker.engine if self._worker is not None else None

    def start(self, request: RunRequest) -> None:
        if self.running:
            raise RuntimeError("a run is already going")
        thread = QThread()
        thread.setObjectName("brushwork-engine")
        worker = EngineWorker(request)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progressed.connect(self.progressed)
        worker.failed.connect(self.failed)
        worker.downloading.connect(self.downloading)
        worker.finished.connect(self._on_worker_finished)
        self._thread, self._worker = thread, worker
        thread.start()

    def update(self, params: StyleParams | None = None, *, content=None, style=None) -> None:
        """Forward a change to the running engine (it applies on the next step)."""
        if self._worker is not None:
            self._worker.engine.update(params, content=content, style=style)

    def pause(self) -> None:
        if self._worker is not None:
            self._worker.engine.pause()

    def resume(self) -> None:
        if self._worker is not None:
            self._worker.engine.resume()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.engine.cancel()

    def shutdown(self, timeout_ms: int = 2000, *, must_end: bool = False) -> bool:
        """Stop the run and wait for its thread; True if it ended within ``timeout_ms``.

        The engine stops between steps, and one step on a large picture can
        take longer than the timeout. With ``must_end`` (closing the app) we
        then keep waiting: destroying a QThread that still runs would abort
        the process.
        """
        thread = self._thread
        if thread is None:
            return True
        self.stop()
        thread.quit()
        ended = thread.wait(timeout_ms)
        if not ended and must_end:
            log.warning("the engine is finishing a long step; waiting for it")
            thread.wait()
        if ended or must_end:
            self._release()
        return ended

    @Slot(bool)
    def _on_worker_finished(self, completed: bool) -> None:
        thread = self._thread
        if thread is not None:
            thread.quit()
            thread.wait()
        self._release()
        self.run_finished.emit(completed)

    def _release(self) -> None:
        if self._worker is not None:
            self._worker.engine = None  # its thread has ended: free the tensors now, not at deletion
            self._worker.deleteLater()
        if self._thread is not None:
            self._thread.deleteLater()
        self._thread = self._worker = None
