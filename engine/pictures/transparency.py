"""A painting's transparent parts: left out of its style, and filled so that its edge there is no edge."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .images import resize, to_tensor


def painting_tensors(painting: Image.Image, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """A painting at (height, width): its colours as a (1, 3, H, W) tensor in [0, 1], and how opaque each
    pixel is as (1, H, W), or None where all of it is.

    The style statistics leave the transparent parts out by that coverage
    (``engine.objective.guided_gram``): composited onto white, as a photo's
    transparency is, they counted as style and were painted as white blobs.
    Their colours are spread in from the opaque parts around them (pull-push),
    so that the features beside a transparent part see the painting go on
    rather than an edge.
    """
    sized = resize(painting, height, width)  # Pillow resizes RGBA premultiplied: no dark fringe
    if sized.mode != "RGBA" or sized.getextrema()[3][0] == 255:
        return to_tensor(sized), None
    rgba = torch.from_numpy(np.asarray(sized, dtype=np.uint8).copy()).permute(2, 0, 1).unsqueeze(0).float() / 255.0
    colour, alpha = rgba[:, :3], rgba[:, 3:]
    return _pull_push(colour, alpha).clamp_(0.0, 1.0).contiguous(), alpha[0]


def _pull_push(colour: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """``colour`` (1, 3, H, W) where ``alpha`` (1, 1, H, W) is 1, and spread in from there where it is less.

    Each level halves the picture, averaging colours by their alpha (the pull);
    coming back, a pixel keeps its colour as far as it is opaque and takes the
    coarser level's, brought up smoothly, for the rest (the push).
    """
    if bool(alpha.min() >= 1.0) or max(alpha.shape[-2:]) <= 1:
        return colour
    pooled = F.avg_pool2d(torch.cat([colour * alpha, alpha], 1), 2, ceil_mode=True)
    coarse_alpha = pooled[:, 3:]
    coarse = pooled[:, :3] / coarse_alpha.clamp_min(1e-6)
    # One opaque pixel of four is enough for the coarser pixel to count as painted.
    coarse = _pull_push(coarse, (coarse_alpha * 4.0).clamp_(max=1.0))
    up = F.interpolate(coarse, size=colour.shape[-2:], mode="bilinear", align_corners=False)
    return colour * alpha + up * (1.0 - alpha)
