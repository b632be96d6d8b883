"""Noticing that a scale has stopped paying for its steps (``stop_early``).

This is ours, not the paper's: Gatys et al. run a fixed number of steps. Late
in a scale, L-BFGS still lowers the loss, but by amounts no one can see; the
steps are better spent on the next, finer scale, or not at all. A scale is
done when either

- the picture changed by less than ``STILL_LEVELS`` on average over the last
  ``CHECK_EVERY`` steps, or
- the objective fell by less than its ``min_gain`` share over the last
  ``GAIN_WINDOW`` steps.

The second test is the one that usually ends a scale: L-BFGS keeps shuffling
texture at a level or two per ten steps long after the loss has flattened.
Coarse scales get a looser ``min_gain`` than the last one, since the next
scale repaints their detail anyway (see docs/performance.md for
what each threshold bought).
"""

from __future__ import annotations

import torch

CHECK_EVERY = 10  # steps between looks at the picture, and the span its change is measured over
# The loss's gain is measured over GAIN_WINDOW steps and looked at every LOOK_EVERY steps. Ten over ten ran
# a scale on for about ten steps after it had stopped paying (half the window, plus half the time between
# looks): at the output scale of a default 256 px run on an AVX2 CPU, 5 s of 40. Six over two, with the
# thresholds scaled to the window (the same fall per step), did 11.5 % less work in the default run at
# 256 px on four pairs, their scorer totals within 0.4 % (docs/performance.md).
GAIN_WINDOW = 6
LOOK_EVERY = 2
STILL_LEVELS = 1.0  # mean change, in 8-bit levels, over CHECK_EVERY steps that counts as "still"
COARSE_MIN_GAIN = 0.06  # a coarse scale is done once GAIN_WINDOW steps lower the loss by less than 6 %
FINAL_MIN_GAIN = 0.018  # the output scale, once they lower it by less than 1.8 % (was 3 % over ten steps)
MIN_STAGE_STEPS = 20  # never leave a scale before this many steps (or its whole budget, if smaller)


class StillnessCheck:
    """Looks at the loss every ``LOOK_EVERY`` steps of a scale, against ``GAIN_WINDOW`` steps before, and at
    the picture every ``CHECK_EVERY`` steps, against the last look.

    ``reset()`` whenever the objective changes (new scale, new settings): a
    loss from another objective says nothing about this one's progress.
    """

    def __init__(self) -> None:
        self._last: torch.Tensor | None = None
        self._losses: list[float] = []  # after each of the last GAIN_WINDOW + 1 steps since the reset
        self._since_reset = 0
        self.last_change: float | None = None  # levels, at the last look
        self.last_gain: float | None = None  # share of the loss, at the last look

    def reset(self) -> None:
        self._last = None
        self._losses = []
        self._since_reset = 0
        self.last_change = None
        self.last_gain = None

    def is_still(self, picture: torch.Tensor, loss: float, stage_step: int, stage_steps: int, final: bool) -> bool:
        """True when the scale has stopped paying: see the module's docstring.

        ``stage_step`` counts the steps run in this scale so far (1-based);
        ``final`` says whether it is the output scale.
        """
        self._since_reset += 1
        self._losses.append(loss)
        del self._losses[: -GAIN_WINDOW - 1]
        if stage_step % LOOK_EVERY and stage_step % CHECK_EVERY:
            return False
        early = stage_step < min(MIN_STAGE_STEPS, stage_steps)
        paid = True
        if len(self._losses) > GAIN_WINDOW:
            # Against the best of the window, not the last step: L-BFGS without a line search now and then
            # takes a step up, which over a short window would read as a scale that stopped paying.
            first, best = self._losses[0], min(self._losses[1:])
            self.last_gain = (first - best) / first if first > 0 else 0.0
            paid = self.last_gain >= (FINAL_MIN_GAIN if final else COARSE_MIN_GAIN)
        if stage_step % CHECK_EVERY:
            return not early and not paid
        picture = picture.detach()
        if self._last is None or self._last.shape != picture.shape or self._since_reset < CHECK_EVERY:
            self._last = picture.clone()
            return False
        # One host sync every CHECK_EVERY steps, nothing on the others.
        self.last_change = (picture - self._last).abs().mean().item() * 255.0
        self._last.copy_(picture)
        return not early and (self.last_change < STILL_LEVELS or not paid)
