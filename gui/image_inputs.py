"""Getting images into the window: the wells, drops anywhere, paste, and several styles.

Decoding always happens off the GUI thread; a file that is not an image gets a
message and changes nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PIL import Image
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import QApplication

from engine.errors import BrushworkError
from engine.images import MAX_DECODE_SIDE, is_web_address, load_image, original_size

from .image_well import ImageWellWidget, mime_has_input, mime_paths
from .qt_images import pil_to_qimage

CONTENT, STYLE = "Content", "Style"


def decode(path: Path) -> tuple[Image.Image, tuple[int, int]]:
    """Runs in a worker thread: the full decode never blocks the window."""
    image = load_image(path, MAX_DECODE_SIDE)
    return image, original_size(path)


class ImageInputsMixin:
    """The studio window's image handling (uses its wells, editor, controller, session and dialogs)."""

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
        if is_web_address(text):
            self.show_error(f"{text[:80]} is a web address. Save the image to your computer first, then drop the file.")
            return None
        return self._spawn(self._load_into(well, Path(text)))

    async def _decode(self, path: Path) -> tuple[Image.Image, tuple[int, int]] | None:
        """Decode off the GUI thread; on failure show why and return None."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, decode, path)
        except BrushworkError as exc:
            self.show_error(str(exc))
        except OSError as exc:
            self.show_error(f"{path.name} cannot be read: {exc.strerror or exc}")
        return None

    async def _load_into(self, well: ImageWellWidget, path: Path) -> None:
        well.set_loading(path.name)
        decoded = await self._decode(path)
        if decoded is None:
            well.restore_caption()
            return
        image, size = decoded
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
            self._styles_changed()
        self.banner.hide()
        self._update_run_buttons()
        self.image_loaded.emit(well.role)

    # -- several styles ------------------------------------------------------------

    def all_styles(self) -> tuple[Image.Image, ...]:
        """The Style well's image first, then the added ones."""
        first = () if self.style_well.is_empty else (self.style_well.image,)
        return first + tuple(image for _, image in self.extra_styles)

    def _styles_changed(self) -> None:
        names = [self.style_well.path.name if self.style_well.path else "pasted image"]
        names += [path.name if path else "pasted image" for path, _ in self.extra_styles]
        styles = self.all_styles()
        thumbs = [QPixmap.fromImage(pil_to_qimage(im.reduce(max(1, max(im.size) // 64)))) for im in styles]
        self.editor.style.set_styles(names, thumbs, list(self.editor.current.style_blend))
        if styles:
            self.controller.update(style=styles)
        self.editor.style.changed.emit()  # the blend rows are part of the parameters
        self.editor.flush()

    def _add_style(self) -> None:
        if self.style_well.is_empty:
            self._browse(self.style_well)
            return
        path = self.dialogs.open_image("Add a style image to blend", self.session.last_folder())
        if path is not None:
            self._spawn(self._load_extra_style(path))

    async def _load_extra_style(self, path: Path) -> None:
        decoded = await self._decode(path)
        if decoded is not None:
            self.extra_styles.append((path, decoded[0]))
            self._styles_changed()

    def add_style_image(self, path: Path) -> asyncio.Task:
        """Blend one more painting in (what "Add a style image..." does)."""
        return self._spawn(self._load_extra_style(Path(path)))

    def _remove_style(self, index: int) -> None:
        if 1 <= index <= len(self.extra_styles):
            del self.extra_styles[index - 1]
            blend = list(self.editor.current.style_blend)
            if index < len(blend):
                del blend[index]
            self.editor.set_params(self.editor.current.replace(style_blend=tuple(blend)))
            self._styles_changed()

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
