"""The studio window: image wells, live preview, sliders, presets and run controls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.errors import BrushworkError, PresetError
from engine.images import load_image, original_size, save_image
from engine.params import StyleParams
from engine.presets import Preset
from engine.progress import Progress

from .dialogs import Dialogs
from .engine_worker import RunController, RunFailure, RunRequest
from .image_well import ImageWellWidget, mime_has_input, mime_paths
from .params_editor import ParamsEditor
from .preset_library import PresetLibrary
from .presets_bar import PresetBarWidget
from .preview_pane import PreviewPane
from .qt_images import array_to_qimage, pil_to_qimage
from .session_store import SessionStore
from .status_panel import StatusPanel

log = logging.getLogger(__name__)

# Images are decoded at most this large: the engine never needs more than the
# output size, and a 100-megapixel photo would otherwise cost gigabytes.
MAX_DECODE_SIDE = 4096
CONTENT, STYLE = "Content", "Style"


def default_data_dir() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def _decode(path: Path) -> tuple[Image.Image, tuple[int, int]]:
    """Runs in a worker thread: the full decode never blocks the window."""
    image = load_image(path, MAX_DECODE_SIDE)
    return image, original_size(path)


class MessageBanner(QWidget):
    """A dismissible error line above the preview: readable, never modal."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(text="x")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.setAutoFillBackground(True)
        self.setStyleSheet("MessageBanner { background: #fde7e9; } QLabel { color: #7a0010; }")
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()


