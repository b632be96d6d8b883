"""Regions: which style goes where, as settings (a preset keeps them) and as masks (a photo keeps them).

Gatys et al. (2017), *Controlling Perceptual Factors in Neural Style Transfer*,
section 3.1: the picture is split by guidance channels, and each region's
style is matched by Grams taken over that region's features only. Here a
region is a soft mask (0-1 per pixel, painted or decoded from a colour PNG)
plus a ``RegionSetting`` that says what it gets: a style (one of the loaded
paintings, or a blend of them) and a strength, or the photo as it is.

The settings live in ``StyleParams.regions`` and travel with presets; the masks
belong to one photo, so they travel beside the parameters as ``RegionMasks``.
How the masks become the loss is in ``engine.objective.guided_gram``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import BrushworkError

MAX_REGIONS = 8
MAX_REGION_STRENGTH = 4.0
# Colours that read apart on a photo and in a hand-painted mask, in the order
# the window hands them to new regions. Black is "no region".
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "magenta": (255, 0, 255),
    "orange": (255, 128, 0),
    "white": (255, 255, 255),
}
OUTSIDE_CHOICES = ("style", "photo")  # what the picture gets where no region is painted
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
# A mask's aspect ratio may differ from the photo's by this share (rounding
# when either was scaled); anything more is a mask made for another picture.
_ASPECT_TOLERANCE = 0.02
# A mask pixel further than this (RGB distance) from every mapped colour and
# from every blend of two of them is left out: it belongs to no listed region.
_UNMAPPED_DISTANCE = 60.0


class RegionError(BrushworkError):
    """A mask or a region setting is unusable; the message says which and why."""


def parse_colour(text: str) -> tuple[int, int, int]:
    """A palette name (``red``) or ``#rrggbb`` as an RGB triple."""
    name = text.strip().lower()
    if name in PALETTE:
        return PALETTE[name]
    if _HEX.match(name):
        return tuple(int(name[i : i + 2], 16) for i in (1, 3, 5))
    raise RegionError(f"{text!r} is not a region colour: use {', '.join(PALETTE)} or #rrggbb")


@dataclass(frozen=True)
class RegionSetting:
    """What one region of the picture gets.

    Attributes
    ----------
    colour
        The region's colour in a mask PNG and on the window's overlay: a
        ``PALETTE`` name or ``#rrggbb``.
    name
        The artist's label for it ("sky").
    style
        Blend weights over the loaded paintings, in their order; empty means
        the picture's own blend (``StyleParams.style_blend``).
    photo_only
        No style here: only the content term acts, so the region stays the photo.
    strength
        Multiplies beta inside the region (0-4).
    face
        Placed by Keep faces around a face it found (``engine.pictures.faces``):
        turning Keep faces off, or a new photo, takes it away; regions the
        artist made are never touched.
    """

    colour: str = "red"
    name: str = ""
    style: tuple[float, ...] = ()
    photo_only: bool = False
    strength: float = 1.0
    face: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.colour, str):
            raise RegionError(f"a region's colour must be a string, not {self.colour!r}")
        parse_colour(self.colour)
        if not isinstance(self.name, str):
            raise RegionError(f"a region's name must be a string, not {self.name!r}")
        try:
            style = tuple(float(_number("style weight", w)) for w in self.style)
        except TypeError:
            raise RegionError("a region's style must be a list of blend weights") from None
        object.__setattr__(self, "style", style)
        if len(style) > MAX_REGIONS:
            raise RegionError(f"a region's style has {len(style)} weights; at most {MAX_REGIONS} paintings")
        if any(not math.isfinite(w) or not 0 <= w <= 100 for w in style):
            raise RegionError("a region's style weights must be between 0 and 100")
        if style and sum(style) == 0:
            raise RegionError("a region's style weights are all 0: give one painting a weight, or mark it photo only")
        if not isinstance(self.photo_only, bool):
            raise RegionError(f"photo_only must be true or false, not {self.photo_only!r}")
        if not isinstance(self.face, bool):
            raise RegionError(f"face must be true or false, not {self.face!r}")
        strength = _number("strength", self.strength)
        if not math.isfinite(strength) or not 0 <= strength <= MAX_REGION_STRENGTH:
            raise RegionError(f"a region's strength must be between 0 and {MAX_REGION_STRENGTH:g}, not {strength}")
        object.__setattr__(self, "strength", float(strength))

    @property
    def rgb(self) -> tuple[int, int, int]:
        return parse_colour(self.colour)

    def blend_weights(self, count: int, picture_blend: list[float]) -> list[float]:
        """This region's normalised weights over ``count`` paintings (the picture's blend when it names none)."""
        if not self.style:
            return picture_blend
        weights = [self.style[i] if i < len(self.style) else 0.0 for i in range(count)]
        total = sum(weights)
        # Weights only for paintings that are not loaded (one was removed): fall back to the picture's blend.
        return [w / total for w in weights] if total > 0 else picture_blend

    def to_dict(self) -> dict[str, Any]:
        data = {
            "colour": self.colour,
            "name": self.name,
            "style": list(self.style),
            "photo_only": self.photo_only,
            "strength": self.strength,
        }
        if self.face:  # only then: presets and pictures without face regions read as before, in older versions too
            data["face"] = True
        return data

    @classmethod
    def from_dict(cls, data: Any) -> RegionSetting:
        if isinstance(data, RegionSetting):
            return data
        if not isinstance(data, Mapping):
            raise RegionError(f"a region must be an object, not {type(data).__name__}")
        unknown = sorted(set(data) - {"colour", "name", "style", "photo_only", "strength", "face"})
        if unknown:
            raise RegionError(f"unknown region field {unknown[0]!r}")
        values = dict(data)
        if "style" in values:
            if not isinstance(values["style"], (list, tuple)):
                raise RegionError("a region's style must be a list of blend weights")
            values["style"] = tuple(values["style"])
        return cls(**values)


