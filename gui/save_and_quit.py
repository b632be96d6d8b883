"""Saving and exporting the picture on screen, and the questions a quit asks first.

A quit loses no work unasked: a print or clip render that goes and a picture
not saved are each a question, and the answers decide whether the window
closes and whether the picture is kept for the next launch.
"""

from __future__ import annotations

import asyncio

import numpy as np
from brushwork.engine.pictures.images import fit_dims
from brushwork.engine.settings.presets import Preset, preset_to_json
from PySide6.QtCore import QObject

from .picture_files import PictureFiles

# Where a picture went stays up this long (the run's fields make room for it meanwhile: gui.panels.status_panel).
SAVED_MESSAGE_MS = 15000


class SaveAndQuit(QObject):
    """Saves ``window``'s (the ``StudioWindow``'s) picture, and asks what a quit must ask.

    ``files`` writes the pictures; print renders and the time-lapse take their
    suggested names from it too.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.files = PictureFiles(
            window.dialogs,
            window.session,
            window.spawn,
            self._target_size,
            self._input_stems,
            self,
            settings_json=self._picture_settings,
        )
        self.files.saved.connect(self._on_saved)
        self.files.error.connect(window.show_error)
        self.files.status.connect(lambda text: window.status.message(text, SAVED_MESSAGE_MS))

    # -- saving --------------------------------------------------------------------

    def save_picture(self) -> asyncio.Task | None:
        w = self.window
        if w.picture is None:
            w.show_error("There is no picture to save yet: press Start first.")
            return None
        return self.files.save(w.picture)

    def export_picture(self) -> asyncio.Task | None:
        """Export at a chosen size and format (16-bit PNG from the run's own picture when it has finished)."""
        w = self.window
        if w.picture is None:
            w.show_error("There is no picture to export yet: press Start first.")
            return None
        return self.files.export(w.picture, w.live_run.final16(w.picture))

    def has_unsaved_picture(self) -> bool:
        return self.window.picture is not None and not self.window.picture_saved

    def _picture_settings(self) -> str:
        """The settings that made the picture on screen (the run's, else the current ones), for its file."""
        progress = self.window.live_run.last_progress
        params = progress.params if progress is not None else self.window.params()
        return preset_to_json(Preset("Picture", params, "the settings this picture was painted with"))

    def _target_size(self) -> tuple[int, int] | None:
        """(width, height) the current settings paint at, or None without a photo."""
        well = self.window.content_well
        if well.is_empty:
            return None
        height, width = fit_dims(*well.image.size, self.window.params().size)
        return width, height

    def _input_stems(self) -> list[str]:
        w = self.window
        return [well.path.stem for well in (w.content_well, w.style_well) if well.path is not None]

    def _on_saved(self, frame: np.ndarray) -> None:
        if frame is self.window.picture:
            self.window.picture_saved = True

    # -- quitting ------------------------------------------------------------------

    def ask_before_quit(self) -> bool | None:
        """The questions before the window closes: None to stay open, else whether to keep the picture for next time."""
        w = self.window
        if w.print_render.rendering and not w.dialogs.confirm(
            "Quit during the print render?",
            "The print render stops here. What it has painted is kept: the next launch offers to resume it.",
        ):
            return None
        if w.clips.rendering and not w.dialogs.confirm(
            "Quit during the clip render?",
            "The clip render stops here. The frames it finished are kept: render the clip into the same file "
            "with the same settings to go on from them.",
        ):
            return None
        keep_picture = True
        if self.has_unsaved_picture():
            choice = w.dialogs.unsaved_picture()
            keep_picture = choice != "discard"
            if choice == "cancel":
                return None
            if choice == "save" and not self.files.save_now(w.picture):
                return None
        return keep_picture
