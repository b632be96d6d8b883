"""A drop target for one input image: thumbnail, file name and pixel size."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QMouseEvent, QPixmap
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..qt_images import qimage_to_pil
from ..roles import CONTENT

THUMB_SIZE = 150


def mime_paths(mime: QMimeData) -> list[str]:
    """The URLs a drop or paste carries, as local paths or, for web links, as URLs."""
    out = []
    for url in mime.urls():
        out.append(url.toLocalFile() if url.isLocalFile() else url.toString())
    return out


def mime_has_input(mime: QMimeData) -> bool:
    return mime.hasUrls() or mime.hasImage()


class ImageWellWidget(QFrame):
    """Shows one input image; takes drops, clicks (file dialog) and pastes.

    It does not load anything itself: it reports what the artist offered
    (``files_offered`` with paths or URLs, ``image_pasted`` with a picture,
    ``browse_requested`` on a click) and the window decodes off the GUI thread.
    """

    files_offered = Signal(list)
    image_pasted = Signal(object)  # PIL.Image
    browse_requested = Signal()

    def __init__(self, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self.path: Path | None = None
        self.image: Image.Image | None = None
        self.original_size: tuple[int, int] | None = None
        self._detail = ""
        self.setObjectName(f"{role.lower()}_well")
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"{role} image: drop a file here, click to choose one, or paste (Ctrl+V)")
        self._title = QLabel(f"<b>{role}</b>")
        self._thumb = QLabel()
        self._thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._thumb.setMinimumSize(THUMB_SIZE, THUMB_SIZE * 2 // 3)
        self._thumb.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._name = QLabel()
        self._name.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self._size = QLabel()
        self._size.setStyleSheet("color: palette(mid);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        for widget in (self._title, self._thumb, self._name, self._size):
            layout.addWidget(widget)
        self._set_empty_text()
        self._set_highlight(False)

    @property
    def is_empty(self) -> bool:
        return self.image is None

    def set_image(
        self,
        image: Image.Image,
        path: Path | None,
        original_size: tuple[int, int],
        thumb: QPixmap,
        detail: str = "",
    ) -> None:
        """Show ``image`` by its ``thumb`` (at most THUMB_SIZE, made off the GUI thread); ``detail`` follows
        the pixel size (a clip's frame count)."""
        self.image, self.path, self.original_size = image, path, original_size
        self._detail = detail
        self._thumb.setPixmap(thumb)
        name = path.name if path else "pasted image"
        self._name.setText(self.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, THUMB_SIZE + 40))
        self._name.setToolTip(str(path) if path else name)
        self.restore_caption()

    def set_loading(self, name: str) -> None:
        self._size.setText(f"loading {name}...")

    def restore_caption(self) -> None:
        """Back to showing the current image's size (after a failed load)."""
        if self.original_size:
            self._size.setText(f"{self.original_size[0]} x {self.original_size[1]} px{self._detail}")
        else:
            self._set_empty_text()

    def _set_empty_text(self) -> None:
        what = "an image or a clip" if self.role == CONTENT else "an image"
        self._thumb.setText(f"Drop {what} here\nor click to choose")
        self._name.setText("")
        self._size.setText("")

    def _set_highlight(self, on: bool) -> None:
        border = "2px solid palette(highlight)" if on else "2px dashed palette(mid)"
        self.setStyleSheet(f"#{self.objectName()} {{ border: {border}; border-radius: 6px; }}")

    # -- events ------------------------------------------------------------------

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.browse_requested.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            self.offer_mime(QApplication.clipboard().mimeData())
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.browse_requested.emit()
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if mime_has_input(event.mimeData()):
            self._set_highlight(True)
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self._set_highlight(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_highlight(False)
        if self.offer_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def offer_mime(self, mime: QMimeData | None) -> bool:
        """Hand over what a drop or the clipboard carries; False if nothing usable."""
        if mime is None:
            return False
        if mime.hasUrls():
            self.files_offered.emit(mime_paths(mime))
            return True
        if mime.hasImage():
            self.image_pasted.emit(qimage_to_pil(mime.imageData()))
            return True
        return False
