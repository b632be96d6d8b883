"""Region masks on disk, for the session and the autosave: one lossless greyscale PNG per region.

A file is named for its region's colour (``region-ff0000.png``), since the
colour is what a mask is found by; files of regions that no longer have paint
are removed, so that a folder always holds one set.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PIL import Image

from engine.atomic import write_atomically
from engine.errors import BrushworkError
from engine.regions import open_mask_image

from ..region_masks import Colour

log = logging.getLogger(__name__)

_NAME = re.compile(r"^region-([0-9a-f]{6})\.png$")


def mask_file_name(colour: Colour) -> str:
    return "region-{:02x}{:02x}{:02x}.png".format(*colour)


def write_masks(
    folder: Path, masks: dict[Colour, Image.Image], written: dict[Colour, Image.Image] | None = None
) -> None:
    """Write ``masks`` into ``folder`` atomically and remove other regions' files.

    With ``written`` (what this folder was last given, updated here), a mask
    handed over again unchanged (the very same image) is not encoded again.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for colour, image in masks.items():
        path = folder / mask_file_name(colour)
        if written is not None and written.get(colour) is image and path.exists():
            continue
        write_atomically(path, lambda handle, image=image: image.save(handle, format="PNG"))
        if written is not None:
            written[colour] = image
    keep = {mask_file_name(colour) for colour in masks}
    for path in folder.glob("region-*.png"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
            if written is not None:
                match = _NAME.match(path.name)
                if match:
                    written.pop(_colour(match.group(1)), None)


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


def _colour(hex_digits: str) -> Colour:
    return tuple(int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
