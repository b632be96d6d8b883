"""Painting regions: the tools on the preview, the regions' list, the overlay, and mask files in and out.

It joins the regions panel (what the artist chose), the preview canvas (where
the pointer is), the mask document (the paint) and the parameters editor (the
regions' settings). Adding or removing a region is a settings change, so it
goes through the editor and is one step on the window's undo stack like any
other; a stroke, fill or wand click is a step on the same stack. So is a mask
on a painting matched or cleared ("Match to parts of a painting...",
``gui.regions.painting_masks``).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine
from pathlib import Path

from brushwork.engine.errors import BrushworkError
from brushwork.engine.settings.regions import MAX_REGIONS, PALETTE, RegionSetting
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image
from PySide6.QtCore import QObject, QPointF, QRectF, Signal
from PySide6.QtGui import QUndoStack

from ..panels.param_changes import RegionAdded, RegionRemoved
from ..panels.params_editor import ParamsEditor
from ..panels.preview_pane import PreviewCanvas
from ..panels.region_row import colour_name
from .colour_wand import WandPhoto
from .face_regions import KeepFaces
from .mask_brush import Rect
from .mask_files import ImportedMask, read_mask_file, read_painting_mask_file, write_mask_file
from .painting_masks import single_painting
from .region_colour import Colour
from .region_masks import RegionMaskDocument
from .region_overlay import RegionOverlay

BRUSH_TOOLS = ("brush", "eraser")


class RegionEditing(QObject):
    """What the region tools do.

    ``tool_changed`` carries the tool's name or None; ``error`` and ``status`` are for the artist.
    """

    tool_changed = Signal(object)
    error = Signal(str)
    status = Signal(str)

    def __init__(
        self,
        editor: ParamsEditor,
        canvas: PreviewCanvas,
        doc: RegionMaskDocument,
        stack: QUndoStack,
        dialogs,
        folders,
        spawn: Callable[[Coroutine], asyncio.Task],
        paintings: Callable[[], list[tuple[str, tuple[int, int]]]] = list,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.editor, self.panel, self.canvas, self.doc, self.stack = editor, editor.regions, canvas, doc, stack
        self.dialogs, self.folders, self._spawn = dialogs, folders, spawn
        self.paintings = paintings  # the loaded paintings as (name, size), in their order
        self.tool: str | None = None
        self.overlay = RegionOverlay()
        self._photo_size: tuple[int, int] | None = None
        panel = self.panel
        panel.tool_chosen.connect(self.set_tool)
        panel.add_requested.connect(self.add_region)
        panel.remove_requested.connect(self.remove_region)
        panel.brush_changed.connect(self._show_brush)
        panel.overlay_changed.connect(self._rebuild_overlay)
        panel.import_requested.connect(self.import_mask)
        panel.export_requested.connect(self.export_mask)
        panel.match_requested.connect(self.match_painting)
        panel.clear_matches_requested.connect(self.clear_matches)
        canvas.tool_pressed.connect(self._on_pressed)
        canvas.tool_moved.connect(self._on_moved)
        canvas.tool_released.connect(self._on_released)
        canvas.zoom_changed.connect(lambda _zoom: self._show_brush())
        doc.painted.connect(self._on_painted)
        doc.reset.connect(self._rebuild_overlay)
        self.faces = KeepFaces(editor, doc, stack, spawn, self._edit_now, self)
        self.faces.status.connect(self.status)
        self.faces.error.connect(self.error)

    # -- tools ------------------------------------------------------------------------------

    def set_tool(self, tool: str | None) -> None:
        """Choose a tool (None: the canvas pans and compares again). A tool with no region to paint in adds one."""
        if tool is not None:
            self.panel.set_expanded(True)
            if not self.editor.current.regions and not self.add_region():
                return
        self.tool = tool
        self.panel.show_tool(tool)
        self._show_brush()
        self.tool_changed.emit(tool)

    def _show_brush(self) -> None:
        radius = self.panel.brush_size.value() / 2 if self.tool in BRUSH_TOOLS else None
        self.canvas.set_tool(self.tool is not None, radius)

    def _to_mask(self, position: QPointF) -> tuple[float, float, float] | None:
        """(x, y, pixels per screen pixel) on the masks for a point on the canvas, or None if nothing is shown."""
        target = self.canvas.target_rect()
        if self.doc.size is None or target.isEmpty():
            return None
        width, height = self.doc.size
        scale = width / target.width()
        # Pixel i covers [i, i + 1): its centre is at i + 0.5.
        return (
            (position.x() - target.left()) * scale - 0.5,
            (position.y() - target.top()) * height / target.height() - 0.5,
            scale,
        )

    def _on_pressed(self, position: QPointF) -> None:
        at = self._to_mask(position)
        if at is None or (self.panel.current is None and not self.add_region()):
            return
        colour = self.panel.current
        row = self.panel.row(colour)
        if row is not None and not row.visible.isChecked():
            row.visible.setChecked(True)  # paint the artist cannot see would be paint by chance
        x, y, scale = at
        if self.tool in BRUSH_TOOLS:
            radius = self.panel.brush_size.value() / 2 * scale
            self.doc.begin_stroke(colour, x, y, radius, self.panel.hardness.value(), self.tool == "eraser")
        elif self.tool == "fill":
            self.doc.fill(colour, math.floor(x + 0.5), math.floor(y + 0.5))
        elif self.tool == "wand":
            x, y = math.floor(x + 0.5), math.floor(y + 0.5)
            if self.doc.inside(x, y):
                tolerance, contiguous = round(self.panel.tolerance.value()), self.panel.contiguous.isChecked()
                self._spawn(self._select_similar(colour, x, y, tolerance, contiguous))

    async def _select_similar(self, colour: Colour, x: int, y: int, tolerance: int, contiguous: bool) -> None:
        """The wand: the photo's similar colours are found on another thread (``gui.regions.colour_wand``)."""
        found = self.doc.wand_photo()
        if found is None:
            return
        photo_number, wand = found
        loop = asyncio.get_running_loop()
        if not isinstance(wand, WandPhoto):
            wand = await loop.run_in_executor(None, wand)
            self.doc.keep_wand_photo(photo_number, wand)
        area = await loop.run_in_executor(None, wand.similar, x, y, tolerance, contiguous)
        if any(region.rgb == colour for region in self.editor.current.regions):  # not removed meanwhile
            self.doc.add_similar(colour, photo_number, area)

    def _on_moved(self, position: QPointF) -> None:
        at = self._to_mask(position)
        if at is not None and self.doc.stroking:
            self.doc.continue_stroke(at[0], at[1])

    def _on_released(self, position: QPointF) -> None:
        self._on_moved(position)
        self.doc.end_stroke()

    # -- the overlay ----------------------------------------------------------------------------

    def _layers(self) -> list[tuple]:
        layers = []
        for colour in self.panel.visible_colours():
            plane = self.doc.plane(colour)
            if plane is not None:
                layers.append((plane, colour))
        return layers

    def _rebuild_overlay(self) -> None:
        self.overlay.rebuild(self.doc.size, self._layers())
        self.canvas.set_overlay(self.overlay.image, self.panel.opacity.value())

    def _on_painted(self, rect: Rect) -> None:
        if self.overlay.image is None:
            self._rebuild_overlay()
            return
        self.overlay.refresh(rect, self._layers())
        width, height = self.doc.size
        x0, y0, x1, y1 = rect
        self.canvas.update_overlay_area(QRectF(x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height))

    # -- the list of regions ------------------------------------------------------------------------

    def add_region(self) -> bool:
        """A new region in the first free palette colour, selected; False if all eight are taken."""
        regions = self.editor.current.regions
        used = {region.rgb for region in regions}
        free = [(name, rgb) for name, rgb in PALETTE.items() if rgb not in used]
        if len(regions) >= MAX_REGIONS or not free:
            self.error.emit(f"There are {MAX_REGIONS} regions already, as many as a picture can have.")
            return False
        name, rgb = free[0]
        self.editor.flush()  # an edit held by the throttle is a step of its own, before this one
        self.stack.beginMacro("add region")
        # Paint left in this colour by a removed region must not come back with the new one.
        self.doc.clear(rgb, "clear old paint")
        self._edit_now((RegionAdded(RegionSetting(colour=name)),))
        self.stack.endMacro()
        self.panel.select(rgb)
        return True

    def remove_region(self, colour: Colour) -> None:
        """Remove a region; its paint stays in the document, so that undoing the removal brings it back."""
        self._edit_now((RegionRemoved(colour),))

    def _edit_now(self, changes: tuple) -> None:
        """Apply ``changes`` at once, as a step of their own: an edit still held by the throttle goes first."""
        self.editor.flush()
        self.editor.edit(changes)
        self.editor.flush()

    # -- the photo ----------------------------------------------------------------------------------

    def photo_changed(self, photo: Image.Image) -> None:
        self._photo_size = photo.size
        outcome = self.doc.set_photo(photo)
        # With no regions the paint cleared was a removed region's, which nobody sees: nothing to say.
        if outcome == "cleared" and self.editor.current.regions:
            self.status.emit(
                "The region masks were cleared: they were painted on a photo of another shape. "
                "The regions and their settings stay."
            )
        self.faces.photo_changed(photo, outcome)  # Keep faces: the new photo's faces, in place of the last one's

    # -- mask files ----------------------------------------------------------------------------------

    def import_mask(self) -> asyncio.Task | None:
        if self._photo_size is None or self.doc.size is None:
            self.error.emit("Open the photo first: a mask belongs to one photo.")
            return None
        path = self.dialogs.open_mask(self.folders.last_folder())
        if path is None:
            return None
        return self._spawn(self._import(Path(path)))

    async def _import(self, path: Path) -> None:
        colours = [region.colour for region in self.editor.current.regions]
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(None, read_mask_file, path, self._photo_size, self.doc.size, colours)
        except BrushworkError as exc:
            self.error.emit(str(exc))
            return
        self.apply_import(found, path.name)

    def apply_import(self, found: ImportedMask, name: str) -> None:
        """Put what a file held into the masks (and new regions for its colours): one step to undo."""
        regions = self.editor.current.regions
        if found.grey is not None:
            # Into the selected region; with none, into a new one in the first colour.
            target = self.panel.current
            new = [] if target is not None else [next(iter(PALETTE.items()))]
            planes = {target if target is not None else new[0][1]: found.grey}
        else:
            planes = found.planes
            new = [(found.names[c], c) for c in planes if all(r.rgb != c for r in regions)]
        if len(regions) + len(new) > MAX_REGIONS:
            self.error.emit(
                f"{name} would make {len(regions) + len(new)} regions; a picture can have {MAX_REGIONS}. "
                "Remove some regions first."
            )
            return
        self.editor.flush()
        self.stack.beginMacro(f"import {name}")
        if new:
            self._edit_now(tuple(RegionAdded(RegionSetting(colour=colour_name)) for colour_name, _ in new))
        self.doc.replace(planes, f"import {name}")
        self.stack.endMacro()
        if found.grey is not None or len(planes) == 1:
            self.panel.select(next(iter(planes)))
        self.status.emit(f"Imported {len(planes)} region mask{'s' if len(planes) != 1 else ''} from {name}")

    def export_mask(self) -> asyncio.Task | None:
        regions = self.editor.current.regions
        if not regions or self.doc.size is None:
            self.error.emit("There are no regions to export: add a region and paint it first.")
            return None
        path = self.dialogs.export_mask_path(Path(self.folders.save_folder()) / "regions.png")
        if path is None:
            return None
        masks = list(self.doc.region_masks(regions).photo)  # made here, on the GUI thread; written there
        return self._spawn(self._export(Path(path), masks, [region.colour for region in regions]))

    async def _export(self, path: Path, masks: list[Image.Image], colours: list[str]) -> None:
        loop = asyncio.get_running_loop()
        try:
            written = await loop.run_in_executor(None, write_mask_file, path, masks, colours)
        except BrushworkError as exc:
            self.error.emit(str(exc))
            return
        self.status.emit(f"Exported the regions to {written.name}")

    # -- masks on the paintings (gui.regions.painting_masks) ----------------------------------------------

    def picture_blend(self, params: StyleParams) -> list[float]:
        """The picture's blend over the paintings loaded now (what a region without its own style uses)."""
        count = len(self.paintings())
        return params.blend_weights(count) if count else []

    def match_painting(self) -> asyncio.Task | None:
        """Match to parts of a painting...: a mask in region colours on one of the paintings (found by its shape)."""
        paintings = self.paintings()
        if not paintings:
            self.error.emit("Open a painting first: a mask on a painting needs the painting.")
            return None
        path = self.dialogs.open_mask(self.folders.last_folder())
        if path is None:
            return None
        params = self.editor.current
        selected = next((r for r in params.regions if r.rgb == self.panel.current), None)
        # Several paintings of the mask's shape: the selected region's own painting first.
        preferred = single_painting(selected, self.picture_blend(params)) if selected is not None else None
        colours = [region.colour for region in params.regions]
        return self._spawn(self._match(Path(path), paintings, preferred, colours, self.panel.current))

    async def _match(self, path: Path, paintings, preferred: int | None, colours: list[str], grey_colour) -> None:
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(
                None, read_painting_mask_file, path, paintings, preferred, colours, grey_colour
            )
        except BrushworkError as exc:
            self.error.emit(str(exc))
            return
        if self.paintings() != paintings:
            self.error.emit(f"The paintings changed while {path.name} was read: match it again.")
            return
        self.editor.flush()  # an edit held by the throttle is a step of its own, before this one
        self.doc.painting_masks.set_painting(found.painting, found.masks, f"match {path.name}")
        name = paintings[found.painting][0]
        listed = ", ".join(colour_name(RegionSetting(colour="#{:02x}{:02x}{:02x}".format(*c))) for c in found.masks)
        self.status.emit(f"Matched {listed} to parts of {name}: for each region whose style is {name} alone")

    def clear_matches(self) -> None:
        """Clear painting masks: every region takes its style from the whole of its painting again (one undo step)."""
        self.editor.flush()
        if self.doc.painting_masks.clear():
            self.status.emit("The painting masks are cleared: each region's style comes from its whole painting")

    def show_painting_notes(self, params: StyleParams) -> None:
        """Note, on each region row whose painting mask is in force, which painting its style is part of."""
        paintings, blend = self.paintings(), self.picture_blend(params)
        notes = {}
        for region in params.regions:
            found = self.doc.painting_masks.in_force(region, blend)
            if found is not None:
                notes[region.rgb] = paintings[found.painting][0]
        self.panel.show_painting_notes(notes, bool(self.doc.painting_masks.all()))
