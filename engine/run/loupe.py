"""The loupe: a texture change shown at full resolution where the artist looks, within about a second.

Not in the paper, nor in any of our anchors. A change of texture (beta, a
layer's weight, the stroke scale, a blend or region weight) is mostly
fine-scale: a smaller preview of the whole picture shows at most 5-25 % of it
(``live_preview``), and at full size it needs several steps of 1.7-2.4 s on a
CPU without bfloat16. Image editors meet the same problem in their filter
dialogs: GIMP and Photoshop preview a small area at 100 % while the whole
image waits. Style is a texture, so a square of the picture at full
resolution shows the change truly, at a fraction of the cost.

- The square (its side from this machine's measured pace, so that a step
  takes about ``LOUPE_STEP_SECONDS``) is re-optimised with the new settings,
  starting from the current picture's pixels there, with ``CONTEXT`` pixels
  around it optimised but not shown: the network's receptive fields reach
  past the square, and without them its border would show the zero padding's
  frame (as ``canvas_margin`` explains for the whole picture).
- The style targets are the whole scale's (the painting at the plan's size),
  so strokes have the size they will have in the finished picture; the crop's
  own Gram matrices are matched to them. This differs from the full-size
  objective, whose Grams average over the whole picture: a square of sky is
  pushed to hold all of the painting's statistics. Over a few steps that
  shows the change of texture faithfully; the loupe never runs long.
- The full-size run waits while the loupe steps (both cores go to it), and
  goes on once the artist has let go. The loupe is a preview only: the
  full-size picture never takes its pixels, so the finished picture cannot
  show its border. Its square stays on screen until the full-size picture
  has caught up with it there, by the new settings' own objective.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch

from .progress import LoupeFrame
from .scale_state import ScaleState, crop

LOUPE_STEP_SECONDS = 0.3  # about three steps a second: a visible change within a second
MIN_LOUPE = 128  # the smallest square shown
MAX_LOUPE = 384  # larger squares cost more than they show
CONTEXT = 24  # pixels optimised around the square and not shown
SLOW_STEP_SECONDS = 0.5  # full-size steps slower than this make a texture change wait: the loupe shows it
SETTLE_SECONDS = 1.0  # no change for this long: the artist has let go
MIN_LOUPE_STEPS = 4  # a change is shown for at least this many loupe steps before the full size goes on
# After the artist lets go, the loupe goes on while its square still gains: a deep layer's weight needs more
# steps than beta to show (at 512 px with bfloat16, conv4_1 0.4 -> 2 reached half of the full size's minute
# in the square only after the full size took over when the loupe let go after four steps). It stops once two
# steps gain less than STALL of its loss, or after MAX_LOUPE_STEPS.
MAX_LOUPE_STEPS = 16
STALL = 0.02
HOLD_FULL_STEPS = 12  # at most this many full-size steps show the loupe's square over the picture


def painting_sample(painting: torch.Tensor, pixels: int) -> torch.Tensor:
    """A painting (..., H, W) cut down to about ``pixels``: a 2 x 2 collage of crops from the middle of its four
    quarters; the painting itself where it is no larger.

    For a loupe whose change needs the paintings' statistics anew (the stroke scale, a region's painting):
    taking them over the whole painting at its new size is one pass of the network over it, 2.0 s of a 2.6 s
    wait at 512 px with stroke scale 1.5 on an AVX2 CPU. Capped at the picture's own pixels, it costs at most
    a third of a full-size step. This deviates from the full-size objective: the loupe matches statistics of a
    sample of the painting (one crop from each quarter, so that no side of it is left out). Measured on Starry
    Night and The Great Wave at 768 px, a collage of 4/9 of the painting's area gives Gram matrices 0.3-4 %
    off (relative squared error) at conv1_1-conv4_1 and 22-25 % at conv5_1, whose features see most of a
    crop; the loupe is a preview, and the full size goes on with the whole painting.
    """
    height, width = painting.shape[-2:]
    if height * width <= pixels:
        return painting
    share = math.sqrt(pixels / (height * width))
    crop_h, crop_w = max(1, int(height * share / 2)), max(1, int(width * share / 2))  # never over ``pixels``
    rows = []
    for centre_y in (height // 4, 3 * height // 4):
        top = min(max(0, centre_y - crop_h // 2), height - crop_h)
        row = []
        for centre_x in (width // 4, 3 * width // 4):
            left = min(max(0, centre_x - crop_w // 2), width - crop_w)
            row.append(painting[..., top : top + crop_h, left : left + crop_w])
        rows.append(torch.cat(row, -1))
    return torch.cat(rows, -2)


def loupe_side(step_seconds: float, canvas: tuple[int, int]) -> int | None:
    """The square's side (context excluded) for a step of about ``LOUPE_STEP_SECONDS``; None if no loupe fits.

    A step's cost goes with the pixel count: the full canvas's step time says
    what a pixel costs on this machine, at this scale, now. Where a full-size
    step is quick (``SLOW_STEP_SECONDS``), the full size shows a change as soon.
    """
    if step_seconds <= SLOW_STEP_SECONDS:
        return None
    pixels = canvas[0] * canvas[1] * LOUPE_STEP_SECONDS / step_seconds
    side = min(MAX_LOUPE, math.floor(math.sqrt(pixels)) - 2 * CONTEXT)
    side = max(MIN_LOUPE, side)
    if side + 2 * CONTEXT > min(canvas):
        return None  # the picture is about as small as the loupe: full-size steps show it as soon
    return side


def place(centre: tuple[float, float], side: int, canvas: tuple[int, int], margin: int) -> tuple[int, int]:
    """The square's top-left corner in the canvas (margin included), centred on ``centre`` (0-1 of the picture)
    and moved inward where its context would leave the canvas."""
    height, width = canvas
    inner_h, inner_w = height - 2 * margin, width - 2 * margin
    top = margin + round(centre[1] * inner_h - side / 2)
    left = margin + round(centre[0] * inner_w - side / 2)
    top = min(max(top, CONTEXT), height - CONTEXT - side)
    left = min(max(left, CONTEXT), width - CONTEXT - side)
    return top, left


@dataclass
class LoupeState:
    """The engine's loupe: its square, its own scale (the crop with its context), and since when nothing changed."""

    top: int  # of the square, in the full scale's canvas (margin included)
    left: int
    side: int
    scale: ScaleState | None = None  # built on the first step
    last_change: float = field(default_factory=time.monotonic)
    steps_since_change: int = 0
    live: bool = True  # stepping; False once the full size goes on and the square waits for it
    full_steps: int = 0  # full-size steps since the loupe let go
    energy: float | None = None  # the new settings' objective on the loupe's square, when it let go
    losses: list[float] = field(default_factory=list)  # the loupe's own loss since the last change

    def changed(self) -> None:
        self.last_change = time.monotonic()
        self.steps_since_change = 0
        self.losses.clear()

    def stepped(self, loss: float) -> None:
        self.steps_since_change += 1
        self.losses.append(loss)

    def settled(self) -> bool:
        """True once the artist has let go and the square has stopped gaining (or had its share of steps)."""
        if self.steps_since_change < MIN_LOUPE_STEPS or time.monotonic() - self.last_change < SETTLE_SECONDS:
            return False
        if self.steps_since_change >= MAX_LOUPE_STEPS or len(self.losses) < 3:
            return True
        before, now = self.losses[-3], self.losses[-1]
        return before - now < STALL * abs(before)

    def crop_box(self) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) of the square with its context, in the full scale's canvas."""
        return self.top - CONTEXT, self.left - CONTEXT, self.top + self.side + CONTEXT, self.left + self.side + CONTEXT

    def frame(self, margin: int) -> LoupeFrame:
        return LoupeFrame(self.left - margin, self.top - margin, self.side, self.steps_since_change, self.live)

    def shown(self, full_rgb: torch.Tensor, margin: int) -> torch.Tensor:
        """The full-size picture (visible part, RGB) with the loupe's square in place."""
        out = full_rgb.clone()
        top, left = self.top - margin, self.left - margin
        out[..., top : top + self.side, left : left + self.side] = self.scale.visible_rgb()
        return out

    # -- stepping, for the engine ---------------------------------------------------------

    def bring_up_to(self, builder, inputs, plan, full: ScaleState) -> None:
        """Build the loupe's scale, or bring it up to the settings of ``plan`` (the whole scale's plan)."""
        box = self.crop_box()
        built = self.scale.keys if self.scale is not None else None
        if built is None or plan.keys.targets != built.targets:
            self.scale = builder.build_loupe(inputs, plan, full, box, CONTEXT)
        elif plan.keys.styles != built.styles:
            builder.restyle(inputs, plan, self.scale, photo=crop(full.content_rgb, full.margin), box=box)
        elif plan.keys.weights != built.weights:
            builder.reweigh(inputs, plan, self.scale, box)
        else:
            return
        self.changed()

    def square_energy(self, full: ScaleState | None = None) -> float:
        """The new settings' objective on the square and its context: of the loupe's picture, or of ``full``'s."""
        scale = self.scale
        with torch.no_grad():
            # What the network judges: the pictures as painted, before a hold blends them with the photo.
            if full is None:
                canvas = scale.picture.detach()
            else:
                top, left, bottom, right = self.crop_box()
                rgb = full.view.to_rgb(full.picture.detach())[..., top:bottom, left:right]
                canvas = scale.view.to_canvas(rgb)
            return float(scale.objective(scale.view.to_network(canvas))[1][3])

    def let_go(self) -> None:
        """The artist has let go: the full size goes on, and the square waits on screen for it."""
        self.live = False
        self.energy = self.square_energy()

    def caught_up(self, full: ScaleState) -> bool:
        """After a full-size step: whether the full-size picture is now as far as the loupe's square was."""
        self.full_steps += 1
        return self.full_steps >= HOLD_FULL_STEPS or self.square_energy(full) <= self.energy
