"""Saving and exporting the picture on screen, and the questions a quit asks first.

Save and Export take what the canvas shows (``CanvasPicture.picture_to_keep``:
never a frame with the loupe's square); a picture that falls short of the
settings or inputs now (``gui.run.shown_picture``) is written only once the
artist has been told and said so.

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
from .run.shown_picture import Note, ShownPicture

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
        kept = self._to_write("save")
        if kept is None:
            return None
        return self.files.save(kept.frame, self._notes(kept))

    def export_picture(self) -> asyncio.Task | None:
        """Export at a chosen size and format (16-bit PNG from the run's own picture when it has finished)."""
        kept = self._to_write("export")
        if kept is None:
            return None
        frame = kept.frame
        return self.files.export(frame, self.window.live_run.final16(frame), self._notes(kept))

    def _to_write(self, verb: str) -> ShownPicture | None:
        kept = self.window.live_run.canvas.picture_to_keep()
        if kept is None:
            self.window.show_error(f"There is no picture to {verb} yet: press Start first.")
        return kept

    def _notes(self, kept: ShownPicture) -> tuple[str, ...]:
        """How the picture to be written falls short, for the question before writing it.

        An earlier scale is the question's own subject (Save offers to
        enlarge, Export has its size); a snapshot the artist chose is written
        as it is.
        """
        canvas = self.window.live_run.canvas
        if canvas.held is not None and kept.frame is canvas.held.picture:
            return ()
        notes = canvas.notes(kept)
        if canvas.shown is not None and canvas.shown.loupe is not None:
            notes += (Note("loupe", "The loupe's square is never saved: this is the picture from before the change"),)
        return tuple(note.text for note in notes if note.kind != "scale")

    def has_unsaved_picture(self) -> bool:
        return self.window.picture is not None and not self.window.picture_saved

    def _picture_settings(self) -> str:
        """The settings that made the picture written (else the current ones), for its file."""
        kept = self.window.live_run.canvas.picture_to_keep()
        params = kept.painted.params if kept is not None and kept.painted.params is not None else self.window.params()
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
            kept = w.live_run.canvas.run_picture()
            if choice == "save" and kept is not None and not self.files.save_now(kept.frame, self._notes(kept)):
                return None
        return keep_picture
