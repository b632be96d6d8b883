"""Keep faces: the faces in a photo found, and each made a soft region with less style.

At the default beta a portrait's face takes the painting's forms. A face
region lowers the style's strength there (``RegionSetting.strength``, which
multiplies beta inside the region), so the content term keeps the face's
features while the rest of the picture is painted as before; the region is an
ordinary one, which the artist sees and can repaint, erase or re-weigh.

The detector is dlib's HOG frontal-face detector (Dalal and Triggs' histograms
of oriented gradients with a linear SVM, as dlib trains it). It ships inside
the ``dlib-bin`` wheel's code, about 4 MB: no model file, nothing downloaded,
no network at any time. A CNN detector finds more faces (turned, small), but
its model is 100 MB and would be a download; we keep the CNN for judging the
results in ``tests/benchmarks/bench_keep_faces.py``, never for placing regions.

Nothing here imports dlib until a face is looked for, so that a missing
``dlib-bin`` costs the rest of Brushwork nothing and is said in words.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..errors import BrushworkError
from ..settings.regions import MAX_REGIONS, PALETTE, RegionSetting

# The style's strength on a face (times beta): the share of the picture's
# style gradient a face's pixels take (engine.objective.guided_gram, on faces).
# Chosen by eye (docs/regions.md#keep-faces: three portraits after The Starry
# Night at 0, 0.05, 0.15 and 0.3). At 0.05 the face keeps its skin, features
# and expression and shows the brushwork that reaches it from around, so it
# belongs to the picture; at 0.3 the painting's blue-grey comes back over the
# skin and the eyes begin to bend. Even at 0 a face takes some texture, from
# its feathered edge and the deep layers' reach. dlib's CNN found every face
# at each of these strengths, and none without Keep faces.
KEEP_FACES_STRENGTH = 0.05
# Faces are looked for on the photo brought to this long side. The HOG
# detector's window is 80 px, so it finds faces from 80/DETECT_SIDE of the
# photo's long side up (about 1/13 here: a footballer's face in a 548 px action
# photo was found at 1024, not at 800). A smaller face is lost in the
# painting's texture with or without a region, and a larger working size costs
# more than it finds (docs/regions.md#keep-faces has the seconds).
DETECT_SIDE = 1024
# dlib's own threshold is 0. The faces in our portraits scored 0.9 to 2.3;
# what scored below 0.15 was a badge or a fold of a space suit.
SCORE_THRESHOLD = 0.3
# The ellipse around a face, in units of the detector's box (square, from
# the eyebrows to the chin): wider than the box for the cheeks and ears, and
# raised, since the box leaves out the forehead. Full strength inside it,
# fading to none at FEATHER times its size, so the face's edge shows no seam.
ELLIPSE_WIDTH = 1.25
ELLIPSE_HEIGHT = 1.6
ELLIPSE_RAISE = 0.15
FEATHER = 1.35

_lock = threading.Lock()  # one detection at a time: dlib's detector is not documented as thread-safe
_detector = None


class FaceDetectorMissing(BrushworkError):
    """Keep faces needs dlib, and it is not installed."""


def detector_problem() -> str | None:
    """Why faces cannot be looked for here (dlib is missing), or None when they can. Imports nothing."""
    if importlib.util.find_spec("dlib") is None:
        return "Keep faces needs the dlib-bin package, which is not installed: pip install dlib-bin"
    return None


@dataclass(frozen=True)
class FaceBox:
    """A face the detector found, in the photo's pixels, with its detection score."""

    left: float
    top: float
    right: float
    bottom: float
    score: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def scaled(self, sx: float, sy: float) -> FaceBox:
        return FaceBox(self.left * sx, self.top * sy, self.right * sx, self.bottom * sy, self.score)


def _frontal_detector():
    global _detector
    if _detector is None:
        problem = detector_problem()
        if problem is not None:
            raise FaceDetectorMissing(problem)
        try:
            import dlib
        except ImportError as exc:  # found but broken (a wheel for another Python)
            raise FaceDetectorMissing(f"Keep faces needs dlib, which could not be loaded: {exc}") from None
        _detector = dlib.get_frontal_face_detector()
    return _detector


