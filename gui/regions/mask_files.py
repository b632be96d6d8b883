"""Region masks to and from PNG files (Import mask..., Export mask..., Match to parts of a painting...).

All of them run on a worker thread.

The file format is the command line's ``--regions MASK.png``: each region in
its colour on black (``engine.settings.regions``). A greyscale file is one region's
mask, white inside. A mask on a painting is ``--style-regions``': the same
colours, with the painting's shape instead of the photo's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brushwork.engine.errors import ImageSaveError
from brushwork.engine.files.atomic_write import write_atomically
from brushwork.engine.pictures.images import write_failure
from brushwork.engine.settings.regions import (
    PALETTE,
    RegionError,
    check_shape,
    colour_image_from_masks,
    colours_present,
    is_colour_mask,
    mask_from_grey_image,
    masks_from_colour_image,
    open_mask_image,
    parse_colour,
)
from PIL import Image

from .region_colour import Colour
from .region_masks import mask_size_for


@dataclass(frozen=True, eq=False)
class ImportedMask:
    """What a mask file holds, at the masks' size.

    A colour file gives ``planes`` by colour and each colour's ``names`` (for
    a region it creates); a greyscale file gives one plane, ``grey``, for the
    selected region.
    """

    planes: dict[Colour, np.ndarray]
    names: dict[Colour, str]
    grey: np.ndarray | None = None


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def read_mask_file(
    path: Path, photo_size: tuple[int, int], mask_size: tuple[int, int], region_colours: list[str]
) -> ImportedMask:
    """Read and check a mask for a photo of ``photo_size``; raises ``RegionError`` with the reason for the artist.

    ``region_colours`` are the regions' colours now: a colour file is read for
    those and for every palette colour, and keeps the ones it holds.
    """
    image = open_mask_image(path)
    check_shape(image.size, photo_size, "mask")
    return decode_mask(image, Path(path).name, mask_size, region_colours)


def decode_mask(image: Image.Image, name: str, mask_size: tuple[int, int], region_colours: list[str]) -> ImportedMask:
    """What a mask picture (already checked for its shape) holds, at ``mask_size``; ``RegionError`` if nothing."""
    if image.size != mask_size:
        # Smaller first: unmixing the colours of a 4000 px file would take seconds.
        image = image.convert("RGBA" if _has_alpha(image) else "RGB").resize(mask_size, Image.Resampling.BILINEAR)
    if not is_colour_mask(image):
        grey = np.asarray(mask_from_grey_image(image)).copy()
        if not grey.any():
            raise RegionError(
                f"{name} is all black: nothing in it is painted. A mask shows each region in its colour on black "
                "(or, for the selected region, in white)."
            )
        return ImportedMask({}, {}, grey)
    names: dict[Colour, str] = {}
    for colour_name in (*region_colours, *PALETTE):
        names.setdefault(parse_colour(colour_name), colour_name)
    present = colours_present(image, list(names))
    if not present:
        raise RegionError(
            f"{name} holds none of the region colours: paint each region in one of {', '.join(PALETTE)} on black."
        )
    masks = [np.asarray(m) for m in masks_from_colour_image(image, [names[c] for c in present])]
    return ImportedMask(dict(zip(present, masks, strict=True)), {c: names[c] for c in present})


@dataclass(frozen=True, eq=False)
class PaintingMaskFile:
    """A mask file for one of the paintings: which one (its index), and its 'L' masks by region colour."""

    painting: int
    masks: dict[Colour, Image.Image]


def painting_for_shape(
    name: str, size: tuple[int, int], paintings: list[tuple[str, tuple[int, int]]], preferred: int | None
) -> int:
    """The index of the painting a mask of ``size`` is for: ``preferred`` if it has that shape, else the first that has.

    ``paintings`` are the loaded ones as (name, size); ``RegionError`` if none has the shape.
    """
    fitting = []
    for index, (_, painting_size) in enumerate(paintings):
        try:
            check_shape(size, painting_size)
        except RegionError:
            continue
        fitting.append(index)
    if not fitting:
        listed = "; ".join(f"{title} is {w} x {h} px" for title, (w, h) in paintings)
        raise RegionError(
            f"{name} is {size[0]} x {size[1]} px, the shape of none of the paintings ({listed}). A mask on a "
            "painting must have that painting's shape (its size or a scaled copy of it)."
        )
    return preferred if preferred in fitting else fitting[0]


def read_painting_mask_file(
    path: Path,
    paintings: list[tuple[str, tuple[int, int]]],
    preferred: int | None,
    region_colours: list[str],
    grey_colour: Colour | None,
) -> PaintingMaskFile:
    """Read a mask painted on one of ``paintings`` (found by its shape); raises ``RegionError`` with the reason.

    The colours are the photo mask's (``--style-regions``); a greyscale file
    is the mask of the region with ``grey_colour`` (the selected one).
    """
    image = open_mask_image(path)
    name = Path(path).name
    index = painting_for_shape(name, image.size, paintings, preferred)
    found = decode_mask(image, name, mask_size_for(paintings[index][1]), region_colours)
    if found.grey is not None:
        if grey_colour is None:
            raise RegionError(f"{name} is greyscale: select the region it is for first, or paint it in region colours.")
        planes = {grey_colour: found.grey}
    else:
        planes = found.planes
    return PaintingMaskFile(index, {colour: Image.fromarray(plane, "L") for colour, plane in planes.items()})


def write_mask_file(path: Path, masks: list[Image.Image], colours: list[str]) -> Path:
    """The regions as one PNG in their colours on black, written atomically; raises ``ImageSaveError``."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        path = path.with_suffix(".png")  # lossless: a JPEG's blur would mix the colours
    picture = colour_image_from_masks(masks, colours)
    try:
        write_atomically(path, lambda handle: picture.save(handle, format="PNG"))
    except OSError as exc:
        raise ImageSaveError(f"Could not export the mask to {path.name}: {write_failure(exc)}") from None
    return path
