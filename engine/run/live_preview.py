"""Progressive refinement: show a slider's effect within about a second, at any output size.

Not in the paper, nor in any of our anchors, which run as batch jobs. At 512 px
on a CPU without bfloat16 a step takes about 2.4 s, and a new beta shows only
after several of them. 3D renderers solve the same problem in their
viewports: while the user moves something, they render at a low resolution
where a frame is cheap, and refine once the user lets go. We do the same:

- When a setting that changes the look arrives (weights, stroke scale,
  colours, style images) and a step at the current scale is slower than
  ``LIVE_STEP_SECONDS`` (for anything but the colours, slower than a preview
  lasts: ``TEXTURE_PREVIEW_SECONDS``), the engine works at a *preview side*
  where a step costs about that much, starting from the current picture
  brought down.
- What is shown is the full-size picture plus the preview's change brought up
  (``composite``): the coarse change comes through at once, and the detail
  painted so far stays, so the picture does not go blurry while it updates.
- For a change of colours, the full-size step in flight is given up
  (engine.network.step_abandon): waiting for it cost half a step on average, 0.8-1.2 s
  at 512 px, before the preview could begin. A change of texture lets it
  finish: that step still carries part of such a change (see
  ``StyleTransfer._superseded``).
- Once no setting has changed for ``SETTLE_SECONDS`` (the artist has let go),
  the composite becomes the full-size picture and the plan carries on at its
  own scale, which adds back the detail of the new settings.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

LIVE_STEP_SECONDS = 0.25  # about eight steps, plenty for a visible change, in two seconds
SETTLE_SECONDS = 1.0  # no change for this long: the artist has let go of the slider
MIN_PREVIEW_STEPS = 6  # a change is shown for at least this many preview steps before climbing back
MIN_PREVIEW_SIDE = 96  # below this the preview shows too little to judge a setting by
WORTHWHILE = 0.75  # a preview side above this share of the scale's side saves too little to bother
# A preview of a texture change (weights, stroke scale, layers, style images)
# pays only where a full-size step is slower than the preview lasts. Its coarse
# part is a small share of such a change: at 512 px, the best a 263 px preview
# could show, one that knew where the next minute's optimisation ends, is
# 17-24 % of that minute's drop for the weights (bench_slider_latency.py), and
# what the preview was worth came to about one full-size step. Where steps are
# fast (0.95 s at 512 px with bfloat16) its 1.5 s only delayed the full-size
# steps: half of a layer weight's or the stroke scale's change came 0.7-1.0 s
# later than without it. A change of colours, a change of large areas, the
# preview carries almost whole: it is previewed on any slow scale.
TEXTURE_PREVIEW_SECONDS = MIN_PREVIEW_STEPS * LIVE_STEP_SECONDS


def preview_side(side: int, step_seconds: float | None, colours_only: bool = False) -> int | None:
    """The long side at which a step takes about ``LIVE_STEP_SECONDS``, or None if ``side`` is fast enough.

    A step's cost grows with the pixel count, so with the square of the side.
    A change of colours alone is previewed on any slow scale. Any other change
    is previewed only where a full-size step takes longer than a preview lasts
    (``TEXTURE_PREVIEW_SECONDS``), see there.
    """
    slow = LIVE_STEP_SECONDS if colours_only else TEXTURE_PREVIEW_SECONDS
    if step_seconds is None or step_seconds <= slow:
        return None
    target = max(MIN_PREVIEW_SIDE, round(side * math.sqrt(LIVE_STEP_SECONDS / step_seconds)))
    return target if target <= WORTHWHILE * side else None


def resample(picture: torch.Tensor, dims: tuple[int, int]) -> torch.Tensor:
    """``picture`` (N, C, H, W) at ``dims``: antialiased going down, bicubic going up."""
    if tuple(picture.shape[-2:]) == tuple(dims):
        return picture
    shrinking = dims[0] < picture.shape[-2]
    return F.interpolate(picture, size=dims, mode="bicubic", align_corners=False, antialias=shrinking)


def composite(full: torch.Tensor, low_now: torch.Tensor, low_start: torch.Tensor) -> torch.Tensor:
    """The full-size picture with the preview's change since it started, brought up to full size."""
    change = resample(low_now - low_start, tuple(full.shape[-2:]))
    return (full + change).clamp_(0.0, 1.0)


@dataclass
class Pace:
    """Seconds per step at one side, smoothed: what decides whether a change needs a preview."""

    side: int = 0
    seconds: float | None = None

    def record(self, side: int, seconds: float) -> None:
        if side != self.side:
            # A scale's first step builds its targets (and, in a run's first,
            # loads the weights): it says nothing about the steps after it.
            self.side, self.seconds = side, None
        elif self.seconds is None:
            self.seconds = seconds
        else:
            self.seconds += 0.3 * (seconds - self.seconds)


@dataclass
class PreviewState:
    """The engine's preview: at which side, from which full-size picture, and since when nothing changed."""

    side: int
    full_rgb: torch.Tensor  # the full-size picture (visible part, RGB) when the preview began
    low_start: torch.Tensor  # the same brought down to the preview's side
    last_change: float = field(default_factory=time.monotonic)
    steps_since_change: int = 0

    def changed(self) -> None:
        self.last_change = time.monotonic()
        self.steps_since_change = 0

    def settled(self) -> bool:
        """True once the artist has let go and the last change has been shown for a few steps."""
        return self.steps_since_change >= MIN_PREVIEW_STEPS and time.monotonic() - self.last_change >= SETTLE_SECONDS

    def shown(self, low_now: torch.Tensor) -> torch.Tensor:
        """What the artist sees: the full-size picture carrying the preview's change."""
        return composite(self.full_rgb, low_now, self.low_start)
