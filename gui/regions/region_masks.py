"""The painted masks: one greyscale plane per region colour, the tools that change them, and their undo steps.

The masks belong to the photo on screen; the regions' settings belong to the
parameters (``StyleParams.regions``). A mask is found by its region's colour,
which is unique among the regions: undoing the removal of a region brings its
paint back with it, and reordering regions moves nothing.

Planes are numpy ``uint8`` arrays at the photo's size, the long side capped at
``MAX_MASK_SIDE``: a brush dab touches only the pixels under it, and a huge
photo never makes painting slow (the engine scales a mask to each scale's size
anyway). Every edit goes on the window's one undo stack as the changed
rectangle's before and after, never as whole copies, and compressed: a mask
is mostly runs of 0 and 255, so a stroke across a 2048 px mask keeps about
0.2 MB instead of 6 MB for as long as it can be undone.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from brushwork.engine.settings.regions import RegionError, RegionMasks, RegionSetting, check_shape
from PIL import Image
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from .colour_wand import WandPhoto
from .flood_fill import bounding_rect, connected_area, soft_edge
from .mask_brush import Rect, brush_kernel, dab_centres, spacing_for, stamp, union
from .painting_masks import PaintingMasks
from .region_colour import Colour

MAX_MASK_SIDE = 2048
EMIT_MS = 100  # masks reach the engine at most ten times a second while a stroke goes


def mask_size_for(photo_size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of the masks for a photo of ``photo_size``."""
    width, height = photo_size
    scale = min(1.0, MAX_MASK_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class _Patch:
    """One plane's changed rectangle, before and after, each compressed (zlib's fastest level: ~9 ms at 2048 px)."""

    colour: Colour
    rect: Rect
    before: bytes
    after: bytes

    @classmethod
    def of(cls, colour: Colour, rect: Rect, before: np.ndarray, after: np.ndarray) -> _Patch:
        return cls(colour, rect, zlib.compress(before.tobytes(), 1), zlib.compress(after.tobytes(), 1))

    def pixels(self, after: bool) -> np.ndarray:
        x0, y0, x1, y1 = self.rect
        return np.frombuffer(zlib.decompress(self.after if after else self.before), np.uint8).reshape(y1 - y0, x1 - x0)


class _MaskEdit(QUndoCommand):
    """One stroke, fill, wand click or import: per plane, the changed rectangle before and after."""

    def __init__(self, doc: RegionMaskDocument, text: str, patches: list[_Patch]):
        super().__init__(text)
        self.doc, self.patches = doc, patches
        self.generation = doc.generation
        self._done = True  # pushed after the edit was made: the first redo() has nothing to do

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._put(after=True)

    def undo(self) -> None:
        self._put(after=False)

    def _put(self, after: bool) -> None:
        if self.generation != self.doc.generation:
            # The masks were cleared for another photo since: this step no longer applies.
            self.setObsolete(True)
            return
        for patch in self.patches:
            self.doc.put_patch(patch.colour, patch.rect, patch.pixels(after))
        self.doc.commit()


class RegionMaskDocument(QObject):
    """The masks of the regions on one photo.

    ``painted`` reports each changed rectangle at once (the overlay follows
    it); ``reset`` says that everything may have changed. ``masks_edited``
    tells the window to hand new masks to the engine: at most every
    ``EMIT_MS`` while a stroke goes, and at once when an edit is complete.
    ``committed`` fires once per complete edit (for the autosave).
    """

    painted = Signal(object)  # Rect in mask pixels
    reset = Signal()
    masks_edited = Signal()
    committed = Signal()

    def __init__(self, stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = stack
        self.size: tuple[int, int] | None = None  # (width, height) of every plane
        self.generation = 0  # bumped when the planes stop meaning what earlier undo steps changed
        self.conversions = 0  # how many times masks were made for the engine (the tests read it)
        self._planes: dict[Colour, np.ndarray] = {}
        self._versions: dict[Colour, int] = {}
        self._handed: dict[Colour, tuple[int, Image.Image]] = {}  # the last PIL copy of each plane, by version
        self._blank: Image.Image | None = None
        self._photo: Image.Image | None = None
        self.photo_number = 0  # counts the photos set: a wand click's selection is for the photo it was made on
        self._wand: WandPhoto | None = None  # the photo at mask size as the wand reads it, once made
        self._stroke: dict | None = None
        self._last_emit = 0.0
        self._emit_timer = QTimer(self)
        self._emit_timer.setSingleShot(True)
        self._emit_timer.timeout.connect(self._emit_now)
        # Masks on the paintings reach the run by the same path as strokes, and are autosaved with them.
        self.painting_masks = PaintingMasks(stack, self)
        self.painting_masks.changed.connect(self.commit)

    # -- reading -----------------------------------------------------------------------

    def plane(self, colour: Colour) -> np.ndarray | None:
        """The mask of the region with ``colour`` (uint8, H x W), or None if it has none yet. Do not write to it."""
        return self._planes.get(colour)

    def has_paint(self, colours: list[Colour] | None = None) -> bool:
        keys = self._planes.keys() if colours is None else [c for c in colours if c in self._planes]
        return any(self._planes[c].any() for c in keys)

    def region_masks(self, regions: tuple[RegionSetting, ...], picture_blend: list[float] | None = None) -> RegionMasks:
        """The masks for ``regions``, in their order, as fresh 'L' images the engine may keep.

        An image already handed over is handed again while its plane has not
        changed (the engine never modifies one); a region without paint gets
        an empty mask. With ``picture_blend`` (``StyleParams.blend_weights``
        for the loaded paintings), ``style`` holds the painting masks in force
        (``gui.regions.painting_masks``): only for a region whose style is that one
        painting, so the engine never meets a mask it cannot use.
        """
        if self.size is None or not regions:
            return RegionMasks()
        self.conversions += 1
        style = self.painting_masks.style_masks(regions, picture_blend) if picture_blend else ()
        return RegionMasks(photo=tuple(self._image(region.rgb) for region in regions), style=style)

    def images(self, colours: list[Colour]) -> dict[Colour, Image.Image]:
        """The painted masks among ``colours`` as 'L' images (for saving; empty ones are left out)."""
        return {c: self._image(c) for c in colours if c in self._planes and self._planes[c].any()}

    def _image(self, colour: Colour) -> Image.Image:
        plane = self._planes.get(colour)
        if plane is None:
            if self._blank is None or self._blank.size != self.size:
                self._blank = Image.new("L", self.size, 0)
            return self._blank
        version = self._versions.get(colour, 0)
        handed = self._handed.get(colour)
        if handed is None or handed[0] != version:
            # frombytes copies: the plane goes on changing, the image must not.
            handed = (version, Image.frombytes("L", self.size, plane.tobytes()))
            self._handed[colour] = handed
        return handed[1]

    # -- the photo -------------------------------------------------------------------------

    def set_photo(self, photo: Image.Image) -> str:
        """A photo came in: 'kept' (same shape; scaled if its size differs), 'cleared', or 'empty' (nothing painted)."""
        self._photo, self._wand = photo, None
        self.photo_number += 1
        size = mask_size_for(photo.size)
        if self.size == size:
            return "kept" if self.has_paint() else "empty"
        painted = self.has_paint()
        if painted and self.size is not None:
            try:
                check_shape(self.size, photo.size)
            except RegionError:
                self._replace_all({}, size)
                return "cleared"
            scaled = {
                colour: np.asarray(Image.fromarray(plane).resize(size, Image.Resampling.BILINEAR)).copy()
                for colour, plane in self._planes.items()
            }
            self._replace_all(scaled, size)
            return "kept"
        self._replace_all({}, size)
        return "empty"

    def restore(self, masks: dict[Colour, Image.Image]) -> None:
        """Masks read back from a session or an autosave (no undo step).

        Planes of another size than the first are dropped: one set belongs to one photo.
        """
        planes: dict[Colour, np.ndarray] = {}
        size = self.size
        for colour, image in masks.items():
            if size is None:
                size = image.size
            if image.size == size:
                planes[colour] = np.asarray(image.convert("L")).copy()
        self._replace_all(planes, size)

    def _replace_all(self, planes: dict[Colour, np.ndarray], size: tuple[int, int] | None) -> None:
        self._planes, self.size = planes, size
        self._versions = {colour: self._versions.get(colour, 0) + 1 for colour in planes}
        self._handed.clear()
        self._stroke = None
        self.generation += 1
        self.reset.emit()
        self.commit()

    # -- editing ---------------------------------------------------------------------------

    def _writable(self, colour: Colour) -> np.ndarray:
        if colour not in self._planes:
            width, height = self.size
            self._planes[colour] = np.zeros((height, width), np.uint8)
        return self._planes[colour]

    def _touched(self, colour: Colour, rect: Rect) -> None:
        self._versions[colour] = self._versions.get(colour, 0) + 1
        self.painted.emit(rect)

    def begin_stroke(self, colour: Colour, x: float, y: float, radius: float, hardness: float, erase: bool) -> None:
        """Start a brush (or eraser) stroke at (x, y) in mask pixels."""
        if self.size is None:
            return
        plane = self._writable(colour)
        # One copy per stroke, not per move: the undo step cuts its "before" out of it at the end.
        self._stroke = {
            "colour": colour,
            "before": plane.copy(),
            "kernel": brush_kernel(round(radius * 4) / 4, round(hardness, 2)),
            "spacing": spacing_for(radius),
            "erase": erase,
            "at": (x, y),
            "rect": None,
            "text": "erase" if erase else "paint",
        }
        self._dab([(x, y)])

    def continue_stroke(self, x: float, y: float) -> None:
        stroke = self._stroke
        if stroke is None:
            return
        points = dab_centres(stroke["at"], (x, y), stroke["spacing"])
        stroke["at"] = (x, y)
        self._dab(points)

    def _dab(self, points: list[tuple[float, float]]) -> None:
        stroke = self._stroke
        plane = self._planes[stroke["colour"]]
        changed = None
        for cx, cy in points:
            changed = union(changed, stamp(plane, stroke["kernel"], cx, cy, stroke["erase"]))
        if changed is not None:
            stroke["rect"] = union(stroke["rect"], changed)
            self._touched(stroke["colour"], changed)
            self._schedule_emit()

    def end_stroke(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is None or stroke["rect"] is None:
            return
        colour, (x0, y0, x1, y1) = stroke["colour"], stroke["rect"]
        before = stroke["before"][y0:y1, x0:x1]
        after = self._planes[colour][y0:y1, x0:x1]
        if not np.array_equal(before, after):
            self.stack.push(_MaskEdit(self, stroke["text"], [_Patch.of(colour, stroke["rect"], before, after)]))
        self.commit()

    @property
    def stroking(self) -> bool:
        return self._stroke is not None

    def fill(self, colour: Colour, x: int, y: int) -> bool:
        """Fill the enclosed area around (x, y): every pixel on the same side of half-painted, connected to it."""
        if not self.inside(x, y):
            return False
        plane = self._planes.get(colour)
        if plane is None:
            height, width = self.size[1], self.size[0]
            area = np.ones((height, width), bool)
        else:
            painted = plane >= 128
            area = connected_area(painted == painted[y, x], x, y)
        return self._add(colour, area.astype(np.uint8) * 255, "fill")

    def wand_photo(self) -> tuple[int, WandPhoto | Callable[[], WandPhoto]] | None:
        """For the wand: (the photo's number, the photo as the wand reads it, or what makes it on another thread).

        None without a photo. Made once per photo (``keep_wand_photo``): half a second at 2048 px.
        """
        if self._photo is None or self.size is None:
            return None
        if self._wand is not None and self._wand.size == self.size:
            return self.photo_number, self._wand
        photo, size = self._photo, self.size

        def make() -> WandPhoto:
            rgb = photo.convert("RGB")
            return WandPhoto.of(np.asarray(rgb if rgb.size == size else rgb.resize(size, Image.Resampling.BILINEAR)))

        return self.photo_number, make

    def keep_wand_photo(self, photo_number: int, wand: WandPhoto) -> None:
        if photo_number == self.photo_number and wand.size == self.size:
            self._wand = wand

    def add_similar(self, colour: Colour, photo_number: int, area: np.ndarray) -> bool:
        """Add the wand's ``area`` (``WandPhoto.similar`` on photo ``photo_number``) to the region: one undo step.

        Nothing if the photo has changed since the click.
        """
        if photo_number != self.photo_number or self.size is None or area.shape != (self.size[1], self.size[0]):
            return False
        return self._add(colour, soft_edge(area), "select similar colour")

    def inside(self, x: int, y: int) -> bool:
        return self.size is not None and 0 <= x < self.size[0] and 0 <= y < self.size[1]

    def _add(self, colour: Colour, coverage: np.ndarray, text: str) -> bool:
        """Raise the plane to ``coverage`` wherever it is higher: one undo step."""
        rect = bounding_rect(coverage > 0)
        if rect is None:
            return False
        x0, y0, x1, y1 = rect
        plane = self._writable(colour)
        before = plane[y0:y1, x0:x1].copy()
        after = np.maximum(before, coverage[y0:y1, x0:x1])
        if np.array_equal(before, after):
            return False
        plane[y0:y1, x0:x1] = after
        self._touched(colour, rect)
        self.stack.push(_MaskEdit(self, text, [_Patch.of(colour, rect, before, after)]))
        self.commit()
        return True

    def replace(self, planes: dict[Colour, np.ndarray], text: str) -> None:
        """Replace whole planes (an import): one undo step."""
        if self.size is None:
            return
        width, height = self.size
        rect = (0, 0, width, height)
        patches = []
        for colour, new in planes.items():
            old = self._planes[colour] if colour in self._planes else np.zeros((height, width), np.uint8)
            patches.append(_Patch.of(colour, rect, old, new))
            self._planes[colour] = new.copy()
            self._touched(colour, rect)
        self.stack.push(_MaskEdit(self, text, patches))
        self.commit()

    def clear(self, colour: Colour, text: str = "clear region") -> None:
        """Wipe one region's paint (one undo step, if there was any)."""
        if colour in self._planes and self._planes[colour].any():
            self.replace({colour: np.zeros_like(self._planes[colour])}, text)

    def put_patch(self, colour: Colour, rect: Rect, patch: np.ndarray) -> None:
        """Undo and redo write back here."""
        x0, y0, x1, y1 = rect
        self._writable(colour)[y0:y1, x0:x1] = patch
        self._touched(colour, rect)

    # -- telling the engine ------------------------------------------------------------------

    def commit(self) -> None:
        """An edit is complete: the engine gets the masks now."""
        self._emit_timer.stop()
        self._emit_now()
        self.committed.emit()

    def _schedule_emit(self) -> None:
        if self._emit_timer.isActive():
            return
        wait_ms = EMIT_MS - (time.monotonic() - self._last_emit) * 1000
        if wait_ms <= 0:
            self._emit_now()
        else:
            self._emit_timer.start(max(1, int(wait_ms)))

    def _emit_now(self) -> None:
        self._last_emit = time.monotonic()
        self.masks_edited.emit()
