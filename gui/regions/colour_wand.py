"""The wand's "similar colour": a perceptual distance, stopped at the photo's outlines, in numpy alone.

The wand once compared R, G and B each on its own, within ``tolerance``
levels of the clicked pixel. On scikit-image's coffee photo no tolerance took
the cup: 32 took a sliver of it (its shading moves R by a hundred levels), 55
ran into the wooden table (a few tens of levels from the saucer's red in every
channel), 90 took nearly everything. After the wands of Photoshop and GIMP,
with two differences:

- Colours are compared by their distance in CIELAB, from the mean of the 3 x 3
  pixels around the click (Photoshop's "3 by 3 average"), so that one grainy
  pixel does not decide. Lightness counts half (``LIGHTNESS_WEIGHT``, the
  l:c = 2:1 of the CMC and textile colour differences): light and shadow on
  one surface change its lightness far more than its hue. The tolerance keeps
  its 0-255 scale, ``LAB_PER_LEVEL`` delta E a level (255: black to white).
- The selection grows only through pixels where the photo's colour changes
  slowly (``outline_limit``; measured on the photo slightly blurred, so that
  grain and JPEG noise are no outline), then ``EDGE_REACH`` pixels further
  through similar colours, which takes the outline itself. Shading is
  crossed, an object's outline is not, however near the colour beyond it.

On the coffee photo (600 x 400 px), from 20 to 120, clicks on the cup or the
saucer take none of the table, and clicks on the table at most a few hundred
pixels of the saucer's rim (the old wand ran across from 55 or 60); a click on
the cup takes about two thirds of the cup and saucer's red at 75.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .flood_fill import connected_area

LAB_PER_LEVEL = 100.0 / 255.0  # delta E per level of tolerance: L* runs 0-100 from black to white
LIGHTNESS_WEIGHT = 0.5
EDGE_FLOOR = 4.0  # delta E per pixel: a faster change of colour is an outline at any tolerance up to ...
EDGE_SHARE = 0.1  # ... the one where a tenth of it is more (about 100: a wide tolerance crosses softer outlines)
EDGE_REACH = 3  # pixels past where growing stopped that similar colours still join: the outline's own
SAMPLE_RADIUS = 1  # the clicked colour is the mean of (2 r + 1)^2 pixels around the click
_BLUR_SIGMA = 1.0  # pixels: what outlines are measured on, so that grain is no outline
# sRGB (D65) to CIE XYZ, and the D65 white that XYZ is divided by.
_RGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]], np.float32
)
_WHITE = np.array([0.95047, 1.0, 1.08883], np.float32)


def lab(rgb: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 sRGB array as float32 CIELAB (L* 0-100)."""
    levels = np.arange(256, dtype=np.float32) / 255.0
    linear = np.where(levels <= 0.04045, levels / 12.92, ((levels + 0.055) / 1.055) ** 2.4).astype(np.float32)
    pixels = linear[rgb.reshape(-1, 3)]  # a look-up, not a power per pixel
    f = pixels @ (_RGB_TO_XYZ / _WHITE[:, None]).T  # XYZ over the white
    dark = f <= (6.0 / 29.0) ** 3
    near_black = f[dark] * (841.0 / 108.0) + 4.0 / 29.0  # CIELAB's straight segment near black
    np.cbrt(f, out=f)
    f[dark] = near_black
    out = np.empty_like(f)
    out[:, 0] = 116.0 * f[:, 1] - 16.0
    out[:, 1] = 500.0 * (f[:, 0] - f[:, 1])
    out[:, 2] = 200.0 * (f[:, 1] - f[:, 2])
    return out.reshape(rgb.shape)


def outline_limit(tolerance: float) -> float:
    """How fast (delta E per pixel) the colour may change where the selection grows, at ``tolerance`` (0-255)."""
    return max(EDGE_FLOOR, EDGE_SHARE * tolerance * LAB_PER_LEVEL)


@dataclass(frozen=True, eq=False)
class WandPhoto:
    """A photo as the wand reads it: its colours (lightness weighted) and how fast they change per pixel.

    Made once per photo on another thread (about half a second at 2048 px), then only read.
    """

    colours: np.ndarray  # (H, W, 3): CIELAB, L* times LIGHTNESS_WEIGHT
    outlines: np.ndarray  # (H, W): delta E per pixel on the photo slightly blurred

    @classmethod
    def of(cls, rgb: np.ndarray) -> WandPhoto:
        """``rgb``: the photo at the masks' size, (H, W, 3) uint8."""
        colours = lab(rgb)
        outlines = _change_per_pixel(_blur(colours, _BLUR_SIGMA))
        colours[..., 0] *= LIGHTNESS_WEIGHT
        return cls(colours, outlines)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.colours.shape[1], self.colours.shape[0]

    def similar(self, x: int, y: int, tolerance: float, contiguous: bool = True) -> np.ndarray:
        """The pixels whose colour is within ``tolerance`` (0-255) of the one at (x, y), as a bool array.

        ``contiguous``: only those connected to the click without crossing an outline.
        """
        r = SAMPLE_RADIUS
        sample = self.colours[max(y - r, 0) : y + r + 1, max(x - r, 0) : x + r + 1].reshape(-1, 3).mean(0)
        limit = tolerance * LAB_PER_LEVEL
        difference = self.colours - sample
        near = np.einsum("hwc,hwc->hw", difference, difference) <= limit * limit
        near[y, x] = True  # the clicked pixel is always taken, even where the mean around it is not its colour
        if not contiguous:
            return near
        inside = near & (self.outlines <= outline_limit(tolerance))
        # A click on an outline (a thin line, a highlight) grows from the similar pixels just around it.
        top, left, reach = max(y - EDGE_REACH, 0), max(x - EDGE_REACH, 0), EDGE_REACH + 1
        inside[top : y + reach, left : x + reach] |= near[top : y + reach, left : x + reach]
        area = connected_area(inside, x, y)
        for _ in range(EDGE_REACH):
            area = _grown(area) & near
        return area


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A separable Gaussian blur of an (H, W, C) float32 array, edges repeated."""
    radius = max(1, round(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2).astype(np.float32)
    taps /= taps.sum()
    height, width = image.shape[:2]
    rows = np.pad(image, ((radius, radius), (0, 0), (0, 0)), mode="edge")
    down = taps[0] * rows[:height]
    for i, w in enumerate(taps[1:], start=1):
        down += w * rows[i : i + height]
    columns = np.pad(down, ((0, 0), (radius, radius), (0, 0)), mode="edge")
    out = taps[0] * columns[:, :width]
    for i, w in enumerate(taps[1:], start=1):
        out += w * columns[:, i : i + width]
    return out


def _change_per_pixel(colours: np.ndarray) -> np.ndarray:
    """How fast the colour changes at each pixel: delta E per pixel, by central differences."""
    padded = np.pad(colours, ((1, 1), (1, 1), (0, 0)), mode="edge")
    across = padded[1:-1, 2:] - padded[1:-1, :-2]
    down = padded[2:, 1:-1] - padded[:-2, 1:-1]
    square = np.einsum("hwc,hwc->hw", across, across) + np.einsum("hwc,hwc->hw", down, down)
    return np.sqrt(square, out=square) * 0.5


def _grown(area: np.ndarray) -> np.ndarray:
    """``area`` and its 4-neighbours."""
    out = area.copy()
    out[1:] |= area[:-1]
    out[:-1] |= area[1:]
    out[:, 1:] |= area[:, :-1]
    out[:, :-1] |= area[:, 1:]
    return out
