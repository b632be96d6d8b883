"""Getting images into the studio: the wells, drops anywhere, paste, several styles, and clips.

A clip dropped on the Content well shows one of its frames there: the live
run paints that frame like a photo, and the clip bar's scrubber picks another.

Decoding always happens off the GUI thread; a file that is not an image gets a
message and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path

from brushwork.engine.errors import BrushworkError
from brushwork.engine.pictures.images import (
    MAX_DECODE_SIDE,
    check_photo_size,
    is_web_address,
    load_image,
    original_size,
)
from brushwork.engine.video.clip_files import ClipInfo, frame_at, is_video, probe
from PIL import Image
from PySide6.QtCore import QMimeData, QObject, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication

from .panels.image_well import THUMB_SIZE, ImageWellWidget, mime_has_input, mime_paths
from .persist.session_store import SessionStore
from .qt_images import pil_to_qimage
from .roles import CONTENT, STYLE

ICON_SIZE = 40  # the blend rows' pictures


@dataclass(frozen=True, eq=False)
class Shown:
    """An input image with what the window shows of it, prepared off the GUI thread.

    Converting a 4096 px photo to a QImage and scaling it for the well took
    over 100 ms on the GUI thread; QImage (unlike QPixmap) may be made in any
    thread, so all of it is done where the image is decoded.
    """

    image: Image.Image
    original_size: tuple[int, int]
    full: QImage  # the whole picture, for the preview's compare and split views
    thumb: QImage  # the well's thumbnail
    icon: QImage  # the blend row's small picture


def prepare(image: Image.Image, size: tuple[int, int]) -> Shown:
    """Runs in a worker thread (or, for a pasted image, once on the GUI thread)."""
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    icon = thumb.copy()
    icon.thumbnail((ICON_SIZE, ICON_SIZE), Image.Resampling.LANCZOS)
    return Shown(image, size, pil_to_qimage(image), pil_to_qimage(thumb), pil_to_qimage(icon))


def decode(path: Path, painting: bool = False) -> Shown:
    """Runs in a worker thread: the full decode never blocks the window.

    A painting keeps its transparency, which the engine leaves out of its style.
    """
    return prepare(load_image(path, MAX_DECODE_SIDE, keep_alpha=painting), original_size(path))


def decode_frame(path: Path, index: int) -> Shown:
    """Runs in a worker thread: one frame of a clip, as large as a photo may be."""
    frame = frame_at(path, index)
    size = frame.size
    if max(size) > MAX_DECODE_SIDE:
        frame.thumbnail((MAX_DECODE_SIDE, MAX_DECODE_SIDE), Image.Resampling.LANCZOS)
    return prepare(frame, size)


def decode_clip(path: Path) -> tuple[Shown, ClipInfo]:
    """Runs in a worker thread: what the clip is, and its first frame."""
    info = probe(path)
    return decode_frame(path, 0), info


def frame_caption(clip: ClipInfo, index: int) -> str:
    return f", frame {index + 1} of {clip.frames}"


class ImageInputs(QObject):
    """The photo and the paintings: the two wells plus the styles added for blending.

    It reports what changed (``content_changed``, ``styles_changed``) and
    what went wrong (``error``); the window decides what that means for the
    run and the preview.

    Parameters
    ----------
    content_well, style_well
        The wells it fills.
    dialogs, session
        For file choosers and the last folder and image paths.
    spawn
        Runs a coroutine on the window's event loop, tracking it.
    """

    content_changed = Signal(object)  # Shown
    styles_changed = Signal(object)  # tuple of PIL images, the Style well's first
    loaded = Signal(str)  # the role of a well that got an image
    clip_changed = Signal(object)  # ClipInfo when the Content well holds a clip, None when a still image
    error = Signal(str)

    def __init__(
        self,
        content_well: ImageWellWidget,
        style_well: ImageWellWidget,
        dialogs,
        session: SessionStore,
        spawn: Callable[[Coroutine], asyncio.Task],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.content_well, self.style_well = content_well, style_well
        self.dialogs, self.session, self._spawn = dialogs, session, spawn
        self.extra_styles: list[tuple[Path | None, Image.Image]] = []  # blended after the Style well's
        self._icons: dict[int, QImage] = {}  # id of a style image -> its small picture
        self.clip: ClipInfo | None = None  # the Content well's clip, when it holds one
        self.clip_frame = 0  # the frame of it shown (and painted live)
        self._frame_asked = 0  # counts frame requests: only the latest one is shown
        for well in (content_well, style_well):
            well.files_offered.connect(lambda paths, w=well: self.offer_paths(w, paths))
            well.image_pasted.connect(lambda image, w=well: self.set_image(w, prepare(image, image.size), None))
            well.browse_requested.connect(lambda w=well: self.browse(w.role))

    # -- state ---------------------------------------------------------------------

    def well(self, role: str) -> ImageWellWidget:
        return self.content_well if role == CONTENT else self.style_well

    @property
    def ready(self) -> bool:
        return not (self.content_well.is_empty or self.style_well.is_empty)

    def all_styles(self) -> tuple[Image.Image, ...]:
        """The Style well's image first, then the added ones."""
        first = () if self.style_well.is_empty else (self.style_well.image,)
        return first + tuple(image for _, image in self.extra_styles)

    def style_paths(self) -> tuple[Path | None, ...]:
        return (self.style_well.path, *(path for path, _ in self.extra_styles))

    def style_names(self) -> list[str]:
        return [path.name if path else "pasted image" for path in self.style_paths()]

    # -- loading ---------------------------------------------------------------------

    def browse(self, role: str) -> None:
        path = self.dialogs.open_image(
            f"Choose the {role.lower()} image", self.session.last_folder(), clips=role == CONTENT
        )
        if path is not None:
            self.offer_paths(self.well(role), [str(path)])

    def load_into(self, role: str, path: Path) -> asyncio.Task | None:
        """Decode ``path`` off the GUI thread and show it in the ``role`` well."""
        return self.offer_paths(self.well(role), [str(path)])

    def offer_paths(self, well: ImageWellWidget, paths: list[str]) -> asyncio.Task | None:
        """Load the first of ``paths`` into ``well``. Several paintings dropped on the Style well are
        blended, the others added as "Add a style image..." adds them; the Content well takes one."""
        if not paths:
            return None
        text, rest = paths[0], paths[1:]
        if is_web_address(text):
            self.error.emit(f"{text[:80]} is a web address. Save the image to your computer first, then drop the file.")
            return None
        if rest and well is not self.style_well:
            self.error.emit(
                f"Only {Path(text).name} was used: the photo is one image or clip, and {len(paths)} files were "
                "dropped. To blend paintings, drop them on the Style well."
            )
            rest = []
        return self._spawn(self._load_all(well, Path(text), [Path(p) for p in rest if not is_web_address(p)]))

    async def _load_all(self, well: ImageWellWidget, first: Path, blended: list[Path]) -> None:
        # The first painting is in its well before any other is blended with it, so that a run
        # started meanwhile never takes an added painting for the main one.
        await self._load_into(well, first)
        for path in blended:
            await self._load_extra_style(path)

    async def _load_into(self, well: ImageWellWidget, path: Path) -> None:
        well.set_loading(path.name)
        clip = None
        if is_video(path):
            if well is not self.content_well:
                self.error.emit(
                    f"{path.name} is a video clip: a clip can be the Content, but a style is a still image."
                )
                well.restore_caption()
                return
            decoded = await self._run_off_thread(decode_clip, path)
            shown, clip = decoded if decoded is not None else (None, None)
        else:
            shown = await self._run_off_thread(decode, path, well is not self.content_well)
        if shown is None:
            well.restore_caption()
            return
        self.session.set_last_folder(path.parent)
        self.set_image(well, shown, path, clip)

    async def _run_off_thread(self, work, *args):
        """``work(*args)`` off the GUI thread; on a BrushworkError or OSError say why and return None."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, work, *args)
        except BrushworkError as exc:
            self.error.emit(str(exc))
        except OSError as exc:
            self.error.emit(f"{args[0].name} cannot be read: {exc.strerror or exc}")
        return None

    def set_image(self, well: ImageWellWidget, shown: Shown, path: Path | None, clip: ClipInfo | None = None) -> None:
        """Show a new input in ``well``: for the Content well, ``clip`` when it is a clip's first frame."""
        if well is self.content_well:
            try:
                check_photo_size(path.name if path is not None else "The pasted image", shown.original_size)
            except BrushworkError as exc:
                self.error.emit(str(exc))
                well.restore_caption()
                return
        detail = frame_caption(clip, 0) if clip is not None else ""
        well.set_image(shown.image, path, shown.original_size, QPixmap.fromImage(shown.thumb), detail)
        self._icons[id(shown.image)] = shown.icon
        self.session.set_image_path(well.role, path)
        if well is self.content_well:
            was_clip = self.clip is not None
            self.clip, self.clip_frame = clip, 0
            self._frame_asked += 1  # a frame of the last clip still decoding is not shown
            if clip is not None or was_clip:
                self.clip_changed.emit(clip)
            self.content_changed.emit(shown)
        else:
            self._styles_changed()
        self.loaded.emit(well.role)

    # -- a clip's frames -----------------------------------------------------------------

    def show_clip_frame(self, index: int) -> asyncio.Task | None:
        """Show (and paint live) frame ``index`` of the clip; of several asked quickly, only the last is shown."""
        if self.clip is None:
            return None
        self._frame_asked += 1
        return self._spawn(self._show_frame(self.clip, index, self._frame_asked))

    async def _show_frame(self, clip: ClipInfo, index: int, asked: int) -> None:
        shown = await self._run_off_thread(decode_frame, clip.path, index)
        if shown is None or asked != self._frame_asked or self.clip is not clip:
            return  # failed (and said so), or the scrubber has moved on, or another input came
        self.content_well.set_image(
            shown.image, clip.path, shown.original_size, QPixmap.fromImage(shown.thumb), frame_caption(clip, index)
        )
        self.clip_frame = index
        self.content_changed.emit(shown)

    # -- several styles ----------------------------------------------------------------

    def _styles_changed(self) -> None:
        self.session.set_extra_style_paths([path for path, _ in self.extra_styles])
        current = {id(image) for image in (self.content_well.image, *self.all_styles()) if image is not None}
        self._icons = {key: icon for key, icon in self._icons.items() if key in current}
        self.styles_changed.emit(self.all_styles())

    def thumbnails(self) -> list[QPixmap]:
        """The style images' small pictures, for the blend rows (prepared when they were decoded)."""
        icons = []
        for image in self.all_styles():
            if id(image) not in self._icons:  # restored from an autosave: prepared here, once
                self._icons[id(image)] = prepare(image, image.size).icon
            icons.append(QPixmap.fromImage(self._icons[id(image)]))
        return icons

    def add_style(self) -> None:
        """What "Add a style image..." does: ask for a painting to blend in."""
        if self.style_well.is_empty:
            self.browse(STYLE)
            return
        path = self.dialogs.open_image("Add a style image to blend", self.session.last_folder())
        if path is not None:
            self.add_style_image(path)

    def add_style_image(self, path: Path) -> asyncio.Task:
        """Blend one more painting in."""
        return self._spawn(self._load_extra_style(Path(path)))

    async def _load_extra_style(self, path: Path) -> None:
        shown = await self._run_off_thread(decode, path, True)
        if shown is not None:
            self._icons[id(shown.image)] = shown.icon
            self.extra_styles.append((path, shown.image))
            self._styles_changed()

    def remove_style(self, index: int) -> bool:
        """Remove the style at ``index`` among all styles (never 0, the Style well's)."""
        if not 1 <= index <= len(self.extra_styles):
            return False
        del self.extra_styles[index - 1]
        self._styles_changed()
        return True

    # -- paste and drops -----------------------------------------------------------------

    def paste(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is None or not mime_has_input(mime):
            self.error.emit("The clipboard holds no image or image file.")
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

    def drop(self, mime: QMimeData) -> None:
        """A drop outside the wells: one file to Content (or Style), two files to both."""
        paths = mime_paths(mime) if mime.hasUrls() else []
        if len(paths) >= 2:
            self.offer_paths(self.content_well, paths[:1])
            self.offer_paths(self.style_well, paths[1:2])
        else:
            self._default_well().offer_mime(mime)