def _number(what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RegionError(f"a region's {what} must be a number, not {value!r}")
    return float(value)


@dataclass(frozen=True, eq=False)
class RegionMasks:
    """The painted masks, one per ``StyleParams.regions`` entry and in its order.

    ``photo`` holds 'L' images with the photo's aspect ratio (any size: the
    engine brings them to each scale). ``style`` optionally holds, per region,
    a mask on that region's painting: its style is then taken from that part
    of the painting only (sky to sky, Gatys et al. 2017, section 3.1). Neither
    is modified after it is handed over: a new stroke makes new masks.
    """

    photo: tuple[Image.Image, ...] = ()
    style: tuple[Image.Image | None, ...] = ()

    def __post_init__(self) -> None:
        for mask in (*self.photo, *(m for m in self.style if m is not None)):
            if not isinstance(mask, Image.Image) or mask.mode != "L":
                raise RegionError("region masks must be greyscale ('L') images")

    def style_mask(self, index: int) -> Image.Image | None:
        return self.style[index] if index < len(self.style) else None

    def check(self, regions: int, photo_size: tuple[int, int]) -> None:
        """Raise ``RegionError`` unless there is one mask per region, each of the photo's shape."""
        if len(self.photo) != regions:
            raise RegionError(f"{len(self.photo)} region masks for {regions} regions: give one mask per region")
        for mask in self.photo:
            check_shape(mask.size, photo_size, "region mask")


def check_shape(
    mask_size: tuple[int, int], image_size: tuple[int, int], what: str = "mask", image: str = "the photo"
) -> None:
    """A mask must have its image's aspect ratio (its size, or a scaled copy of it)."""
    (mw, mh), (pw, ph) = mask_size, image_size
    if abs(mw / mh - pw / ph) > _ASPECT_TOLERANCE * (pw / ph):
        raise RegionError(
            f"The {what} is {mw} x {mh} px but {image} is {pw} x {ph} px: a mask must have the same "
            "shape (the same size or a scaled copy of it)."
        )


def open_mask_image(path) -> Image.Image:
    """Read a mask file, with a clear message for anything that is not an image."""
    from ..pictures.images import open_picture  # here: it brings PyTorch, which --help must not wait for

    try:
        # A mask painted at a large photo's full size is as large as the photo, and as harmless.
        with open_picture(path) as image:
            image.load()
            return image.copy()
    except FileNotFoundError:
        raise RegionError(f"{path} does not exist") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise RegionError(f"{path} is not an image that can be read as a mask ({exc})") from None


def _coverage(image: Image.Image) -> np.ndarray:
    """0-1 per pixel from the image's alpha channel (1 where it has none)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        return np.asarray(image.convert("RGBA"), dtype=np.float32)[..., 3] / 255.0
    return np.ones((image.height, image.width), np.float32)


def masks_from_colour_image(image: Image.Image, colours: list[str]) -> list[Image.Image]:
    """Soft masks, one per colour, from a mask painted in region colours on black.

    A pixel on the line between two of the colours (black included) belongs
    to both, in proportion: an antialiased or blurred edge between red and
    black is a soft edge of the red region, one between red and blue a soft
    border between the two. Colours off every such line belong to no listed
    region. Transparency counts as black.

    Raises ``RegionError`` if a listed colour covers no pixel at all, or if
    nothing in the image matches any of them.
    """
    rgbs = [parse_colour(c) for c in colours]
    if len(set(rgbs)) != len(rgbs):
        raise RegionError("two regions have the same colour; give each region its own colour")
    if (0, 0, 0) in rgbs:
        raise RegionError("black means 'no region' in a mask: give the region another colour")
    # A pixel's shares depend on its colour alone, and a painted mask holds few
    # distinct colours (its soft edges add some thousands): unmix each once.
    # Eight colours on a 2048 px mask took twenty seconds pixel by pixel, one now.
    rgba = np.asarray(image.convert("RGB"), dtype=np.uint32)
    alpha8 = np.rint(_coverage(image) * 255).astype(np.uint32)
    packed = (rgba[..., 0] << 24) | (rgba[..., 1] << 16) | (rgba[..., 2] << 8) | alpha8
    distinct, where = np.unique(packed.ravel(), return_inverse=True)
    pixels = np.stack([(distinct >> shift) & 255 for shift in (24, 16, 8)], axis=-1).astype(np.float32)
    alpha = (distinct & 255).astype(np.float32) / 255.0
    anchors = np.array([(0, 0, 0), *rgbs], np.float32)  # index 0 = no region
    weights = _unmix(pixels, anchors)
    weights[:, 1:] *= alpha[:, None]
    if not (pixels.max(1) * alpha).any():
        raise RegionError(
            "The mask is empty: no pixel has a region colour (black and transparent mean 'no region'). "
            f"Paint the regions in {', '.join(colours)}."
        )
    masks = []
    for i, name in enumerate(colours, start=1):
        plane = weights[where.reshape(-1), i].reshape(image.height, image.width)
        if not plane.any():
            raise RegionError(
                f"The mask has no {name} pixels: paint the region in {name} "
                f"({_hex(rgbs[i - 1])}), or map the colour the mask uses."
            )
        masks.append(Image.fromarray(np.rint(plane * 255).astype(np.uint8), "L"))
    return masks


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{v:02x}" for v in rgb)


def _unmix(pixels: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Per pixel, weights over the anchors: the closest point on a segment between two of them."""
    n, k = pixels.shape[0], anchors.shape[0]
    best = np.full(n, np.inf, np.float32)
    out = np.zeros((n, k), np.float32)
    rows = np.arange(n)
    for a in range(k):
        for b in range(a, k):
            edge = anchors[b] - anchors[a]
            length = float(edge @ edge)
            t = np.zeros(n, np.float32) if length == 0 else np.clip((pixels - anchors[a]) @ edge / length, 0, 1)
            dist = np.linalg.norm(pixels - anchors[a] - t[:, None] * edge, axis=1)
            better = dist < best
            best = np.where(better, dist, best)
            idx = rows[better]
            out[idx] = 0
            out[idx, a] = 1 - t[better]
            out[idx, b] += t[better]
    out[best > _UNMAPPED_DISTANCE] = 0
    return out


def colour_image_from_masks(masks: list[Image.Image], colours: list[str]) -> Image.Image:
    """The masks as one RGB picture on black, each in its region's colour (what ``masks_from_colour_image`` reads).

    Where masks overlap, their colours mix in proportion; one mask image keeps
    every region, but an overlap reads back as a border between the two.
    """
    if not masks:
        raise RegionError("there are no regions to export")
    planes = np.stack([np.asarray(m, np.float32) / 255.0 for m in masks])
    total = planes.sum(0)
    planes = planes / np.maximum(total, 1.0)  # overlaps share the pixel
    rgb = np.einsum("khw,kc->hwc", planes, np.array([parse_colour(c) for c in colours], np.float32))
    return Image.fromarray(np.rint(np.clip(rgb, 0, 255)).astype(np.uint8), "RGB")


def mask_from_grey_image(image: Image.Image) -> Image.Image:
    """A single region's mask from a greyscale picture (white = in the region), alpha counting as black."""
    grey = np.asarray(image.convert("L"), np.float32) * _coverage(image)
    return Image.fromarray(np.rint(grey).astype(np.uint8), "L")


def colours_present(image: Image.Image, rgbs, levels: int = 40) -> list[tuple[int, int, int]]:
    """Those of ``rgbs`` that some pixel comes within ``levels`` of on every channel (transparency is black).

    What a mask was painted in, before unmixing says how much of each pixel is whose.
    """
    pixels = np.asarray(image.convert("RGB"), np.float32) * _coverage(image)[..., None]
    return [rgb for rgb in rgbs if bool((np.abs(pixels - np.array(rgb)).max(axis=-1) <= levels).any())]


def is_colour_mask(image: Image.Image) -> bool:
    """True if the picture holds colour (a region-colour mask), False for a greyscale one."""
    rgb = np.asarray(image.convert("RGB"), np.int16)
    return bool(np.abs(rgb[..., 0] - rgb[..., 1]).max() > 8 or np.abs(rgb[..., 1] - rgb[..., 2]).max() > 8)


def fit_mask(mask: Image.Image, photo_size: tuple[int, int]) -> Image.Image:
    """``mask`` at the photo's size (checked for the photo's shape first)."""
    check_shape(mask.size, photo_size)
    return mask if mask.size == tuple(photo_size) else mask.resize(photo_size, Image.Resampling.BILINEAR)
