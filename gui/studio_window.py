"""The studio window: image wells, live preview, sliders, presets and run controls."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Coroutine
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.errors import BrushworkError
from engine.images import save_image
from engine.progress import Progress

from .autosave import Autosave
from .dialogs import Dialogs
from .engine_worker import RunController, RunFailure, RunRequest
from .history_strip import HistoryStripWidget, Snapshot
from .image_inputs import CONTENT, STYLE, ImageInputsMixin
from .image_well import ImageWellWidget
from .layer_explorer import LayerExplorerWindow
from .loss_chart import LossChartWidget
from .params_editor import ParamsEditor
from .preset_actions import PresetActionsMixin
from .preset_library import PresetLibrary
from .presets_bar import PresetBarWidget
from .preview_pane import PreviewPane
from .qt_images import array_to_qimage
from .session_restore import SessionRestoreMixin
from .session_store import SessionStore
from .status_panel import StatusPanel

log = logging.getLogger(__name__)


def default_data_dir() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


class MessageBanner(QWidget):
    """A dismissible error line above the preview: readable, never modal."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.action_button.hide()
        self.action_button.clicked.connect(self._on_action)
        self._action = None
        close = QToolButton(text="x")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(close)
        self.setAutoFillBackground(True)
        self.setStyleSheet("MessageBanner { background: #fde7e9; } QLabel { color: #7a0010; }")
        self.hide()

    def show_message(self, text: str, action_text: str | None = None, action=None) -> None:
        """Show ``text``; with an action, a button that runs it (and hides the banner)."""
        self.label.setText(text)
        self._action = action
        self.action_button.setText(action_text or "")
        self.action_button.setVisible(action is not None)
        self.show()

    def _on_action(self) -> None:
        action, self._action = self._action, None
        self.hide()
        if action is not None:
            action()


