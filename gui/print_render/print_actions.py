"""What *File > Render at print size...* does: the dialog, the render, and offering a kept one again.

The window owns the live run; this owns the print render. While a render
goes, ``rendering_changed(True)`` asks the window to pause the live run
(and keep it from starting): both on two cores would make each crawl, and
the live picture must stay as the artist left it. ``rendering_changed(False)``
gives the machine back.
"""

from __future__ import annotations

import logging
from pathlib import Path

from brushwork.engine.print_size.print_estimate import machine_memory
from brushwork.engine.run.time_model import TimeModel, device_key
from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPushButton

from ..persist.autosave import PrintAutosave
from ..run.print_job import FINISHED, PrintJob, PrintOutcome, PrintReport, PrintRequest
from . import wording
from .print_dialog import PrintChoice, PrintRenderDialog, PrintSetup
from .size_widget import DEFAULT_DPI

log = logging.getLogger(__name__)


class PrintRenderActions(QObject):
    """Parameters: ``window``, the ``StudioWindow``; ``folder``, where a render is kept while it goes."""

    rendering_changed = Signal(bool)

    def __init__(self, window, folder: Path) -> None:
        super().__init__(window)
        self.window = window
        self.job = PrintJob(PrintAutosave(folder), window.spawn, self, history=window.session.run_history)
        self.dialog: PrintRenderDialog | None = None
        # In the status bar while a render goes, so that it is seen with the dialog hidden; a click shows it.
        self.status_button = QPushButton()
        self.status_button.setFlat(True)
        self.status_button.setToolTip("Show the print render")
        self.status_button.hide()
        self.status_button.clicked.connect(lambda: self.open_dialog())
        window.statusBar().addPermanentWidget(self.status_button)
        self.job.reported.connect(self._on_report)
        self.job.ended.connect(self._on_ended)

    @property
    def rendering(self) -> bool:
        return self.job.running

    # -- the dialog ----------------------------------------------------------------------

    def _dialog(self) -> PrintRenderDialog:
        if self.dialog is None:
            dialog = self.dialog = PrintRenderDialog(self._setup, self.window)
            dialog.render_requested.connect(self._on_render_requested)
            dialog.resume_requested.connect(lambda: self.resume_kept())
            dialog.discard_requested.connect(self._on_discard)
            dialog.cancel_requested.connect(self.cancel)
            dialog.save_elsewhere_requested.connect(self._on_save_elsewhere)
            dialog.save_painted_requested.connect(self._on_save_painted)
            dialog.choose_output_requested.connect(self._on_choose_output)
        return self.dialog

    def open_dialog(self) -> PrintRenderDialog:
        """Show the render going (or a finished picture still to be written), else a fresh setup."""
        dialog = self._dialog()
        if not (self.job.running or self.job.unwritten is not None):
            dialog.show_setup()  # what the artist typed before stays; the studio's state is read afresh
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _setup(self) -> PrintSetup:
        """The studio as the dialog needs it, now."""
        w = self.window
        params = w.params()
        settings = w.session.settings
        photo = None if w.content_well.is_empty else w.content_well.image.size
        free, dtype = machine_memory(params)
        folder = Path(w.session.save_folder() or Path.home())
        stem = "_".join(path.stem for path in (w.content_well.path, w.style_well.path) if path) or "brushwork"
        return PrintSetup(
            params=params,
            photo_size=photo,
            picture_side=max(w.picture.shape[:2]) if w.picture is not None else None,
            inputs_ready=w.inputs.ready,
            model=self._model(params),
            free_bytes=free,
            dtype=dtype,
            suggested_output=folder / f"{stem}_print.png",
            kept=None if self.job.running else self.job.autosave.peek(),
            long_side=_int(settings.value("print/long_side"), params.size),
            unit=str(settings.value("print/unit", "cm")),
            dpi=_int(settings.value("print/dpi"), DEFAULT_DPI),
            suffix=str(settings.value("print/format", ".png")),
        )

    def _model(self, params) -> TimeModel:
        """This machine's time model for the device a render of ``params`` runs on (engine.run.time_model),
        with the live run's scales so far: its steps say how fast this machine is now."""
        device = device_key(params)
        records = self.window.session.run_history.for_device(device)
        clock = self.window.status.clock
        if clock is not None:
            records = records + [r for r in clock.records() if r.device == device]
        return TimeModel(records, device, params.style_loss)

    def _remember(self, dialog: PrintRenderDialog) -> None:
        """The size, unit, DPI and format chosen: next time's defaults (UI state, so QSettings)."""
        settings = self.window.session.settings
        settings.setValue("print/long_side", dialog.size.long_side())
        settings.setValue("print/unit", dialog.size.unit.currentText())
        settings.setValue("print/dpi", dialog.size.dpi.value())
        settings.setValue("print/format", dialog.format.currentData())

    # -- starting ---------------------------------------------------------------------

    def _on_render_requested(self, choice: PrintChoice) -> None:
        w, dialog = self.window, self._dialog()
        if self.job.running:
            dialog.show_problem("A render is going: cancel it first.")
            return
        params = dialog.render_params()
        if params is None or not w.inputs.ready:
            dialog.show_problem("Load a photo and a painting first.")
            return
        if choice.output.exists() and not w.dialogs.confirm(
            "Replace the file?", f"{choice.output} already exists. Replace it when the render is done?"
        ):
            return
        estimate = dialog.estimate
        if estimate is not None and estimate.fits is False:
            memory, _ = wording.memory_text(estimate)
            if not w.dialogs.confirm("Render anyway?", f"The render needs {memory} Render anyway?"):
                return
        # The run's picture as it may be kept: never a frame with the loupe's square (engine.run.loupe).
        kept = w.live_run.canvas.run_picture()
        continuing = choice.continue_from_picture and kept is not None
        masks = None
        if params.regions:
            masks = w.mask_doc.region_masks(params.regions, w.region_editing.picture_blend(params))
        request = PrintRequest(
            content=w.content_well.image,
            styles=w.inputs.all_styles(),
            params=params,
            output=choice.output,
            start_picture=Image.fromarray(kept.frame.copy()) if continuing else None,  # the live one stays as it is
            start_step=dialog.start_step(params) if continuing else 0,
            masks=masks,
        )
        self._remember(dialog)
        self._start(request)

    def _start(self, request: PrintRequest) -> None:
        self.job.start(request)
        # The live run pauses after its step in flight, while this one builds its network.
        self.rendering_changed.emit(True)
        self._show_started(request)

    def _show_started(self, request: PrintRequest) -> None:
        dialog = self._dialog()
        dialog.show_rendering(request, self.job.estimate, dialog.size.unit.currentText(), dialog.size.dpi.value())
        self.status_button.setText("Print render: starting")
        self.status_button.show()
        self.window.status.message(f"Rendering at print size into {request.output.name}")

    def resume_kept(self) -> None:
        """Go on with the kept render from its last autosave."""
        if self.job.running:
            return
        dialog = self._dialog()
        dialog.show_reading()
        task = self.job.resume_kept()
        self.rendering_changed.emit(True)
        task.add_done_callback(lambda _task: self._after_resume_read())
        dialog.show()

    def _after_resume_read(self) -> None:
        if self.job.request is not None:  # read back and started (else ``ended`` says why not)
            self._show_started(self.job.request)

    def offer_kept(self) -> None:
        """At launch: a render cut off by a crash or a quit is offered at once."""
        info = self.job.autosave.peek()
        if info is None or not info.interrupted:
            return
        if self.window.dialogs.confirm(
            "Resume the print render?",
            f"A render of {info.width} x {info.height} px into {info.output.name} was interrupted at step "
            f"{info.step} of {info.total_steps}. Resume it now? If not, it is kept: "
            "File > Render at print size... offers it again.",
        ):
            self.resume_kept()
        else:
            self.job.set_aside()

    # -- while it goes ------------------------------------------------------------------

    def cancel(self) -> None:
        if self.job.request is None or self.job.stopping:
            return
        self.job.cancel()
        self._dialog().show_stopping()
        self.status_button.setText("Print render: stopping")

    def _on_report(self, report: PrintReport) -> None:
        if self.dialog is not None:
            self.dialog.show_report(report)
        p = report.progress
        left = f", {wording.time_span(report.seconds_left)} left"
        if not self.job.stopping:
            self.status_button.setText(f"Print render: step {p.step} of {p.total_steps}{left}")

    def _on_ended(self, outcome: PrintOutcome) -> None:
        self.status_button.hide()
        self._dialog().show_outcome(outcome)
        self.rendering_changed.emit(False)
        if outcome.kind == FINISHED:
            self.window.status.message(outcome.message, 0)
        if not self._dialog().isVisible():
            # The dialog is hidden: the window says it, with a way back to the dialog.
            self.window.offer(outcome.message, "Show the print render", self.open_dialog)

    def _on_discard(self) -> None:
        if self.window.dialogs.confirm("Discard the kept render?", "What it painted so far will be gone."):
            self.job.discard_kept()
            self._dialog().kept_box.hide()

    def _on_save_elsewhere(self) -> None:
        path = self.window.dialogs.print_output_path(self.window.saving.files.suggested_name(".png"))
        if path is not None:
            self.job.write_to(path)

    def _on_save_painted(self) -> None:
        """After a cancel: the picture as far as it is painted, where the artist chooses."""
        painted = self.job.painted
        if painted is None:
            self._dialog().message.setText("Nothing was painted yet: Resume paints on from the start.")
            return
        suggested = self._dialog().choice().output
        path = self.window.dialogs.save_image(suggested.with_name(f"{suggested.stem}_so_far.png"))
        if path is None:
            return
        task = self.job.save_painted(path)
        if task is not None:
            task.add_done_callback(lambda done: self._dialog().message.setText(done.result()))

    def _on_choose_output(self) -> None:
        dialog = self._dialog()
        path = self.window.dialogs.print_output_path(Path(dialog.output.text().strip() or Path.home()))
        if path is not None:
            dialog.set_output(path)

    def shutdown(self) -> None:
        """Closing: a render cut off here stays kept, and the next launch offers it."""
        if not self.job.shutdown(2000, must_end=True):
            log.warning("the print render's engine thread took more than 2 s to stop")


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
