"""Noticing that the picture has stopped changing visibly (``stop_early``).

This is ours, not the paper's: Gatys et al. run a fixed number of steps. Late
in a scale, L-BFGS still lowers the loss, but by amounts no one can see; the
steps are better spent on the next, finer scale, or not at all.
"""

from __future__ import annotations

import torch

CHECK_EVERY = 10  # steps between looks at the picture
STILL_LEVELS = 1.0  # mean change, in 8-bit levels, over CHECK_EVERY steps that counts as "still"
MIN_STAGE_FRACTION = 0.3  # never leave a scale before this share of its planned steps


class StillnessCheck:
    """Compares the picture every ``CHECK_EVERY`` steps of a scale with the last look."""

    def __init__(self) -> None:
        self._last: torch.Tensor | None = None
        self.last_change: float | None = None  # levels, at the last look

    def reset(self) -> None:
        self._last = None
        self.last_change = None

    def is_still(self, picture: torch.Tensor, stage_step: int, stage_steps: int) -> bool:
        """True when ``picture`` changed less than ``STILL_LEVELS`` since the last look.

        ``stage_step`` counts the steps run in this scale so far (1-based).
        """
        if stage_step % CHECK_EVERY:
            return False
        picture = picture.detach()
        if self._last is None or self._last.shape != picture.shape:
            self._last = picture.clone()
            return False
        # One host sync every CHECK_EVERY steps, nothing on the others.
        self.last_change = (picture - self._last).abs().mean().item() * 255.0
        self._last.copy_(picture)
        return self.last_change < STILL_LEVELS and stage_step >= MIN_STAGE_FRACTION * stage_steps