def find_faces(photo: Image.Image) -> tuple[FaceBox, ...]:
    """The faces in ``photo``, largest first, in its pixels. Takes a fraction of a second; call it off the GUI
    thread. ``FaceDetectorMissing`` without dlib."""
    scale = DETECT_SIDE / max(photo.size)
    size = (max(1, round(photo.width * scale)), max(1, round(photo.height * scale)))
    rgb = photo.convert("RGB")
    # Always brought to one working size: the smallest face found is then the same share of any photo, and the
    # cost the same for a 12 MP photo as for a small one (no upsampling pyramid: it would quadruple the cost).
    work = np.asarray(rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0))
    with _lock:
        detector = _frontal_detector()
        rects, scores, _kinds = detector.run(work, 0, SCORE_THRESHOLD)
    sx, sy = photo.width / size[0], photo.height / size[1]
    boxes = [
        FaceBox(r.left(), r.top(), r.right() + 1, r.bottom() + 1, float(s)).scaled(sx, sy)
        for r, s in zip(rects, scores, strict=True)
    ]
    return tuple(sorted(boxes, key=lambda b: -b.width * b.height))


def face_mask(box: FaceBox, photo_size: tuple[int, int], mask_size: tuple[int, int]) -> Image.Image:
    """The soft region for one face: an 'L' mask of ``mask_size`` (the photo's shape), a feathered ellipse."""
    width, height = mask_size
    sx, sy = width / photo_size[0], height / photo_size[1]
    face = box.scaled(sx, sy)
    cx = (face.left + face.right) / 2
    cy = (face.top + face.bottom) / 2 - ELLIPSE_RAISE * face.height
    rx, ry = ELLIPSE_WIDTH * face.width / 2, ELLIPSE_HEIGHT * face.height / 2
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    r = np.sqrt(((x - cx) / max(rx, 1e-3)) ** 2 + ((y - cy) / max(ry, 1e-3)) ** 2)
    fade = np.clip((FEATHER - r) / (FEATHER - 1.0), 0.0, 1.0)
    fade = fade * fade * (3 - 2 * fade)  # smoothstep: no kink where the fade starts or ends
    return Image.fromarray(np.rint(fade * 255).astype(np.uint8), "L")


@dataclass(frozen=True)
class FaceRegions:
    """The regions Keep faces adds for one photo: settings and masks in the same order, and how many faces
    found had no room (a picture has at most ``MAX_REGIONS`` regions)."""

    regions: tuple[RegionSetting, ...] = ()
    masks: tuple[Image.Image, ...] = ()
    left_out: int = 0


def face_regions(
    boxes: tuple[FaceBox, ...],
    photo_size: tuple[int, int],
    mask_size: tuple[int, int],
    strength: float = KEEP_FACES_STRENGTH,
    taken: tuple[RegionSetting, ...] = (),
    photo_only: bool = False,
) -> FaceRegions:
    """One region per face ("Face 1", ...), in the palette's free colours, beside the regions ``taken``.

    Each takes the picture's own style at ``strength``; with ``photo_only``
    (the picture outside its regions is the photo) it stays the photo, since
    a face there was never painted. The largest faces come first when there
    are more faces than free regions.
    """
    used = {region.rgb for region in taken}
    free = [name for name, rgb in PALETTE.items() if rgb not in used][: max(0, MAX_REGIONS - len(taken))]
    kept = boxes[: len(free)]
    regions = tuple(
        RegionSetting(colour=colour, name=f"Face {i}", strength=strength, photo_only=photo_only, face=True)
        for i, colour in enumerate(free[: len(kept)], start=1)
    )
    masks = tuple(face_mask(box, photo_size, mask_size) for box in kept)
    return FaceRegions(regions, masks, len(boxes) - len(kept))


def check_strength(value: float) -> float:
    """A face's strength must be 0-1: more than the rest of the picture would not keep it."""
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise BrushworkError(
            f"a face's style strength is from 0 (the photo's face) to 1 (as the rest of the picture), not {value:g}"
        )
    return float(value)
