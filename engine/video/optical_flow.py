"""Optical flow between frames, warping by it, and where it can be trusted (Ruder, Dosovitskiy & Brox 2016).

Flow is OpenCV's DIS (dense inverse search, Kroeger et al. 2016): it needs no
downloaded weights and takes milliseconds a frame on a CPU, against seconds
for the DeepFlow/EpicFlow the paper used. It is computed on the photo frames,
never on the painted ones, whose strokes do not move with the scene.

Arrays here are NumPy: (H, W, 3) uint8 or float32 pictures, (H, W, 2) float32
flow in pixels, (H, W) float32 masks in 0-1.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# Ruder et al.'s thresholds (section 3.1), in pixels squared.
OCCLUSION_SHARE, OCCLUSION_FLOOR = 0.01, 0.5
BOUNDARY_SHARE, BOUNDARY_FLOOR = 0.01, 0.002
MIN_FLOW_SIDE = 256  # px: smaller frames are enlarged to this for the flow


def _cv2():
    import cv2  # only here: painting a picture never needs OpenCV

    return cv2


def _grey(picture: np.ndarray | Image.Image) -> np.ndarray:
    array = np.asarray(picture.convert("RGB") if isinstance(picture, Image.Image) else picture)
    return _cv2().cvtColor(array, _cv2().COLOR_RGB2GRAY)


def flow(source: np.ndarray | Image.Image, target: np.ndarray | Image.Image) -> np.ndarray:
    """Per pixel of ``source``, where it went in ``target``: target(x + flow(x)) ~ source(x)."""
    cv2 = _cv2()
    first, second = _grey(source), _grey(target)
    height, width = first.shape
    # DIS matches 8 px patches: on a small frame a patch covers much of an
    # object, and the object's motion spreads 10 px around it (at 64 px, over
    # a third of the frame). Small frames are enlarged for the flow, and the
    # flow brought back down.
    scale = max(1.0, MIN_FLOW_SIDE / max(height, width))
    if scale > 1.0:
        size = (round(width * scale), round(height * scale))
        first = cv2.resize(first, size, interpolation=cv2.INTER_CUBIC)
        second = cv2.resize(second, size, interpolation=cv2.INTER_CUBIC)
    # The medium preset: the fast one misses thin fast movers, which then smear.
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    field = dis.calc(first, second, None)
    if scale > 1.0:
        field = cv2.resize(field, (width, height), interpolation=cv2.INTER_AREA) / np.float32(scale)
    return field


def warp(picture: np.ndarray, flow_field: np.ndarray) -> np.ndarray:
    """``picture`` sampled at x + flow(x), bilinearly; outside its edges, the nearest edge pixel."""
    cv2 = _cv2()
    height, width = flow_field.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return cv2.remap(
        picture,
        xs + flow_field[..., 0],
        ys + flow_field[..., 1],
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def reliable(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Where the backward flow (this frame to the last) can be trusted: 1, else 0.

    Ruder et al.'s forward-backward check: following the backward flow and
    then the forward flow must come back to the start, or the pixel was
    hidden in the last frame (disoccluded). Motion boundaries, where the flow's
    gradient is large against its size, are not trusted either, nor pixels
    whose flow leaves the frame.
    """
    height, width = backward.shape[:2]
    there = warp(forward, backward)  # the forward flow where each pixel came from
    round_trip = backward + there
    size = (backward**2).sum(-1) + (there**2).sum(-1)
    occluded = (round_trip**2).sum(-1) > OCCLUSION_SHARE * size + OCCLUSION_FLOOR
    du_y, du_x = np.gradient(backward[..., 0])
    dv_y, dv_x = np.gradient(backward[..., 1])
    gradient = du_x**2 + du_y**2 + dv_x**2 + dv_y**2
    boundary = gradient > BOUNDARY_SHARE * (backward**2).sum(-1) + BOUNDARY_FLOOR
    ys, xs = np.mgrid[0:height, 0:width]
    x_from, y_from = xs + backward[..., 0], ys + backward[..., 1]
    outside = (x_from < 0) | (x_from > width - 1) | (y_from < 0) | (y_from > height - 1)
    return (~(occluded | boundary | outside)).astype(np.float32)


def start_picture(warped: np.ndarray, photo: np.ndarray, trust: np.ndarray) -> np.ndarray:
    """Where a frame's painting starts: the last painted frame warped onto it where the flow is trusted, and
    the photo frame everywhere else, one pixel further out.

    Untrusted pixels are mostly ones the last frame hid. The warp fills them
    with whatever paint the flow dragged there, which 40 steps do not undo:
    in a user's trial a pale disc crossing a flat blue sky left a pale trail
    the length of its path. The temporal term leaves these pixels free, and
    from the photo they are painted afresh, as the paper means them to be
    (it starts from the warped frame everywhere).
    """
    cv2 = _cv2()
    fresh = cv2.dilate((trust < 0.5).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return np.where(fresh[..., None], photo, warped)


def frame_motion(previous: Image.Image, current: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """The backward flow from ``current`` to ``previous`` (two photo frames of one size), and where it is reliable."""
    backward = flow(current, previous)
    forward = flow(previous, current)
    return backward, reliable(backward, forward)


def warping_error(
    painted_previous: Image.Image,
    painted_current: Image.Image,
    photo_previous: Image.Image,
    photo_current: Image.Image,
) -> float:
    """Mean squared difference (0-1 pixel values, over channels) between a painted frame and the last one warped
    onto it, on the pixels the photo frames' flow can be trusted at.

    The measure of temporal consistency in Ruder et al. and later work (Lai et al.
    2018 among them): zero when the painting moves exactly with the scene.
    """
    backward, trust = frame_motion(photo_previous, photo_current)
    warped = warp(np.asarray(painted_previous, dtype=np.float32) / 255.0, backward)
    current = np.asarray(painted_current, dtype=np.float32) / 255.0
    squared = ((current - warped) ** 2).mean(-1)
    kept = trust > 0
    return float(squared[kept].mean()) if kept.any() else 0.0
