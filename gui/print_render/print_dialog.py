"""The print dialog: choose the size and file, see the cost, then watch the render.

Two pages. *Setup* asks for the size (``PrintSizeWidget``), where to start
from, the steps, tiles and file, and shows the estimate of memory and time
before anything starts. *Render* shows progress, the time left, the whole
picture and a 1:1 crop (``PrintPreviewPane``), and ends with where the
file went. The dialog is not modal and only reports what the artist asks
for: ``PrintRenderActions`` runs the render, which goes on if the dialog is
closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from brushwork.engine.network.vgg_weights import weights_loaded
from brushwork.engine.print_size.print_estimate import RenderEstimate, estimate_render
from brushwork.engine.run.schedule import first_step_above, plan_stages
from brushwork.engine.run.time_model import TimeModel
from brushwork.engine.settings.style_params import MAX_MEMORY_LIMIT, MAX_STEPS, MIN_MEMORY_LIMIT, StyleParams
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..persist.autosave import KeptRenderInfo
from ..qt_images import array_to_qimage, pil_to_qimage
from ..run.print_job import (
    CANCELLED,
    FAILED,
    FINISHED,
    UNREADABLE,
    WRITE_FAILED,
    PrintOutcome,
    PrintReport,
    PrintRequest,
)
from . import wording
from .output_file import FORMATS, SUFFIXES, output_problem, with_suffix
from .preview_pane import PrintPreviewPane
from .size_widget import WARNING_STYLE, PrintSizeWidget

BAR_STEPS = 1000  # the progress bar's resolution: a tenth of a percent
# Tiles offered besides "when it would not fit": smaller tiles need less memory and take longer.
TILE_CHOICES = (
    (0, "when a scale would not fit (automatic)"),
    (512, "always, 512 px tiles"),
    (256, "always, 256 px tiles"),
)

_ENDED = {
    FINISHED: "Rendered",
    CANCELLED: "Cancelled:",
    FAILED: "Stopped:",
    WRITE_FAILED: "Rendered, not written:",
    UNREADABLE: "Could not resume:",
}


@dataclass(frozen=True)
class PrintSetup:
    """What the dialog knows of the studio; read again whenever it is shown."""

    params: StyleParams  # the settings in force: the render's, at another size
    photo_size: tuple[int, int] | None  # (width, height); None without a photo
    picture_side: int | None  # long side of the picture on screen; None without one
    inputs_ready: bool  # a photo and a painting are loaded
    model: TimeModel  # what renders take on this machine (engine.run.time_model)
    free_bytes: int | None
    dtype: torch.dtype
    suggested_output: Path
    kept: KeptRenderInfo | None  # a render that can be resumed
    long_side: int  # the last render's choices, or the settings' size
    unit: str
    dpi: int
    suffix: str


@dataclass(frozen=True)
class PrintChoice:
    """What the artist chose on the setup page."""

    long_side: int
    steps: int
    tile: int
    memory_limit: float  # GiB, 0: the memory free
    continue_from_picture: bool
    output: Path


class PrintRenderDialog(QDialog):
    render_requested = Signal(object)  # PrintChoice
    resume_requested = Signal()
    discard_requested = Signal()
    cancel_requested = Signal()
    save_elsewhere_requested = Signal()
    save_painted_requested = Signal()
    choose_output_requested = Signal()

    def __init__(self, setup_source: Callable[[], PrintSetup], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Render at print size")
        self.setModal(False)
        self._setup_source = setup_source
        self.setup: PrintSetup | None = None
        self._what = ""  # the render's size and file, for the heading
        self._pending_frame: np.ndarray | None = None  # the newest picture not yet shown
        self.estimate: RenderEstimate | None = None
        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_setup_page())
        self.pages.addWidget(self._build_render_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.resize(860, 640)

    # -- the setup page ------------------------------------------------------------------

    def _build_setup_page(self) -> QWidget:
        page = QWidget()
        self.kept_box = QFrame()
        self.kept_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.kept_label = QLabel()
        self.kept_label.setWordWrap(True)
        self.kept_resume_button = QPushButton("Resume it")
        self.kept_discard_button = QPushButton("Discard it")
        kept_row = QHBoxLayout(self.kept_box)
        kept_row.addWidget(self.kept_label, 1)
        kept_row.addWidget(self.kept_resume_button)
        kept_row.addWidget(self.kept_discard_button)

        self.size = PrintSizeWidget()
        size_box = QGroupBox("Size")
        QVBoxLayout(size_box).addWidget(self.size)

        self.continue_box = QCheckBox()
        self.steps = QSpinBox()
        self.steps.setRange(1, MAX_STEPS)
        self.steps.setToolTip("Steps over all scales, as in the settings: a cap, a scale that settles ends sooner")
        self.tiles = QComboBox()
        self.tiles.setToolTip("Tile by tile paints the same picture in bounded memory, more slowly")
        painting_box = QGroupBox("Painting")
        painting = QFormLayout(painting_box)
        painting.addRow(self.continue_box)
        painting.addRow("Steps", self.steps)
        painting.addRow("Tile by tile", self.tiles)
        # The spin box's lowest value stands for "no limit": a limit below
        # MIN_MEMORY_LIMIT is not one any scale can keep.
        self.memory_limit = QDoubleSpinBox()
        self.memory_limit.setRange(MIN_MEMORY_LIMIT - 0.5, MAX_MEMORY_LIMIT)
        self.memory_limit.setSingleStep(0.5)
        self.memory_limit.setDecimals(1)
        self.memory_limit.setSuffix(" GiB")
        self.memory_limit.setSpecialValueText("what is free")
        self.memory_limit.setToolTip(
            "Tile any scale that would need more than this, to leave memory to other programs (slower)"
        )
        painting.addRow("Memory at most", self.memory_limit)

        self.output = QLineEdit()
        self.output.setPlaceholderText("The file to write")
        self.choose_button = QPushButton("Choose...")
        self.format = QComboBox()
        for name, suffix in FORMATS:
            self.format.addItem(name, suffix)
        file_row = QHBoxLayout()
        file_row.addWidget(self.output, 1)
        file_row.addWidget(self.choose_button)
        file_box = QGroupBox("File")
        file_form = QFormLayout(file_box)
        file_form.addRow("Write to", file_row)
        file_form.addRow("Format", self.format)
        file_form.addRow(QLabel("The settings go inside the file: Brushwork can paint it again from it."))

        self.memory_label = QLabel()
        self.time_label = QLabel()
        for label in (self.memory_label, self.time_label):
            label.setWordWrap(True)
        estimate_box = QGroupBox("Before it starts")
        estimate = QFormLayout(estimate_box)
        estimate.addRow("Memory", self.memory_label)
        estimate.addRow("Time", self.time_label)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(WARNING_STYLE)
        self.render_button = QPushButton("Render")
        self.render_button.setDefault(True)
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.render_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(page)
        layout.addWidget(self.kept_box)
        layout.addWidget(size_box)
        layout.addWidget(painting_box)
        layout.addWidget(file_box)
        layout.addWidget(estimate_box)
        layout.addWidget(self.problem_label)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self.size.changed.connect(self._update_estimate)
        self.continue_box.toggled.connect(self._update_estimate)
        self.steps.valueChanged.connect(self._update_estimate)
        self.tiles.currentIndexChanged.connect(self._update_estimate)
        self.memory_limit.valueChanged.connect(self._update_estimate)
        self.output.textEdited.connect(self._on_output_typed)
        self.format.currentIndexChanged.connect(self._on_format)
        self.choose_button.clicked.connect(lambda: self.choose_output_requested.emit())
        self.render_button.clicked.connect(lambda: self._on_render())
        self.close_button.clicked.connect(lambda: self.hide())
        self.kept_resume_button.clicked.connect(lambda: self.resume_requested.emit())
        self.kept_discard_button.clicked.connect(lambda: self.discard_requested.emit())
        return page

    def show_setup(self) -> None:
        """The setup page, from the studio as it is now.

        The first time, the choices come from the last render (or the
        settings); after that, what the artist chose stays, and only the
        studio's state (photo, picture, time model, memory, kept render) is read again.
        """
        first = self.setup is None
        setup = self.setup = self._setup_source()
        self.size.set_photo_size(setup.photo_size)
        has_picture = setup.picture_side is not None
        had_picture = self.continue_box.isEnabled()
        self.continue_box.setEnabled(has_picture)
        if first:
            self._fill_choices(setup)
        if first or has_picture != had_picture:
            self.continue_box.setChecked(has_picture)  # the artist's picture, when there is one, is the start
        self._show_kept(setup.kept)
        self.pages.setCurrentIndex(0)
        self._update_estimate()

    def _fill_choices(self, setup: PrintSetup) -> None:
        params = setup.params
        self.size.set_values(setup.long_side, setup.unit, setup.dpi)
        self.steps.setValue(params.steps)
        self.tiles.blockSignals(True)
        self.tiles.clear()
        choices = list(TILE_CHOICES)
        if params.tile and params.tile not in dict(choices):
            choices.append((params.tile, f"always, {params.tile} px tiles (from the settings)"))
        for tile, text in choices:
            self.tiles.addItem(text, tile)
        self.tiles.setCurrentIndex(self.tiles.findData(params.tile))
        self.tiles.blockSignals(False)
        self.memory_limit.blockSignals(True)
        self.memory_limit.setValue(params.memory_limit or self.memory_limit.minimum())
        self.memory_limit.blockSignals(False)
        self.format.setCurrentIndex(max(0, self.format.findData(setup.suffix)))
        self.output.setText(str(with_suffix(setup.suggested_output, self.format.currentData())))

    def _show_kept(self, kept: KeptRenderInfo | None) -> None:
        self.kept_box.setVisible(kept is not None)
        if kept is None:
            return
        how = "was interrupted" if kept.interrupted else "was stopped"
        age = wording.duration(max(0.0, time.time() - kept.saved_at)).removeprefix("about ")
        self.kept_label.setText(
            f"A render of {kept.width} x {kept.height} px into {kept.output.name} {how} at step "
            f"{kept.step} of {kept.total_steps} ({age} ago). Resume it from there, or discard it "
            "(a new render replaces it too)."
        )

    def choice(self) -> PrintChoice:
        return PrintChoice(
            self.size.long_side(),
            self.steps.value(),
            self.tiles.currentData() or 0,
            self._memory_limit(),
            self.continue_box.isChecked() and self.continue_box.isEnabled(),
            Path(self.output.text().strip()).expanduser(),
        )

    def render_params(self) -> StyleParams | None:
        """The settings the render would paint with, or None while the size is not valid."""
        if self.setup is None or self.size.problem() is not None:
            return None
        choice = self.choice()
        return self.setup.params.replace(
            size=choice.long_side, steps=choice.steps, tile=choice.tile, memory_limit=choice.memory_limit
        )

    def _memory_limit(self) -> float:
        value = self.memory_limit.value()
        return 0.0 if value <= self.memory_limit.minimum() else value

    def start_step(self, params: StyleParams) -> int:
        """Where the render starts: past the scales the picture on screen already has, if continuing."""
        if not self.choice().continue_from_picture or self.setup.picture_side is None:
            return 0
        return first_step_above(plan_stages(params.size, params.steps), self.setup.picture_side)

    def _update_estimate(self, *_args) -> None:
        setup = self.setup
        if setup is None:
            return
        problem = self.size.problem()
        params = self.render_params()
        if setup.picture_side is not None:
            if params is not None:
                stages = plan_stages(params.size, params.steps)
                step = first_step_above(stages, setup.picture_side)
                start = next(stage for stage in stages if stage.first_step == step)
                where = f"the render starts at the {start.side} px scale, from what you painted"
            else:
                where = "the render starts at the first scale larger than it"
            self.continue_box.setText(
                f"Continue from the picture on screen ({setup.picture_side} px on the long side): {where}"
            )
        else:
            self.continue_box.setText(
                "Continue from the picture on screen (there is none yet: it paints from the start)"
            )
        if params is None or setup.photo_size is None:
            self.estimate = None
            self.memory_label.setText("-")
            self.time_label.setText("-")
            self.memory_label.setStyleSheet("")
        else:
            self.estimate = estimate_render(
                setup.photo_size,
                params,
                start_step=self.start_step(params),
                free_bytes=setup.free_bytes,
                dtype=setup.dtype,
                model=setup.model,
                cold=not weights_loaded(params.weights),
            )
            memory, too_much = wording.memory_text(self.estimate)
            self.memory_label.setText(memory)
            self.memory_label.setStyleSheet(WARNING_STYLE if too_much else "")
            self.time_label.setText(wording.time_text(self.estimate))
        # A size problem is said under the size; this says what else stands in the way.
        other = None if setup.inputs_ready else "Load a photo and a painting first (or resume the kept render)."
        self.problem_label.setText(other or "")
        self.problem_label.setVisible(bool(other))
        self.render_button.setEnabled(problem is None and other is None)

    def _on_output_typed(self, text: str) -> None:
        suffix = SUFFIXES.get(Path(text.strip()).suffix.lower())
        if suffix is not None and suffix != self.format.currentData():
            self.format.blockSignals(True)
            self.format.setCurrentIndex(self.format.findData(suffix))
            self.format.blockSignals(False)

    def _on_format(self, _index: int) -> None:
        text = self.output.text().strip()
        if text:
            self.output.setText(str(with_suffix(Path(text), self.format.currentData())))

    def set_output(self, path: Path) -> None:
        """A file chosen in the file dialog; its suffix chooses the format."""
        self.output.setText(str(path))
        self._on_output_typed(str(path))
        self.output.setText(str(with_suffix(path, self.format.currentData())))

    def _on_render(self) -> None:
        problem = self.size.problem() or output_problem(self.choice().output)
        if problem is not None:
            self.show_problem(problem)
            return
        self.render_requested.emit(self.choice())

    def show_problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.setVisible(True)

    # -- the render page ----------------------------------------------------------------

    def _build_render_page(self) -> QWidget:
        page = QWidget()
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, BAR_STEPS)  # by time, not by step (engine.run.run_clock)
        self.progress.setTextVisible(True)
        self.step_label = QLabel()
        self.step_label.setWordWrap(True)
        self.left_label = QLabel()
        self.preview = PrintPreviewPane()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel render")
        self.cancel_button.setToolTip("Stop within a second or two; what was painted is kept, to resume")
        self.resume_button = QPushButton("Resume")
        self.save_painted_button = QPushButton("Save what is painted...")
        self.save_painted_button.setToolTip("Write the picture as far as it is painted, at the size it has reached")
        self.save_elsewhere_button = QPushButton("Save to another file...")
        self.new_button = QPushButton("New render...")
        self.hide_button = QPushButton("Hide")
        self.hide_button.setToolTip("The render goes on; File > Render at print size... shows it again")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons_in_order = (
            self.cancel_button,
            self.resume_button,
            self.save_painted_button,
            self.save_elsewhere_button,
            self.new_button,
        )
        for button in buttons_in_order:
            buttons.addWidget(button)
        buttons.addWidget(self.hide_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.heading)
        layout.addWidget(self.progress)
        layout.addWidget(self.step_label)
        layout.addWidget(self.left_label)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.cancel_button.clicked.connect(lambda: self._on_cancel())
        self.resume_button.clicked.connect(lambda: self.resume_requested.emit())
        self.save_elsewhere_button.clicked.connect(lambda: self.save_elsewhere_requested.emit())
        self.save_painted_button.clicked.connect(lambda: self.save_painted_requested.emit())
        self.new_button.clicked.connect(lambda: self.show_setup())
        self.hide_button.clicked.connect(lambda: self.hide())
        return page

    def show_rendering(self, request: PrintRequest, estimate: RenderEstimate, unit: str, dpi: int) -> None:
        """The render page, for a render that has just started."""
        width, height = estimate.width, estimate.height
        self._what = f"{width} x {height} px</b> ({wording.print_size(width, height, unit, dpi)}) into {request.output}"
        self.heading.setText(f"<b>{'Resuming' if request.resumed else 'Rendering'} {self._what}")
        self.progress.setValue(0)
        self.step_label.setText(f"Starting at step {request.start_step + 1} of {request.params.steps}...")
        seconds = estimate.seconds
        self.left_label.setText(f"Time: {wording.time_span(seconds)}" if seconds is not None else "")
        self.preview.set_print_size(width, height)
        self._pending_frame = None
        self.preview.set_picture(None)
        if request.start_picture is not None:
            self.preview.set_picture(pil_to_qimage(request.start_picture))
        self.message.setText("")
        self._show_buttons(cancel=True)
        self.pages.setCurrentIndex(1)

    def show_reading(self) -> None:
        """The render page while a kept render is read back, before it starts again."""
        self.heading.setText("<b>Reading the kept render...</b>")
        self.step_label.setText("")
        self.left_label.setText("")
        self.message.setText("")
        self.preview.set_picture(None)
        self._show_buttons()
        self.pages.setCurrentIndex(1)

    def show_report(self, report: PrintReport) -> None:
        p, scale = report.progress, report.scale
        self.progress.setValue(round(BAR_STEPS * report.fraction))
        how = f", {wording.how_painted(scale)}" if scale is not None else ""
        self.step_label.setText(
            f"Step {p.step} of {p.total_steps}: scale {p.scale + 1} of {p.scales}, {p.width} x {p.height} px{how}"
        )
        if self.cancel_button.isEnabled():  # not while stopping
            self.left_label.setText(f"Time left: {wording.time_span(report.seconds_left)}")
        if p.preview is not None:
            # Only the newest frame is shown: a burst of queued reports converts one picture, not each.
            first = self._pending_frame is None
            self._pending_frame = p.preview
            if first:
                QTimer.singleShot(0, self._show_pending_frame)

    def _show_pending_frame(self) -> None:
        frame, self._pending_frame = self._pending_frame, None
        if frame is not None:
            self.preview.set_picture(array_to_qimage(frame))

    def show_stopping(self) -> None:
        self.cancel_button.setEnabled(False)
        # The step in flight is given up, at any size (engine.run.style_transfer): no step's length to wait for.
        self.message.setText("Stopping: the step in flight is given up, the last finished step is kept.")

    def show_outcome(self, outcome: PrintOutcome) -> None:
        if outcome.kind == UNREADABLE:
            self.heading.setText(f"<b>{_ENDED[UNREADABLE]}</b> the kept render")
        elif self._what:
            self.heading.setText(f"<b>{_ENDED[outcome.kind]} {self._what}")
        self.message.setText(outcome.message)
        self.message.setStyleSheet(WARNING_STYLE if outcome.kind in (FAILED, WRITE_FAILED, UNREADABLE) else "")
        if outcome.kind == FINISHED:
            self.progress.setValue(self.progress.maximum())
        self.left_label.setText("Finished" if outcome.kind == FINISHED else "")
        stopped = outcome.kind in (CANCELLED, FAILED)
        self._show_buttons(resume=stopped, save_painted=stopped, save_elsewhere=outcome.kind == WRITE_FAILED, new=True)
        self.pages.setCurrentIndex(1)

    def _show_buttons(
        self,
        *,
        cancel: bool = False,
        resume: bool = False,
        save_painted: bool = False,
        save_elsewhere: bool = False,
        new: bool = False,
    ) -> None:
        self.cancel_button.setVisible(cancel)
        self.cancel_button.setEnabled(cancel)
        self.resume_button.setVisible(resume)
        self.save_painted_button.setVisible(save_painted)
        self.save_elsewhere_button.setVisible(save_elsewhere)
        self.new_button.setVisible(new)
        self.hide_button.setText("Hide" if cancel else "Close")

    def _on_cancel(self) -> None:
        self.cancel_requested.emit()
