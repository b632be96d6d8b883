"""The studio window: composes the panels, the image inputs, the presets and the run.

The run path, end to end: a control reports a change to its own field
(``panels.param_changes``); the ``ParamsEditor`` applies it to the one
``StyleParams`` it holds and emits the result at most ten times a second; the
window hands that to the ``RunController``, which passes it to the engine
under the engine's lock; the engine reads a snapshot at the top of its next
step. Reports come back the same way: engine thread -> controller (current run
only) -> the live run's actions (``gui.run.live_run_actions``) -> preview,
status and history. The regions' masks go to the run beside the parameters
(``gui.regions.run_masks``).

The window builds the layout and composes the parts; each part holds one
concern: the live run, the masks sent to it, saving and the questions a quit
asks (``gui.save_and_quit``), the inputs, presets, regions and renders.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
from collections.abc import Coroutine
from pathlib import Path

import numpy as np
from brushwork.engine.run.progress import Progress
from brushwork.engine.settings.regions import RegionSetting
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image
from PySide6.QtCore import QSettings, QStandardPaths, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .clip_actions import ClipActions
from .dialogs import Dialogs
from .image_inputs import ImageInputs, Shown
from .menus import build_menus
from .panels.clip_bar import ClipBar
from .panels.history_strip import HistoryStripWidget, Snapshot
from .panels.image_well import ImageWellWidget, mime_has_input
from .panels.layer_explorer import LayerExplorerWindow
from .panels.loss_chart import LossChartWidget
from .panels.message_banner import MessageBanner
from .panels.params_editor import ParamsEditor
from .panels.presets_bar import PresetBarWidget
from .panels.preview_pane import PreviewPane
from .panels.status_panel import StatusPanel
from .persist.autosave import Autosave
from .persist.preset_library import PresetLibrary
from .persist.session_keeper import SessionKeeper
from .persist.session_store import SessionStore
from .persist.state_file import write_in_background
from .preset_actions import PresetActions
from .print_render.print_actions import PrintRenderActions
from .regions.region_editing import RegionEditing
from .regions.region_masks import RegionMaskDocument
from .regions.run_masks import RunMasks
from .roles import CONTENT, STYLE
from .run.controller import RunController
from .run.live_run_actions import LiveRunActions
from .run.shown_picture import PaintedFrom
from .save_and_quit import SaveAndQuit
from .settings_history import SettingsHistory
from .timelapse_export import TimelapseActions

__all__ = ["CONTENT", "STYLE", "StudioWindow", "default_data_dir"]

log = logging.getLogger(__name__)


def default_data_dir() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


class StudioWindow(QMainWindow):
    """The whole studio.

    Parameters
    ----------
    settings, data_dir
        Where UI state and the artist's presets live (defaults: the platform's
        QSettings and app-data folder); tests pass temporary ones.
    dialogs
        The object that asks the artist questions; tests pass scripted answers.
    restore
        Restore the last session (or offer to recover a crashed one).
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
        self._tasks: set[asyncio.Task] = set()
        self.explorer: LayerExplorerWindow | None = None
        self._fitted = False
        self.autosave = Autosave(data_dir / "autosave")
        # One writer thread, so autosaves land in order and never overlap. Writes
        # are plain futures, not asyncio tasks: nothing is left pending on the
        # event loop when the window closes.
        self._autosave_writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="brushwork-autosave")

        self._build()
        self.inputs = ImageInputs(self.content_well, self.style_well, self.dialogs, self.session, self.spawn, self)
        self.presets = PresetActions(self.editor, self.presets_bar, self.library, self.dialogs, self.session, self)
        self.history_of_settings = SettingsHistory(self.editor.current, self._apply_from_history, self)
        self.saving = SaveAndQuit(self)
        # Strokes go on the settings' undo stack: one Ctrl+Z for whatever the artist did last.
        self.mask_doc = RegionMaskDocument(self.history_of_settings.stack, self)
        stack = self.history_of_settings.stack
        self.region_editing = RegionEditing(
            self.editor,
            self.preview.canvas,
            self.mask_doc,
            stack,
            self.dialogs,
            self.session,
            self.spawn,
            self._paintings,
            self,
        )
        self.run_masks = RunMasks(
            self.controller, self.mask_doc, self.region_editing, self.editor, self.autosave, self.autosave_later, self
        )
        self.print_render = PrintRenderActions(self, data_dir / "print_render")
        self.timelapse = TimelapseActions(self)
        self.clips = ClipActions(self, self.clip_bar)
        self.live_run = LiveRunActions(self)
        build_menus(self)
        self._connect()
        self.live_run.update_buttons()
        self._show_painting_masks()
        self.keeper = SessionKeeper(self)
        if restore:
            self.keeper.restore()
            self.print_render.offer_kept()  # a print render cut off by a crash or a quit

    # -- layout --------------------------------------------------------------------

    def _build(self) -> None:
        self.content_well = ImageWellWidget(CONTENT)
        self.style_well = ImageWellWidget(STYLE)
        wells = QHBoxLayout()
        wells.addWidget(self.content_well)
        wells.addWidget(self.style_well)
        self.presets_bar = PresetBarWidget()
        self.editor = ParamsEditor()
        # Under the size it enlarges on: the run bar has no room left on an 800 px wide screen.
        self.print_button = QPushButton("Render at print size...")
        self.print_button.setToolTip("A large picture for print, painted in the background (Ctrl+Shift+P)")
        print_row = QHBoxLayout()
        print_row.addWidget(self.print_button)
        print_row.addStretch(1)
        self.editor.output.layout().addRow("", print_row)
        controls = QWidget()
        controls_layout = QVBoxLayout(controls)
        controls_layout.addLayout(wells)
        controls_layout.addWidget(self.presets_bar)
        controls_layout.addWidget(self.editor)
        controls_layout.addStretch(1)
        self.controls_scroll = QScrollArea()
        self.controls_scroll.setWidget(controls)
        self.controls_scroll.setWidgetResizable(True)
        self.controls_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # As wide as the controls need, so that none is cut off at the right; no wider.
        scrollbar = self.controls_scroll.verticalScrollBar().sizeHint().width()
        self.controls_scroll.setMinimumWidth(controls.minimumSizeHint().width() + scrollbar + 4)

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
        self.preview.canvas.view_moved.connect(self.controller.set_focus)
        self.preview.canvas.placeholder = "Drop a photo and a painting, then press Start"
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
        self.clip_bar = ClipBar()  # shown while the Content well holds a clip
        right_layout.addWidget(self.clip_bar)
        right_layout.addLayout(run_bar)
        right_layout.addWidget(self.tabs)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.controls_scroll)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([440, 760])
        self.setCentralWidget(self.splitter)
        self.status = StatusPanel(self.statusBar())
        self.resize(1240, 820)

    def _connect(self) -> None:
        # Buttons' clicked(bool) carries a checked flag: never connect it straight to a slot with arguments.
        self.start_button.clicked.connect(lambda: self.live_run.start())
        self.pause_button.clicked.connect(lambda: self.live_run.toggle_pause())
        self.stop_button.clicked.connect(lambda: self.live_run.stop())
        self.save_button.clicked.connect(lambda: self.saving.save_picture())
        self.print_button.clicked.connect(lambda: self.print_render.open_dialog())
        self.inputs.content_changed.connect(self._on_content_changed)
        self.inputs.styles_changed.connect(self._on_styles_changed)
        self.inputs.loaded.connect(self._on_image_loaded)
        self.inputs.error.connect(self.show_error)
        self.presets.applied.connect(lambda params: self._params_applied(params, "apply preset"))
        self.presets.error.connect(self.show_error)
        self.presets.status.connect(self.status.message)
        self.presets.report_unreadable()  # presets found damaged when the window was built
        self.editor.params_changed.connect(lambda params: self._params_applied(params, "change settings"))
        self.editor.style.add_requested.connect(self.inputs.add_style)
        self.editor.style.remove_requested.connect(self._remove_style)
        self.editor.advanced.browse_init_requested.connect(self._browse_init_image)
        self.editor.advanced.browse_weights_requested.connect(self._browse_weights)
        self.history.snapshot_requested.connect(self.take_snapshot)
        self.history.snapshot_chosen.connect(lambda snap: self.live_run.canvas.hold_snapshot(snap))
        self.history.continue_requested.connect(self.live_run.continue_from_snapshot)
        self.history.save_requested.connect(lambda snap: self.saving.files.save(snap.picture))
        self.history.restore_requested.connect(lambda snap: self.set_params(snap.params))
        self.region_editing.error.connect(self.show_error)
        self.region_editing.status.connect(lambda text: self.status.message(text, 10000))
        self.mask_doc.painting_masks.changed.connect(self._show_painting_masks)

    # -- async helpers -------------------------------------------------------------

    def spawn(self, coro: Coroutine) -> asyncio.Task:
        """Run a coroutine on the qasync loop, keeping a reference until it ends; its failure is shown."""
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

    def autosave_later(self, write, *args) -> None:
        """``write(*args)`` on the autosave thread, after the writes before it."""
        write_in_background(self._autosave_writer, "autosave", write, *args)

    # -- parameters and images -------------------------------------------------------

    def params(self) -> StyleParams:
        """The parameters in force (a change still throttled is applied first)."""
        self.editor.flush()
        return self.editor.current

    def set_params(self, params: StyleParams, *, undoable: bool = True) -> None:
        """Show ``params`` and hand them to the run; an undoable step unless restoring a session."""
        self.editor.set_params(params)
        if not undoable:
            self.history_of_settings.reset(params)
        self._params_applied(params, "change settings")

    def _params_applied(self, params: StyleParams, what: str) -> None:
        """The editor or a preset made ``params`` current: one step to undo, and on to the run."""
        self.history_of_settings.record(params, what)
        self._send_params(params)
        self.live_run.show_cost_estimate()

    def _apply_from_history(self, params: StyleParams) -> None:
        """Undo or redo: the settings go back as they were, in the controls and in the run."""
        self.editor.set_params(params)
        self.presets.deselect_unless(params)
        self._send_params(params)

    def _send_params(self, params: StyleParams) -> None:
        """To the run (with the masks when they are news to it: ``RunMasks.send_params``), and the notes they need."""
        self.run_masks.send_params(params)
        self._show_painting_masks()
        self.live_run.canvas.refresh()  # the picture may now lack a change, or no longer lack one

    def _show_painting_masks(self) -> None:
        """The regions' notes on the painting masks in force, and whether there are any to clear."""
        self.region_editing.show_painting_notes(self.run_masks.params)
        self.clear_matches_action.setEnabled(bool(self.mask_doc.painting_masks.all()))

    def _paintings(self) -> list[tuple[str, tuple[int, int]]]:
        """The loaded paintings as (name, size), in their order."""
        names, images = self.inputs.style_names(), self.inputs.all_styles()
        return [(name, image.size) for name, image in zip(names, images, strict=False)]  # no image: no name either

    # -- recent files and about ----------------------------------------------------------

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.session.recent_images()
        if not recent:
            self.recent_menu.addAction("No recent images").setEnabled(False)
            return
        for role, path in recent:
            act = self.recent_menu.addAction(f"{role}: {path.name}")
            act.setToolTip(str(path))
            act.triggered.connect(lambda _checked=False, r=role, p=path: self._open_recent(r, p))

    def _open_recent(self, role: str, path: Path) -> None:
        if not path.exists():
            self.show_error(f"{path} is no longer there; it has been taken off the recent list.")
            self.session.forget_recent_image(path)
            return
        self.load_image_into(role, path)

    def load_image_into(self, role: str, path: Path) -> asyncio.Task | None:
        return self.inputs.load_into(role, path)

    def _on_content_changed(self, shown: Shown) -> None:
        self.preview.set_compare_image(shown.full)
        self.live_run.canvas.photo_changed(shown.image)  # a picture of another photo is not left unmarked
        if not self.controller.running:
            # The last run's step, losses and full bar are not this photo's (a user's trial read them as such).
            self.status.reset()
        if self.inputs.clip is not None and self.picture is not None and not self.controller.running:
            # The picture on screen is another frame's: the artist must not take it for this one.
            self.status.message(
                f"Frame {self.inputs.clip_frame + 1} is the photo now: hold C to see it, press Start to paint it", 0
            )
        self.region_editing.photo_changed(shown.image)  # masks of another shape are cleared
        self.controller.update(content=shown.image, masks=self.run_masks.for_new_inputs())

    def _on_styles_changed(self, styles: tuple[Image.Image, ...]) -> None:
        current = self.editor.current
        self.editor.style.set_styles(self.inputs.style_names(), self.inputs.thumbnails(), list(current.style_blend))
        self.editor.regions.set_styles(self.inputs.style_names())
        # Painting masks whose painting went or changed shape go; with another count of paintings a
        # region may now blend: the masks go with the paintings, so that both reach the same step.
        if self.mask_doc.painting_masks.set_paintings([image.size for image in styles]):
            self.status.message("A painting changed shape: the masks matched to it are cleared", 10000)
        self.live_run.canvas.paintings_changed(styles)
        if styles:
            self.controller.update(style=styles, masks=self.run_masks.for_new_inputs())
        self._show_painting_masks()

    def _remove_style(self, index: int) -> None:
        if not 1 <= index <= len(self.inputs.extra_styles):
            return
        # The blend weights first, so that the rows rebuilt for the new list show the right ones.
        current = self.editor.current
        blend = list(current.style_blend)
        if index < len(blend):
            del blend[index]
        regions = tuple(_without_style(region, index) for region in current.regions)
        if (tuple(blend), regions) != (current.style_blend, current.regions):
            self.set_params(current.replace(style_blend=tuple(blend), regions=regions))
        self.mask_doc.painting_masks.painting_removed(index)  # before the paintings' new sizes are checked
        self.inputs.remove_style(index)

    def _on_image_loaded(self, role: str) -> None:
        path = self.inputs.well(role).path
        if path is not None:
            self.session.add_recent_image(role, path)
        self.banner.hide()
        self.status.withdraw("error")  # the banner's first line, which goes with it
        self.live_run.update_buttons()
        self.live_run.show_cost_estimate()
        self.image_loaded.emit(role)

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

    # -- running (``gui.run.live_run_actions``): what scripts and tests call on the window -----

    def start(self, start_picture: Image.Image | None = None, start_step: int = 0) -> None:
        self.live_run.start(start_picture, start_step)

    def toggle_pause(self) -> None:
        self.live_run.toggle_pause()

    def stop(self) -> None:
        self.live_run.stop()

    def continue_from_picture(self, size: int | None = None, step: int = 0) -> None:
        self.live_run.continue_from_picture(size, step)

    def continue_from_snapshot(self, snapshot: Snapshot) -> None:
        self.live_run.continue_from_snapshot(snapshot)

    @property
    def last_progress(self) -> Progress | None:
        """The live run's newest report (None before the first one)."""
        return self.live_run.last_progress

    @last_progress.setter
    def last_progress(self, progress: Progress | None) -> None:
        self.live_run.last_progress = progress

    # -- history and the layer explorer ----------------------------------------------

    def take_snapshot(self) -> None:
        kept = self.live_run.canvas.run_picture()  # never the loupe's square, nor a snapshot shown again
        if kept is None:
            self.show_error("There is no picture to keep yet: press Start first.")
            return
        params = kept.painted.params or self.params()
        step, total = kept.step, kept.total_steps or params.steps
        self.history.add(Snapshot(kept.frame, params, step, total, f"snapshot at step {step}"))

    def _explorer_image(self, source: str) -> Image.Image | None:
        if source in (CONTENT, STYLE):
            return self.inputs.well(source).image
        return Image.fromarray(self.picture) if self.picture is not None else None

    def open_layer_explorer(self) -> LayerExplorerWindow:
        if self.explorer is None:
            self.explorer = LayerExplorerWindow(self._explorer_image, lambda: self.params().weights, self.spawn, self)
        self.explorer.show()
        self.explorer.raise_()
        self.explorer.refresh()
        return self.explorer

    # -- saving (``gui.save_and_quit``) ---------------------------------------------------

    def save_picture(self) -> asyncio.Task | None:
        return self.saving.save_picture()

    def has_unsaved_picture(self) -> bool:
        return self.saving.has_unsaved_picture()

    # -- errors --------------------------------------------------------------------

    def report_unexpected(self, exc: BaseException) -> None:
        """A bug surfaced in a slot: tell the artist, keep the traceback in the log, keep the window."""
        log.error("unexpected error in the window", exc_info=(type(exc), exc, exc.__traceback__))
        self.show_error(f"Something went wrong: {exc}. The details are in brushwork.log; your work is unchanged.")

    def show_error(self, text: str, action_text: str | None = None, action=None) -> None:
        log.warning("%s", text)
        self.banner.show_message(text, action_text, action)
        self.status.message(text.splitlines()[0], 10000, about="error")
        self.error_shown.emit(text)

    # -- fitting the screen ------------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """Never larger than the screen's free area (at 150 % scaling the default size is not)."""
        screen = self.screen()
        if screen is None:
            return
        free = screen.availableGeometry()
        # The frame (title bar, borders) is unknown until the window manager adds it: leave room for one.
        width = min(self.width(), free.width() - 16)
        height = min(self.height(), free.height() - 48)
        if (width, height) != (self.width(), self.height()):
            self.resize(max(width, self.minimumSizeHint().width()), max(height, 200))
        frame = self.frameGeometry()
        left = min(max(frame.left(), free.left()), max(free.left(), free.right() - frame.width()))
        top = min(max(frame.top(), free.top()), max(free.top(), free.bottom() - frame.height()))
        if (left, top) != (frame.left(), frame.top()):
            self.move(left, top)

    # -- drops and keys ----------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if mime_has_input(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.inputs.drop(event.mimeData())
        event.acceptProposedAction()

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

    # -- the picture, and what the session keeps of it --------------------------------

    def show_picture(self, frame: np.ndarray, saved: bool, painted: PaintedFrom | None = None) -> None:
        """Make ``frame`` the picture on screen (a restored one, painted as ``painted`` says, not a run's report)."""
        self.live_run.canvas.show_restored(frame, saved, painted)
        self.live_run.update_buttons()

    def offer(self, text: str, action_text: str, action) -> None:
        """A message with a button that does something about it (not an error)."""
        self.banner.show_message(text, action_text, action)

    def closeEvent(self, event: QCloseEvent) -> None:
        keep_picture = self.saving.ask_before_quit()
        if keep_picture is None:
            event.ignore()
            return
        self.hide()  # the artist sees the window go at once, even if a long step still ends
        # The session is kept before any thread is waited for: a step on a large picture (or a print render's)
        # may take seconds to end, and a relaunch meanwhile must find the picture on screen and the history,
        # not the autosave of a scale before, offered as after a crash.
        self.controller.stop()
        self._autosave_writer.shutdown(wait=True)
        self.keeper.keep_at_quit(self.params(), keep_picture)
        if not self.controller.shutdown(2000, must_end=True):
            log.warning("the engine thread took more than 2 s to stop")
        self.print_render.shutdown()
        self.clips.shutdown()
        for task in list(self._tasks):
            task.cancel()  # loads and saves in flight: the window they report to is going
        event.accept()


def _without_style(region: RegionSetting, index: int) -> RegionSetting:
    """``region`` once the painting at ``index`` is gone: its weight leaves, later ones move up.

    A region that used that painting alone goes back to the picture's blend.
    """
    if index >= len(region.style):
        return region
    style = region.style[:index] + region.style[index + 1 :]
    return dataclasses.replace(region, style=style if any(w > 0 for w in style) else ())
