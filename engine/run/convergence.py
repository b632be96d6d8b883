"""Noticing that a scale has stopped paying for its steps (``stop_early``).

This is ours, not the paper's: Gatys et al. run a fixed number of steps. Late
in a scale, L-BFGS still lowers the loss, but by amounts no one can see; the
steps are better spent on the next, finer scale, or not at all. A scale is
done when, over the last ``CHECK_EVERY`` steps, either

- the picture changed by less than ``STILL_LEVELS`` on average, or
- the objective fell by less than its ``min_gain`` share.

The second test is the one that usually ends a scale: L-BFGS keeps shuffling
texture at a level or two per ten steps long after the loss has flattened.
Coarse scales get a looser ``min_gain`` than the last one, since the next
scale repaints their detail anyway (see docs/performance.md for
what each threshold bought).
"""

from __future__ import annotations

import torch

CHECK_EVERY = 10  # steps between looks at the picture
STILL_LEVELS = 1.0  # mean change, in 8-bit levels, over CHECK_EVERY steps that counts as "still"
COARSE_MIN_GAIN = 0.10  # a coarse scale is done once CHECK_EVERY steps lower the loss by less than 10 %
FINAL_MIN_GAIN = 0.03  # the output scale, once they lower it by less than 3 %
MIN_STAGE_STEPS = 20  # never leave a scale before this many steps (or its whole budget, if smaller)


class StillnessCheck:
    """Compares the picture and the loss every ``CHECK_EVERY`` steps of a scale with the last look.

    ``reset()`` whenever the objective changes (new scale, new settings): a
    loss from another objective says nothing about this one's progress.
    """

    def __init__(self) -> None:
        self._last: torch.Tensor | None = None
        self._last_loss: float | None = None
        self._since_reset = 0
        self.last_change: float | None = None  # levels, at the last look
        self.last_gain: float | None = None  # share of the loss, at the last look

    def reset(self) -> None:
        self._last = None
        self._last_loss = None
        self._since_reset = 0
        self.last_change = None
        self.last_gain = None

    def is_still(self, picture: torch.Tensor, loss: float, stage_step: int, stage_steps: int, final: bool) -> bool:
        """True when the scale has stopped paying: see the module's docstring.

        ``stage_step`` counts the steps run in this scale so far (1-based);
        ``final`` says whether it is the output scale.
        """
        self._since_reset += 1
        if stage_step % CHECK_EVERY:
            return False
        picture = picture.detach()
        if self._last is None or self._last.shape != picture.shape or self._since_reset < CHECK_EVERY:
            self._last = picture.clone()
            self._last_loss = loss
            return False
        # One host sync every CHECK_EVERY steps, nothing on the others.
        self.last_change = (picture - self._last).abs().mean().item() * 255.0
        self.last_gain = (self._last_loss - loss) / self._last_loss if self._last_loss > 0 else 0.0
        self._last.copy_(picture)
        self._last_loss = loss
        if stage_step < min(MIN_STAGE_STEPS, stage_steps):
            return False
        min_gain = FINAL_MIN_GAIN if final else COARSE_MIN_GAIN
        return self.last_change < STILL_LEVELS or self.last_gain < min_gain