class StudioWindow(QMainWindow):
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
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(self.preview, 1)
        right_layout.addLayout(run_bar)

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

    # -- images --------------------------------------------------------------------

    def well(self, role: str) -> ImageWellWidget:
        return self.content_well if role == CONTENT else self.style_well

    def browse_content(self) -> None:
        self._browse(self.content_well)

    def browse_style(self) -> None:
        self._browse(self.style_well)

    def _browse(self, well: ImageWellWidget) -> None:
        path = self.dialogs.open_image(f"Choose the {well.role.lower()} image", self.session.last_folder())
        if path is not None:
            self._offer_paths(well, [str(path)])

    def load_image_into(self, role: str, path: Path) -> asyncio.Task:
        """Decode ``path`` off the GUI thread and show it in the ``role`` well."""
        return self._offer_paths(self.well(role), [str(path)])

    def _offer_paths(self, well: ImageWellWidget, paths: list[str]) -> asyncio.Task | None:
        if not paths:
            return None
        text = paths[0]
        if text.lower().startswith(("http://", "https://", "ftp://")):
            self.show_error(f"{text[:80]} is a web address. Save the image to your computer first, then drop the file.")
            return None
        return self._spawn(self._load_into(well, Path(text)))

    async def _load_into(self, well: ImageWellWidget, path: Path) -> None:
        well.set_loading(path.name)
        loop = asyncio.get_running_loop()
        try:
            image, size = await loop.run_in_executor(None, _decode, path)
        except BrushworkError as exc:
            well.restore_caption()
            self.show_error(str(exc))
            return
        except OSError as exc:
            well.restore_caption()
            self.show_error(f"{path.name} cannot be read: {exc.strerror or exc}")
            return
        self.session.set_last_folder(path.parent)
        self._set_well_image(well, image, path, size)

    def _set_well_image(
        self, well: ImageWellWidget, image: Image.Image, path: Path | None, size: tuple[int, int]
    ) -> None:
        well.set_image(image, path, size)
        self.session.set_image_path(well.role, path)
        if well is self.content_well:
            self.preview.set_compare_image(pil_to_qimage(image))
            self.controller.update(content=image)
        else:
            self.controller.update(style=image)
        self.banner.hide()
        self._update_run_buttons()
        self.image_loaded.emit(well.role)

    def paste(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is None or not mime_has_input(mime):
            self.show_error("The clipboard holds no image or image file.")
            return
        focused = QApplication.focusWidget()
        for well in (self.content_well, self.style_well):
            if focused is well or well.underMouse():
                well.offer_mime(mime)
                return
        self._default_well().offer_mime(mime)

    def _default_well(self) -> ImageWellWidget:
        """Where an image offered outside the wells goes: Content first, then Style."""
        if self.content_well.is_empty or not self.style_well.is_empty:
            return self.content_well
        return self.style_well

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if mime_has_input(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """A drop outside the wells: one file to Content (or Style), two files to both."""
        mime = event.mimeData()
        paths = mime_paths(mime) if mime.hasUrls() else []
        if len(paths) >= 2:
            self._offer_paths(self.content_well, paths[:1])
            self._offer_paths(self.style_well, paths[1:2])
        else:
            self._default_well().offer_mime(mime)
        event.acceptProposedAction()

    # -- parameters and presets ----------------------------------------------------

    def params(self) -> StyleParams:
        self.editor.flush()
        return self.editor.current

    def set_params(self, params: StyleParams) -> None:
        self.editor.set_params(params)
        self.controller.update(params)

    def _on_params_changed(self, params: StyleParams) -> None:
        self.controller.update(params)
        selected = self.presets_bar.selected()
        if selected is not None and selected.params != params:
            self.presets_bar.select(None)
            self.session.set_preset_name(None)

    def apply_preset(self, preset: Preset) -> None:
        self.set_params(preset.params)
        self.presets_bar.select(preset.name)
        self.session.set_preset_name(preset.name)
        self.status.message(f"Preset: {preset.name}")

    def _refresh_presets(self, selected: str | None = None) -> None:
        self.presets_bar.set_presets(self.library.builtin(), self.library.user(), selected)

    def save_preset_as(self) -> None:
        current = self.presets_bar.selected()
        name = self.dialogs.ask_text("Save preset", "Name of the new preset:", current.name if current else "")
        if not name:
            return
        self._save_preset(name, overwrite=False)

    def overwrite_preset(self) -> None:
        preset = self.presets_bar.selected()
        if preset is None or preset.builtin:
            return
        if self.dialogs.confirm("Overwrite preset", f"Replace the preset '{preset.name}' with the current settings?"):
            self._save_preset(preset.name, overwrite=True)

    def _save_preset(self, name: str, overwrite: bool) -> None:
        params = self.params()
        try:
            try:
                preset = self.library.save(name, params, overwrite=overwrite)
            except FileExistsError:
                if not self.dialogs.confirm("Preset exists", f"A preset called '{name}' exists. Replace it?"):
                    return
                preset = self.library.save(name, params, overwrite=True)
        except (PresetError, OSError) as exc:
            self.show_error(f"Could not save the preset: {exc}")
            return
        self._refresh_presets(preset.name)
        self.session.set_preset_name(preset.name)
        self.status.message(f"Saved preset '{preset.name}'")

    def delete_preset(self) -> None:
        preset = self.presets_bar.selected()
        if preset is None or preset.builtin:
            return
        if not self.dialogs.confirm("Delete preset", f"Delete the preset '{preset.name}'?"):
            return
        try:
            self.library.delete(preset)
        except (PresetError, OSError) as exc:
            self.show_error(f"Could not delete the preset: {exc}")
            return
        self._refresh_presets(None)
        self.session.set_preset_name(None)

    def import_preset(self) -> None:
        path = self.dialogs.open_preset(self.session.last_folder())
        if path is None:
            return
        try:
            try:
                preset = self.library.import_file(path)
            except FileExistsError:
                name = self.library.path_for(path.stem).stem
                if not self.dialogs.confirm("Preset exists", f"A preset called '{name}' exists. Replace it?"):
                    return
                preset = self.library.import_file(path, overwrite=True)
        except (PresetError, OSError) as exc:
            self.show_error(f"Could not import {path.name}: {exc}")
            return
        self._refresh_presets(preset.name)
        self.apply_preset(preset)

    def export_preset(self) -> None:
        preset = self.presets_bar.selected() or Preset("My settings", self.params())
        folder = Path(self.session.last_folder() or Path.home())
        path = self.dialogs.save_preset(folder / self.library.path_for(preset.name).name)
        if path is None:
            return
        try:
            self.library.export(preset, path)
        except OSError as exc:
            self.show_error(f"Could not export the preset: {exc.strerror or exc}")
            return
        self.status.message(f"Exported preset to {path}")

    def _browse_init_image(self) -> None:
        path = self.dialogs.open_image("Start from which image?", self.session.last_folder())
        if path is not None:
            self.editor.advanced.set_init_image(path)
        else:
            self.editor.set_params(self.editor.current)  # back to what it was

    def _browse_weights(self) -> None:
        path = self.dialogs.open_weights(self.session.last_folder())
        if path is not None:
            self.editor.advanced.set_weights_file(path)
        else:
            self.editor.set_params(self.editor.current)

    # -- running -------------------------------------------------------------------

    def start(self) -> None:
        if self.controller.running:
            return
        if self.content_well.is_empty or self.style_well.is_empty:
            self.show_error("Drop a content photo and a style painting first.")
            return
        self.banner.hide()
        self.status.reset()
        self.last_progress = None
        self.controller.start(RunRequest(self.content_well.image, self.style_well.image, self.params()))
        self.status.message("Painting...")
        self._update_run_buttons()

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

    # -- saving --------------------------------------------------------------------

    def _suggested_name(self) -> Path:
        stems = [w.path.stem for w in (self.content_well, self.style_well) if w.path is not None]
        folder = Path(self.session.last_folder() or Path.home())
        return folder / (("_".join(stems) or "brushwork") + ".png")

    def save_picture(self) -> asyncio.Task | None:
        if self.picture is None:
            self.show_error("There is no picture to save yet: press Start first.")
            return None
        path = self.dialogs.save_image(self._suggested_name())
        if path is None:
            return None
        return self._spawn(self._save_picture(self.picture, path))

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

    def show_error(self, text: str) -> None:
        log.warning("%s", text)
        self.banner.show_message(text)
        self.status.message(text.splitlines()[0], 10000)
        self.error_shown.emit(text)

    def _restore_session(self) -> None:
        params, warning = self.session.load_params()
        self.editor.set_params(params)
        name = self.session.preset_name()
        if name:
            self.presets_bar.select(name)
        if warning:
            self.show_error(warning)
        state = self.session.layout_state()
        if "geometry" in state:
            self.restoreGeometry(state["geometry"])
        if "state" in state:
            self.restoreState(state["state"])
        if "splitter" in state:
            self.splitter.restoreState(state["splitter"])
        for role in (CONTENT, STYLE):
            path = self.session.image_path(role)
            if path is not None and path.exists():
                self.load_image_into(role, path)

    def save_session(self) -> None:
        self.session.save_params(self.params())
        self.session.set_layout_state(
            geometry=self.saveGeometry(), state=self.saveState(), splitter=self.splitter.saveState()
        )
        self.session.sync()

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
        if not self.controller.shutdown(2000):
            log.warning("the engine thread did not stop within 2 s")
        try:
            self.save_session()
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
