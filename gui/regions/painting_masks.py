"""Masks on the paintings: a region's style taken from part of one painting only ("sky to sky").

Gatys et al. (2017), section 3.1, match each region of the picture to the
corresponding region of the painting, not to the whole painting. The command
line takes such a mask with ``--style-regions PAINTING=MASK.png``; here the
artist imports one with "Match to parts of a painting...". Per region colour
we keep the painting's index and an 'L' mask of that painting's shape.

The engine can use a painting mask only for a region whose style is that one
painting alone (it raises otherwise). So a mask is *in force* only while that
holds: picking a blend or another painting for the region leaves the mask
aside, and picking the painting again brings it back, rather than failing the
run. Importing and clearing are steps on the window's one undo stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from brushwork.engine.settings.regions import RegionError, RegionSetting, check_shape
from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from .region_colour import Colour


@dataclass(frozen=True, eq=False)
class PaintingMask:
    """Where one region's style comes from: part of the painting at ``painting`` (its index among the loaded ones)."""

    painting: int
    image: Image.Image  # 'L', the painting's shape; never modified once made


def single_painting(region: RegionSetting, picture_blend: list[float]) -> int | None:
    """The index of the one painting ``region``'s style uses, or None (a blend, the photo, no painting loaded).

    ``picture_blend`` is ``StyleParams.blend_weights(count)`` for the loaded
    paintings: the same weights the engine resolves a region's style with.
    """
    if region.photo_only or not picture_blend:
        return None
    used = [i for i, weight in enumerate(region.blend_weights(len(picture_blend), picture_blend)) if weight > 0]
    return used[0] if len(used) == 1 else None


class _PaintingMaskEdit(QUndoCommand):
    """An import or a clear: the whole set before and after (the images are shared, never copied)."""

    def __init__(self, masks: PaintingMasks, text: str, before: dict, after: dict) -> None:
        super().__init__(text)
        self.masks, self.before, self.after = masks, before, after
        self.generation = masks.generation
        self._done = True  # pushed after the change was made: the first redo() has nothing to do

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._put(self.after)

    def undo(self) -> None:
        self._put(self.before)

    def _put(self, masks: dict) -> None:
        if self.generation != self.masks.generation:
            # A painting was removed since: the indices this step holds name other paintings now.
            self.setObsolete(True)
            return
        self.masks._put(masks)


class PaintingMasks(QObject):
    """The painting masks by region colour; ``changed`` whenever the set changes."""

    changed = Signal()

    def __init__(self, stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = stack
        self._masks: dict[Colour, PaintingMask] = {}
        self._sizes: list[tuple[int, int]] = []  # the loaded paintings' sizes (set_paintings)
        self.generation = 0  # bumped when the paintings' indices change under the undo steps

    def get(self, colour: Colour) -> PaintingMask | None:
        return self._masks.get(colour)

    def all(self) -> dict[Colour, PaintingMask]:
        return dict(self._masks)

    def files(self, colours: list[Colour]) -> dict[Colour, tuple[int, Image.Image]]:
        """The masks of the regions with ``colours``, as (painting index, mask): what ``mask_store`` writes."""
        return {c: (m.painting, m.image) for c, m in self._masks.items() if c in colours}

    def in_force(self, region: RegionSetting, picture_blend: list[float]) -> PaintingMask | None:
        """``region``'s painting mask if its style is that painting alone, else None."""
        found = self._masks.get(region.rgb)
        if found is None or single_painting(region, picture_blend) != found.painting:
            return None
        return found

    def style_masks(
        self, regions: tuple[RegionSetting, ...], picture_blend: list[float]
    ) -> tuple[Image.Image | None, ...]:
        """``RegionMasks.style`` for ``regions``: () when no mask is in force (the engine then builds nothing)."""
        masks = [self.in_force(region, picture_blend) for region in regions]
        return tuple(m.image if m is not None else None for m in masks) if any(masks) else ()

    # -- changes -------------------------------------------------------------------

    def set_painting(self, painting: int, masks: dict[Colour, Image.Image], text: str) -> None:
        """A file's masks on the painting at ``painting``: they replace that painting's set. One undo step."""
        after = {c: m for c, m in self._masks.items() if m.painting != painting and c not in masks}
        after.update({colour: PaintingMask(painting, image) for colour, image in masks.items()})
        self._change(after, text)

    def clear(self, text: str = "clear painting masks") -> bool:
        """Remove every painting mask (one undo step); False if there were none."""
        if not self._masks:
            return False
        self._change({}, text)
        return True

    def _change(self, after: dict[Colour, PaintingMask], text: str) -> None:
        before = self._masks
        self._put(after)
        self.stack.push(_PaintingMaskEdit(self, text, before, dict(after)))

    def _put(self, masks: dict[Colour, PaintingMask]) -> None:
        self._masks = self._fitting(masks)
        self.changed.emit()

    def restore(self, masks: dict[Colour, PaintingMask]) -> None:
        """Masks read back from a session (no undo step), kept where their painting is loaded with its shape."""
        if masks or self._masks:
            self._put(dict(masks))

    # -- the paintings ---------------------------------------------------------------

    def painting_removed(self, index: int) -> None:
        """The painting at ``index`` is about to go: its masks go, later paintings' move up with them.

        No signal: the paintings' new sizes follow at once (``set_paintings``).
        """
        self._masks = {
            colour: PaintingMask(m.painting - (m.painting > index), m.image)
            for colour, m in self._masks.items()
            if m.painting != index
        }
        self.generation += 1

    def set_paintings(self, sizes: list[tuple[int, int]]) -> bool:
        """The loaded paintings changed: drop masks whose painting is gone or has another shape. True if any went.

        No signal: the window hands the new paintings and the masks to the run together.
        """
        self._sizes = list(sizes)
        kept = self._fitting(self._masks)
        dropped = len(kept) != len(self._masks)
        self._masks = kept
        return dropped

    def _fitting(self, masks: dict[Colour, PaintingMask]) -> dict[Colour, PaintingMask]:
        return {colour: m for colour, m in masks.items() if _fits(m, self._sizes)}


def _fits(mask: PaintingMask, sizes: list[tuple[int, int]]) -> bool:
    if mask.painting >= len(sizes):
        return False
    try:
        check_shape(mask.image.size, sizes[mask.painting])
    except RegionError:
        return False
    return True
