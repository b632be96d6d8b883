"""The temporal term of video style transfer (Ruder, Dosovitskiy & Brox 2016): stay with the last frame.

The paper adds lambda * (1/D) * sum c (x - w)^2 to the loss, where w is the
last painted frame warped onto this one by optical flow and c is 1 where that
flow can be trusted. Like the other terms (``engine.objective.loss_terms``), ours is a
relative error: the sum is divided by sum c (w - mean w)^2, the warped frame's
own contrast over the trusted pixels, so that 1 means "nothing in common"
whatever the size, and the weight means the same for every clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from PIL import Image

# Weight of the temporal term against alpha = 1, beta = 10, calibrated on a
# camera pan over a photo with a disc crossing it (tests/benchmarks/bench_video.py).
# At 5 the warping error is 1/50-1/75 of painting frames independently, at a
# scorer total within 3 % of theirs over 40 frames; 20 is steadier still
# (1/140), but the total drifts 4 % higher by the 40th frame.
TEMPORAL_WEIGHT = 5.0


@dataclass(frozen=True)
class TemporalTarget:
    """The last painted frame warped onto this one, where the warp is trusted (an "L" mask, 255 = trusted),
    and the term's weight."""

    picture: Image.Image
    trust: Image.Image
    weight: float = TEMPORAL_WEIGHT


class TemporalTerm:
    """weight * sum c (x - w)^2 / sum c (w - mean w)^2 on the canvas, margin included."""

    def __init__(self, warped: torch.Tensor, trust: torch.Tensor, weight: float) -> None:
        self.warped = warped
        self.trust = trust
        self.weight = weight
        with torch.no_grad():
            kept = trust.sum().clamp_min(1.0)
            mean = (warped * trust).sum((-2, -1), keepdim=True) / kept
            energy = (trust * (warped - mean) ** 2).sum()
            # A flat frame (or nothing trusted) has no contrast to measure against: fall back to its pixel count.
            self._inverse = 1.0 / torch.maximum(energy, kept * 1e-3)

    def __call__(self, canvas: torch.Tensor) -> torch.Tensor:
        """The weighted term; its gradient reaches ``canvas``."""
        return self.weight * (self.trust * (canvas - self.warped) ** 2).sum() * self._inverse
