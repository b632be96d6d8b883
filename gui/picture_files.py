"""Writing pictures out: Save (PNG or JPEG) and Export, asking first about a picture from an earlier scale or
one that falls short of the settings and inputs now (``notes``: ``gui.run.shown_picture``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path

import numpy as np
from brushwork.engine.errors import BrushworkError
from brushwork.engine.pictures.images import resize, save_image
from brushwork.engine.pictures.picture_export import EXPORT_FORMATS, export_picture
from PIL import Image
from PySide6.QtCore import QObject, Signal

from .persist.session_store import SessionStore


class PictureFiles(QObject):
    """Asks where and how, then writes off the GUI thread.

    Parameters
    ----------
    dialogs, session
        For the questions, and the last folder.
    spawn
        Runs a coroutine on the window's loop, tracking it.
    target_size
        (width, height) the current settings paint at, or None without a photo.
    input_stems
        The photo's and the painting's file stems, for a suggested name.
    """

    saved = Signal(object)  # the frame (numpy array) that was written
    error = Signal(str)
    status = Signal(str)

    def __init__(
        self,
        dialogs,
        session: SessionStore,
        spawn: Callable[[Coroutine], asyncio.Task],
        target_size: Callable[[], tuple[int, int] | None],
        input_stems: Callable[[], list[str]],
        parent: QObject | None = None,
        settings_json: Callable[[], str | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self.dialogs, self.session, self._spawn = dialogs, session, spawn
        self._target_size, self._input_stems = target_size, input_stems
        self._settings_json = settings_json

    def suggested_name(self, suffix: str = ".png") -> Path:
        folder = Path(self.session.save_folder() or Path.home())
        return folder / (("_".join(self._input_stems()) or "brushwork") + suffix)

    # -- Save ----------------------------------------------------------------------

    def save(self, frame: np.ndarray, notes: tuple[str, ...] = ()) -> asyncio.Task | None:
        """Ask where (and, for a picture from an earlier scale or one with ``notes``, whether and how), then save."""
        shown, target = (frame.shape[1], frame.shape[0]), self._target_size()
        size, smaller = shown, target is not None and shown[0] < target[0]
        if smaller or notes:
            choice = self.dialogs.partial_picture(shown, target if smaller else shown, notes)
            if choice == "cancel":
                return None
            size = target if choice == "enlarge" and smaller else shown
        path = self.dialogs.save_image(self.suggested_name())
        return self._spawn(self._save(frame, path, size, self._settings_json())) if path is not None else None

    async def _save(self, frame: np.ndarray, path: Path, size: tuple[int, int], settings: str | None) -> bool:
        picture = Image.fromarray(frame)
        enlarged = size != picture.size
        loop = asyncio.get_running_loop()
        try:
            if enlarged:
                picture = await loop.run_in_executor(None, resize, picture, size[1], size[0])
            await loop.run_in_executor(None, save_image, picture, path, settings)
        except BrushworkError as exc:
            self.error.emit(str(exc))
            return False
        self.session.set_save_folder(path.parent)
        how = f"enlarged from {frame.shape[1]} x {frame.shape[0]}" if enlarged else "as painted"
        self.status.emit(f"Saved {path} ({size[0]} x {size[1]} px, {how})")
        self.saved.emit(frame)
        return True

    def save_now(self, frame: np.ndarray, notes: tuple[str, ...] = ()) -> bool:
        """Ask where and save at once, on this thread (closing the window cannot wait for a task)."""
        shown = (frame.shape[1], frame.shape[0])
        if notes and self.dialogs.partial_picture(shown, shown, notes) == "cancel":
            self.error.emit("Not closed: the picture was not saved.")
            return False
        path = self.dialogs.save_image(self.suggested_name())
        try:
            if path is None:
                raise BrushworkError("No file chosen")
            save_image(Image.fromarray(frame), path, self._settings_json())
        except BrushworkError as exc:
            self.error.emit(f"Not closed: the picture was not saved ({exc}).")
            return False
        self.saved.emit(frame)
        return True

    # -- Export --------------------------------------------------------------------

    def export(self, frame: np.ndarray, final16: np.ndarray | None, notes: tuple[str, ...] = ()) -> asyncio.Task | None:
        """Export at a chosen size and format; 16-bit PNG from ``final16``, the run's own picture, if given.

        With ``notes`` (how the picture falls short), the artist is asked first.
        """
        shown = (frame.shape[1], frame.shape[0])
        if notes and self.dialogs.partial_picture(shown, shown, notes, "Export") == "cancel":
            return None
        target = self._target_size() or shown
        chosen = self.dialogs.export_options(max(frame.shape[:2]), max(target), final16 is not None)
        if chosen is None:
            return None
        options, suffix = chosen
        path = self.dialogs.export_path(self.suggested_name(suffix))
        if path is None:
            return None
        if path.suffix.lower() not in EXPORT_FORMATS:
            path = path.with_suffix(suffix)
        return self._spawn(self._export(frame, final16, path, options, self._settings_json()))

    async def _export(
        self, frame: np.ndarray, final16: np.ndarray | None, path: Path, options, settings: str | None
    ) -> bool:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, export_picture, frame, path, options, final16, settings)
        except BrushworkError as exc:
            self.error.emit(str(exc))
            return False
        self.session.set_save_folder(path.parent)
        self.status.emit(f"Exported {path} ({options.long_side} px, {options.bits}-bit)")
        self.saved.emit(frame)  # the picture is in a file now: closing need not ask about it
        return True
