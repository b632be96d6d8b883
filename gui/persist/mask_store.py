"""Region masks on disk, for the session and the autosave: one lossless greyscale PNG per region.

A file is named for its region's colour (``region-ff0000.png``), since the
colour is what a mask is found by; files of regions that no longer have paint
are removed, so that a folder always holds one set. Masks on the paintings
(``gui.regions.painting_masks``) lie beside them, named for the painting's index too
(``painting-0-ff0000.png``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from brushwork.engine.errors import BrushworkError
from brushwork.engine.files.atomic_write import write_atomically
from brushwork.engine.settings.regions import open_mask_image
from PIL import Image

from ..regions.region_colour import Colour

log = logging.getLogger(__name__)

_NAME = re.compile(r"^region-([0-9a-f]{6})\.png$")
_PAINTING_NAME = re.compile(r"^painting-(\d{1,2})-([0-9a-f]{6})\.png$")


def mask_file_name(colour: Colour) -> str:
    return "region-{:02x}{:02x}{:02x}.png".format(*colour)


def painting_mask_file_name(painting: int, colour: Colour) -> str:
    """A painting's mask (``gui.regions.painting_masks``): ``painting-1-ff0000.png`` for the second painting's red."""
    return "painting-{}-{:02x}{:02x}{:02x}.png".format(painting, *colour)


REGION_FILES, PAINTING_FILES = "region-*.png", "painting-*.png"


def region_mask_files(masks: dict[Colour, Image.Image]) -> dict[str, Image.Image]:
    """The regions' masks by file name, as ``write_mask_files`` takes them."""
    return {mask_file_name(colour): image for colour, image in masks.items()}


def painting_mask_files(masks: dict[Colour, tuple[int, Image.Image]]) -> dict[str, Image.Image]:
    """The masks on the paintings, by region colour as (painting index, mask), by file name."""
    return {painting_mask_file_name(index, colour): image for colour, (index, image) in masks.items()}


def write_masks(folder: Path, masks: dict[Colour, Image.Image], written: dict[str, Image.Image] | None = None) -> None:
    """Write ``masks`` into ``folder`` atomically and remove other regions' files (see ``write_mask_files``)."""
    write_mask_files(folder, region_mask_files(masks), (REGION_FILES,), written)


def write_painting_masks(
    folder: Path, masks: dict[Colour, tuple[int, Image.Image]], written: dict[str, Image.Image] | None = None
) -> None:
    """The masks on the paintings, by region colour as (painting index, mask), beside the regions' own."""
    write_mask_files(folder, painting_mask_files(masks), (PAINTING_FILES,), written)


def write_mask_files(
    folder: Path, files: dict[str, Image.Image], patterns: tuple[str, ...], written: dict[str, Image.Image] | None
) -> None:
    """Write ``files`` (name -> mask) atomically; remove the other files matching ``patterns``: one set per folder.

    With ``written`` (what this folder was last given, by file name, updated
    here), a mask handed over again unchanged (the very same image) is not
    encoded again.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, image in files.items():
        path = folder / name
        if written is not None and written.get(name) is image and path.exists():
            continue
        write_atomically(path, lambda handle, image=image: image.save(handle, format="PNG"))
        if written is not None:
            written[name] = image
    for pattern in patterns:
        for path in folder.glob(pattern):
            if path.name not in files:
                path.unlink(missing_ok=True)
                if written is not None:
                    written.pop(path.name, None)


def read_masks(folder: Path) -> dict[Colour, Image.Image]:
    """The masks a folder holds, by colour; a file that cannot be read is logged and left out."""
    masks = {}
    for path in sorted(folder.glob("region-*.png")):
        match = _NAME.match(path.name)
        if not match:
            continue
        try:
            masks[_colour(match.group(1))] = open_mask_image(path).convert("L")
        except BrushworkError as exc:
            log.warning("could not read the region mask %s: %s", path.name, exc)
    return masks


def read_painting_masks(folder: Path) -> dict[Colour, tuple[int, Image.Image]]:
    """The masks on the paintings a folder holds, by region colour as (painting index, mask)."""
    masks = {}
    for path in sorted(folder.glob("painting-*.png")):
        match = _PAINTING_NAME.match(path.name)
        if not match:
            continue
        try:
            masks[_colour(match.group(2))] = (int(match.group(1)), open_mask_image(path).convert("L"))
        except BrushworkError as exc:
            log.warning("could not read the painting mask %s: %s", path.name, exc)
    return masks


def _colour(hex_digits: str) -> Colour:
    return tuple(int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