class StudioWindow(ImageInputsMixin, PresetActionsMixin, SessionRestoreMixin, QMainWindow):
    """The whole studio. Runs go through a ``RunController`` (one QThread per run).

    Parameters
    ----------
    settings, data_dir
        Where UI state and the artist's presets live (defaults: the platform's
        QSettings and app-data folder); tests pass temporary ones.
    dialogs
        The object that asks the artist questions; tests pass scripted answers.
    """

    preview_shown = Signal()
    image_loaded = Signal(str)  # the well's role
    error_shown = Signal(str)

    def __init__(
        self,
        *,
        settings: QSettings | None = None,
        data_dir: Path | None = None,
        dialogs: Dialogs | None = None,
        restore: bool = True,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Brushwork")
        self.setAcceptDrops(True)
        data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.session = SessionStore(settings or QSettings(), data_dir)
        self.library = PresetLibrary(data_dir / "presets")
        self.dialogs = dialogs or Dialogs(self)
        self.controller = RunController(self)
        self.picture: np.ndarray | None = None  # the newest picture shown
        self.picture_saved = True
        self.last_progress: Progress | None = None
        self._pending_preview: np.ndarray | None = None
        self._tasks: set[asyncio.Task] = set()
        self.extra_styles: list[tuple[Path | None, Image.Image]] = []  # blended after the Style well's
        self.explorer: LayerExplorerWindow | None = None
        self.autosave = Autosave(data_dir / "autosave")
        # One writer thread, so autosaves land in order and never overlap.
        self._autosave_writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="brushwork-autosave")

        self._build()
        self._connect()
        self._refresh_presets(self.session.preset_name())
        self._update_run_buttons()
        if restore:
            self._restore_session()

    # -- layout --------------------------------------------------------------------

    def _build(self) -> None:
        self.content_well = ImageWellWidget(CONTENT)
        self.style_well = ImageWellWidget(STYLE)
        wells = QHBoxLayout()
        wells.addWidget(self.content_well)
        wells.addWidget(self.style_well)
        self.presets_bar = PresetBarWidget()
        self.editor = ParamsEditor()
        controls = QWidget()
        controls_layout = QVBoxLayout(controls)
        controls_layout.addLayout(wells)
        controls_layout.addWidget(self.presets_bar)
        controls_layout.addWidget(self.editor)
        controls_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(420)

        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.save_button = QPushButton("Save image...")
        self.start_button.setToolTip("Start painting (Space)")
        self.pause_button.setToolTip("Pause or resume (Space)")
        self.stop_button.setToolTip("Stop and keep the picture (Esc)")
        self.save_button.setToolTip("Save the picture as PNG or JPEG (Ctrl+S)")
        run_bar = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            run_bar.addWidget(button)
        run_bar.addStretch(1)
        run_bar.addWidget(self.save_button)
        self.banner = MessageBanner()
        self.preview = PreviewPane()
        self.history = HistoryStripWidget()
        self.loss_chart = LossChartWidget()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.history, "History")
        self.tabs.addTab(self.loss_chart, "Loss curves")
        self.tabs.setMaximumHeight(200)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(self.preview, 1)
        right_layout.addLayout(run_bar)
        right_layout.addWidget(self.tabs)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([440, 760])
        self.setCentralWidget(self.splitter)
        self.status = StatusPanel(self.statusBar())
        self.resize(1240, 820)
        self._build_actions()

    def _build_actions(self) -> None:
        def action(text: str, shortcut, slot, menu) -> QAction:
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            menu.addAction(act)
            return act

        file_menu = self.menuBar().addMenu("&File")
        self.open_content_action = action("Open content image...", "Ctrl+O", self.browse_content, file_menu)
        self.open_style_action = action("Open style image...", "Ctrl+Shift+O", self.browse_style, file_menu)
        self.paste_action = action("Paste image", QKeySequence.StandardKey.Paste, self.paste, file_menu)
        self.save_action = action("Save image...", "Ctrl+S", self.save_picture, file_menu)
        file_menu.addSeparator()
        action("Import preset...", None, self.import_preset, file_menu)
        action("Export preset...", None, self.export_preset, file_menu)
        file_menu.addSeparator()
        action("Quit", QKeySequence.StandardKey.Quit, self.close, file_menu)
        run_menu = self.menuBar().addMenu("&Run")
        self.start_pause_action = action("Start / pause", "Space", self.start_or_pause, run_menu)
        self.stop_action = action("Stop", "Esc", self.stop, run_menu)
        view_menu = self.menuBar().addMenu("&View")
        action("Fit picture", "Ctrl+0", self.preview.canvas.set_fit, view_menu)
        action("Actual pixels", "Ctrl+1", lambda: self.preview.canvas.set_zoom(1.0), view_menu)
        action(
            "Before | after split", "Ctrl+B", lambda: self.preview.set_split(not self.preview.canvas.split), view_menu
        )
        view_menu.addSeparator()
        self.explorer_action = action("Layer explorer...", "Ctrl+L", self.open_layer_explorer, view_menu)

    def _connect(self) -> None:
        for well in (self.content_well, self.style_well):
            well.files_offered.connect(lambda paths, w=well: self._offer_paths(w, paths))
            well.image_pasted.connect(lambda image, w=well: self._set_well_image(w, image, None, image.size))
            well.browse_requested.connect(lambda w=well: self._browse(w))
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(self.save_picture)
        self.editor.params_changed.connect(self._on_params_changed)
        self.editor.style.add_requested.connect(self._add_style)
        self.editor.style.remove_requested.connect(self._remove_style)
        self.history.snapshot_requested.connect(self.take_snapshot)
        self.history.snapshot_chosen.connect(lambda snap: self.preview.set_picture(array_to_qimage(snap.picture)))
        self.history.continue_requested.connect(self.continue_from_snapshot)
        self.history.save_requested.connect(self._save_snapshot)
        self.history.restore_requested.connect(lambda snap: self.set_params(snap.params))
        self.editor.advanced.browse_init_requested.connect(self._browse_init_image)
        self.editor.advanced.browse_weights_requested.connect(self._browse_weights)
        self.presets_bar.preset_chosen.connect(self.apply_preset)
        self.presets_bar.save_as_requested.connect(self.save_preset_as)
        self.presets_bar.save_requested.connect(self.overwrite_preset)
        self.presets_bar.delete_requested.connect(self.delete_preset)
        self.presets_bar.import_requested.connect(self.import_preset)
        self.presets_bar.export_requested.connect(self.export_preset)
        self.controller.progressed.connect(self._on_progress)
        self.controller.failed.connect(self._on_failed)
        self.controller.run_finished.connect(self._on_run_finished)
        self.controller.downloading.connect(self._on_downloading)

    # -- async helpers -------------------------------------------------------------

    def _spawn(self, coro: Coroutine) -> asyncio.Task:
        """Run a coroutine on the qasync loop, keeping a reference until it ends."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())
            self.show_error(f"Something went wrong: {task.exception()}")

    async def idle(self) -> None:
        """Wait for every image load and save in flight (used by tests and on close)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- running -------------------------------------------------------------------

    def start(self, start_picture: Image.Image | None = None, start_step: int = 0) -> None:
        """Start a run; with ``start_picture``, continue from it at plan step ``start_step``."""
        if self.controller.running:
            return
        if self.content_well.is_empty or self.style_well.is_empty:
            self.show_error("Drop a content photo and a style painting first.")
            return
        self.banner.hide()
        self.status.reset()
        self.last_progress = None
        params = self.params()
        content, styles = self.content_well, self.all_styles()
        self.loss_chart.clear()
        self.controller.start(RunRequest(content.image, styles, params, start_picture, start_step))
        style_paths = (self.style_well.path, *(path for path, _ in self.extra_styles))
        self._autosave_later(self.autosave.begin_run, content.image, styles, content.path, style_paths, params)
        self.status.message("Painting...")
        self._update_run_buttons()

    def continue_from_picture(self, size: int | None = None, step: int = 0) -> None:
        """Resume from the picture on screen (after a crash or running out of memory)."""
        if self.picture is None:
            return
        if size is not None:
            self.set_params(self.params().replace(size=size))
        self.start(Image.fromarray(self.picture), step)

    def _autosave_later(self, write, *args) -> None:
        """Run an autosave write on the writer thread; a failure is logged, never fatal."""

        async def run() -> None:
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(self._autosave_writer, write, *args)
            except (OSError, BrushworkError, RuntimeError) as exc:  # RuntimeError: writer already shut down
                log.warning("autosave failed: %s", exc)

        self._spawn(run())

    def toggle_pause(self) -> None:
        if not self.controller.running:
            return
        if self.controller.paused:
            self.controller.resume()
            self.status.message("Resumed")
        else:
            self.controller.pause()
            self.status.message("Paused")
        self._update_run_buttons()

    def start_or_pause(self) -> None:
        self.toggle_pause() if self.controller.running else self.start()

    def stop(self) -> None:
        if self.controller.running:
            self.controller.stop()
            self.status.message("Stopping...")

    def _on_progress(self, progress: Progress) -> None:
        self.last_progress = progress
        self.status.show_progress(progress)
        self.loss_chart.add(progress)
        if progress.scale_finished and progress.preview is not None:
            label = f"scale {progress.scale + 1} ({progress.width}x{progress.height})"
            self.history.add(Snapshot(progress.preview, progress.params, progress.step, progress.total_steps, label))
        if self.autosave.due(progress):
            self._autosave_later(self.autosave.save_picture, progress.preview, progress)
        if progress.preview is not None:
            # Keep only the newest frame; a burst of queued reports paints once.
            first = self._pending_preview is None
            self._pending_preview = progress.preview
            if first:
                QTimer.singleShot(0, self._show_pending_preview)

    def _show_pending_preview(self) -> None:
        frame, self._pending_preview = self._pending_preview, None
        if frame is None:
            return
        first = self.picture is None
        self.picture = frame
        self.picture_saved = False
        self.preview.set_picture(array_to_qimage(frame))
        if first:
            self._update_run_buttons()
        self.preview_shown.emit()

    def _on_downloading(self, done: int, total: int) -> None:
        amount = f"{done / 1e6:.0f} of {total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
        self.status.message(f"Downloading the torchvision VGG19 weights: {amount}", 0)

    def _on_failed(self, failure: RunFailure) -> None:
        if failure.details:
            log.error("%s\n%s", failure.message, failure.details)
        if failure.suggested_size is not None and self.picture is not None:
            size, step = failure.suggested_size, failure.step
            self.show_error(
                failure.message,
                f"Continue at {size} px",
                lambda: self.continue_from_picture(size, step),
            )
        else:
            self.show_error(failure.message)

    def _on_run_finished(self, completed: bool) -> None:
        self._show_pending_preview()
        self._update_run_buttons()
        self.status.message("Finished" if completed else "Stopped", 0)

    def _update_run_buttons(self) -> None:
        running = self.controller.running
        ready = not (self.content_well.is_empty or self.style_well.is_empty)
        self.start_button.setEnabled(ready and not running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if self.controller.paused else "Pause")
        self.stop_button.setEnabled(running)
        self.save_button.setEnabled(self.picture is not None)

    # -- history and the layer explorer ----------------------------------------------

    def take_snapshot(self) -> None:
        if self.picture is None:
            self.show_error("There is no picture to keep yet: press Start first.")
            return
        p = self.last_progress
        params = p.params if p is not None else self.params()
        step, total = (p.step, p.total_steps) if p is not None else (0, params.steps)
        self.history.add(Snapshot(self.picture, params, step, total, f"snapshot at step {step}"))

    def continue_from_snapshot(self, snapshot: Snapshot) -> None:
        """Stop what runs and paint on from the snapshot's picture, with the current settings."""
        if self.controller.running:
            self.controller.shutdown(5000)
            self._update_run_buttons()
        self.picture = snapshot.picture
        self.preview.set_picture(array_to_qimage(snapshot.picture))
        self.start(Image.fromarray(snapshot.picture), snapshot.step)

    def _save_snapshot(self, snapshot: Snapshot) -> None:
        self._ask_and_save(snapshot.picture)

    def _explorer_image(self, source: str) -> Image.Image | None:
        if source in (CONTENT, STYLE):
            return self.well(source).image
        return Image.fromarray(self.picture) if self.picture is not None else None

    def open_layer_explorer(self) -> LayerExplorerWindow:
        if self.explorer is None:
            self.explorer = LayerExplorerWindow(self._explorer_image, lambda: self.params().weights, self)
        self.explorer.show()
        self.explorer.raise_()
        self.explorer.refresh()
        return self.explorer

    # -- saving --------------------------------------------------------------------

    def _suggested_name(self) -> Path:
        stems = [w.path.stem for w in (self.content_well, self.style_well) if w.path is not None]
        folder = Path(self.session.last_folder() or Path.home())
        return folder / (("_".join(stems) or "brushwork") + ".png")

    def save_picture(self) -> asyncio.Task | None:
        if self.picture is None:
            self.show_error("There is no picture to save yet: press Start first.")
            return None
        return self._ask_and_save(self.picture)

    def _ask_and_save(self, frame: np.ndarray) -> asyncio.Task | None:
        """Ask where, then save ``frame`` off the GUI thread."""
        path = self.dialogs.save_image(self._suggested_name())
        return self._spawn(self._save_picture(frame, path)) if path is not None else None

    async def _save_picture(self, frame: np.ndarray, path: Path) -> bool:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, save_image, Image.fromarray(frame), path)
        except BrushworkError as exc:
            self.show_error(str(exc))
            return False
        if frame is self.picture:
            self.picture_saved = True
        self.session.set_last_folder(path.parent)
        self.status.message(f"Saved {path}")
        return True

    # -- errors, session and closing ------------------------------------------------

    def show_error(self, text: str, action_text: str | None = None, action=None) -> None:
        log.warning("%s", text)
        self.banner.show_message(text, action_text, action)
        self.status.message(text.splitlines()[0], 10000)
        self.error_shown.emit(text)

    def has_unsaved_picture(self) -> bool:
        return self.picture is not None and not self.picture_saved

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.has_unsaved_picture():
            choice = self.dialogs.unsaved_picture()
            if choice == "cancel":
                event.ignore()
                return
            if choice == "save":
                path = self.dialogs.save_image(self._suggested_name())
                try:
                    if path is None:
                        raise BrushworkError("No file chosen")
                    save_image(Image.fromarray(self.picture), path)
                except BrushworkError as exc:
                    self.show_error(f"Not closed: the picture was not saved ({exc}).")
                    event.ignore()
                    return
        self.hide()  # the artist sees the window go at once, even if a long step still ends
        if not self.controller.shutdown(2000, must_end=True):
            log.warning("the engine thread took more than 2 s to stop")
        self._autosave_writer.shutdown(wait=True)
        try:
            self.save_session()
            self.autosave.mark_clean_exit()
        except OSError as exc:
            log.warning("could not save the session: %s", exc)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_C and not event.isAutoRepeat():
            self.preview.set_comparing(True)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_C and not event.isAutoRepeat():
            self.preview.set_comparing(False)
            return
        super().keyReleaseEvent(event)
