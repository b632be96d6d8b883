"""Keep faces in the window: the toggle in the regions panel finds the photo's faces and makes each a region.

The faces are found on another thread (``engine.pictures.faces.find_faces``,
a fraction of a second), never on the GUI thread. Each becomes an ordinary
region ("Face 1", ...) with a lowered strength and a feathered mask: the
artist sees it in the list and on the canvas, and paints, erases or re-weighs
it like a painted one. Adding them is one step on the undo stack.

The regions it placed are marked (``RegionSetting.face``), so that turning
the toggle off, or a new photo, takes away those and nothing the artist
made. The mark travels with the settings: a restored session or an undone
step brings the toggle back on with its regions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine

import numpy as np
from brushwork.engine.errors import BrushworkError
from brushwork.engine.pictures.faces import (
    KEEP_FACES_STRENGTH,
    FaceBox,
    FaceDetectorMissing,
    detector_problem,
    face_regions,
    find_faces,
)
from brushwork.engine.settings.regions import MAX_REGIONS, RegionSetting
from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from ..panels.param_changes import RegionAdded, RegionRemoved
from ..panels.params_editor import ParamsEditor
from .region_masks import RegionMaskDocument


class KeepFaces(QObject):
    """What the Keep faces toggle does. ``status`` and ``error`` are for the artist."""

    status = Signal(str)
    error = Signal(str)

    def __init__(
        self,
        editor: ParamsEditor,
        doc: RegionMaskDocument,
        stack: QUndoStack,
        spawn: Callable[[Coroutine], asyncio.Task],
        edit_now: Callable[[tuple], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.editor, self.panel, self.doc, self.stack = editor, editor.regions, doc, stack
        self._spawn, self._edit_now = spawn, edit_now
        self._photo: Image.Image | None = None
        problem = detector_problem()
        if problem is not None:
            self.panel.set_faces_unavailable(problem)
        self.panel.keep_faces_toggled.connect(self._on_keep_faces_toggled)

    @property
    def on(self) -> bool:
        return self.panel.keep_faces.isChecked()

    def _faces(self) -> list[RegionSetting]:
        return [region for region in self.editor.current.regions if region.face]

    # -- the photo and the toggle ------------------------------------------------------------

    def photo_changed(self, photo: Image.Image, outcome: str) -> asyncio.Task | None:
        """A photo came in (``outcome`` as ``RegionMaskDocument.set_photo`` says): its faces, if the toggle is on."""
        self._photo = photo
        if not self.on:
            return None
        if self.doc.photo_number == 1 and self._faces() and outcome == "kept":
            # The window's first photo, with face regions and their masks already there: a restored session's
            # (or autosave's), perhaps edited by hand. They are this photo's; finding them again would undo that.
            return None
        return self._find(new_photo=True)

    def _on_keep_faces_toggled(self, on: bool) -> None:
        if on:
            if self._photo is None or self.doc.size is None:
                self.status.emit("Keep faces is on: the faces are found when you open a photo")
                return
            self._find(new_photo=False)
            return
        removed = self._remove_faces()
        if removed:
            self.status.emit(f"Keep faces is off: removed {_count(removed, 'face region')} (Ctrl+Z brings them back)")

    def _remove_faces(self) -> int:
        """Take away the face regions (one undo step; their paint stays for an undo to bring back)."""
        faces = self._faces()
        if faces:
            self._edit_now(tuple(RegionRemoved(region.rgb) for region in faces))
        return len(faces)

    # -- finding them ------------------------------------------------------------------------------

    def _find(self, new_photo: bool) -> asyncio.Task:
        # The last photo's faces go at once: the run must not paint them on the new one meanwhile.
        dropped = self._remove_faces() if new_photo else 0
        self.status.emit("Looking for faces...")
        return self._spawn(self._find_on(self.doc.photo_number, self._photo, dropped))

    async def _find_on(self, photo_number: int, photo: Image.Image, dropped: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            boxes = await loop.run_in_executor(None, find_faces, photo)
        except FaceDetectorMissing as exc:
            self.panel.set_faces_unavailable(str(exc))
            self.error.emit(str(exc))
            return
        except (BrushworkError, RuntimeError, ValueError) as exc:  # dlib raises RuntimeError on what it cannot read
            self.error.emit(f"Keep faces could not look for faces: {exc}")
            return
        if photo_number != self.doc.photo_number or not self.on or self.doc.size is None:
            return  # another photo came, or the toggle went off, while it looked
        self._place(boxes, photo.size, dropped)

    def _place(self, boxes: tuple[FaceBox, ...], photo_size: tuple[int, int], dropped: int) -> None:
        params = self.editor.current
        faces = [region for region in params.regions if region.face]
        others = tuple(region for region in params.regions if not region.face)
        found = face_regions(
            boxes, photo_size, self.doc.size, KEEP_FACES_STRENGTH, others, params.outside_regions == "photo"
        )
        old = f"; the last photo's {_count(dropped, 'face region')} went with it" if dropped else ""
        if not found.regions:
            if boxes:
                self.error.emit(
                    f"Found {_count(len(boxes), 'face')}, but a picture has at most {MAX_REGIONS} regions: remove "
                    "one to make room, then turn Keep faces off and on"
                )
            else:
                self.status.emit(
                    f"No face found in the new photo: the last photo's {_count(dropped, 'face region')} went with it"
                    if dropped
                    else "No face found in the photo: nothing changed"
                )
            return
        self.editor.flush()  # an edit held by the throttle is a step of its own, before this one
        self.stack.beginMacro("keep faces")
        self._edit_now(
            (*(RegionRemoved(region.rgb) for region in faces), *(RegionAdded(region) for region in found.regions))
        )
        planes = {region.rgb: np.asarray(mask).copy() for region, mask in zip(found.regions, found.masks, strict=True)}
        self.doc.replace(planes, "keep faces")
        self.stack.endMacro()
        self.panel.select(found.regions[0].rgb)
        names = ", ".join(region.name for region in found.regions)
        more = f"; {found.left_out} more had no room (at most {MAX_REGIONS} regions)" if found.left_out else ""
        kept = "kept as the photo" if found.regions[0].photo_only else f"with {KEEP_FACES_STRENGTH:g} of the style"
        each = "a region" if len(found.regions) == 1 else "each a region"  # "Found 1 face: Face 1, each..." read oddly
        self.status.emit(f"Found {_count(len(found.regions), 'face')}: {names}, {each} {kept}{more}{old}")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"
