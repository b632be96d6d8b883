"""Coarse to fine: which size each step runs at.

This differs from Gatys et al. (2016), who optimise at the output size from the
first step to the last. We start on a small version (128 px on the long side)
and double up to the output size, each scale starting from the previous
scale's picture upsampled, as Gatys et al. (2017) and crowsonkb's
style-transfer-pytorch do. A coarse step costs a fraction of a fine one (the
cost grows with the pixel count) and settles the large-scale arrangement, so
the fine scales only have to add detail. It also gives a first preview within
a fraction of a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FIRST_SIDE = 128
# Share of the step budget for each scale relative to the next finer one.
# More steps where they are cheap: with three scales, 300 steps become
# 138 / 92 / 70 at 128, 256 and 512 px.
COARSE_SHARE = 1.5


@dataclass(frozen=True)
class Stage:
    """One scale of the schedule."""

    index: int
    side: int  # long side in pixels
    first_step: int  # 0-based index of the stage's first step overall
    steps: int

    @property
    def end(self) -> int:
        return self.first_step + self.steps


def stage_sides(size: int) -> list[int]:
    """Long sides from about FIRST_SIDE up to ``size``, each at most twice the last."""
    if size <= FIRST_SIDE * 1.25:
        return [size]
    count = math.ceil(math.log2(size / FIRST_SIDE)) + 1
    return [round(FIRST_SIDE * (size / FIRST_SIDE) ** (i / (count - 1))) for i in range(count)]


def plan_stages(size: int, steps: int) -> tuple[Stage, ...]:
    """Split ``steps`` over the scales for an output of long side ``size``.

    With fewer steps than scales, the coarsest scales are dropped, so that the
    last step always runs at the output size.
    """
    sides = stage_sides(size)[-steps:]
    shares = [COARSE_SHARE ** (len(sides) - 1 - i) for i in range(len(sides))]
    total = sum(shares)
    counts = [max(1, math.floor(steps * s / total)) for s in shares]
    counts[-1] += steps - sum(counts)  # rounding goes to the finest scale
    while counts[-1] < 1:  # only possible with tiny budgets
        donor = counts.index(max(counts))
        counts[donor] -= 1
        counts[-1] += 1
    stages, first = [], 0
    for i, (side, n) in enumerate(zip(sides, counts, strict=True)):
        stages.append(Stage(i, side, first, n))
        first += n
    return tuple(stages)


def stage_at(stages: tuple[Stage, ...], step: int) -> Stage:
    """The stage that runs 0-based step ``step``."""
    for stage in stages:
        if step < stage.end:
            return stage
    return stages[-1]


def resume_step(stages: tuple[Stage, ...], step: int, picture_side: int) -> int:
    """Where to go on from a picture of long side ``picture_side`` that was taken at plan step ``step``.

    A snapshot's step belongs to the plan it was taken under. Under another
    plan (more steps, with early stops) the same number can fall on a coarser
    scale, which would shrink the picture and repaint its detail: go on from
    the first scale at least as large as the picture instead. A picture taken
    at the end (a finished one) gets the last scale's budget again, so that
    continuing it paints on rather than stopping at once.
    """
    if step >= stages[-1].end:
        return stages[-1].first_step
    fitting = next((s for s in stages if s.side >= picture_side), stages[-1])
    return max(step, fitting.first_step)


def first_step_above(stages: tuple[Stage, ...], picture_side: int) -> int:
    """Where to start a larger picture from a finished one of long side ``picture_side``: the first step of
    the first scale larger than it (the last scale's, if none is).

    Unlike ``resume_step``, a scale the size of the picture is skipped too:
    repainting it would only spend time on what the artist already has.
    """
    return next((s.first_step for s in stages if s.side > picture_side), stages[-1].first_step)


def replanned_step(stages: tuple[Stage, ...], step: int, side: int) -> int:
    """Where a run painting at long side ``side`` goes on when a new size or step budget gives ``stages``.

    The step count alone would put it on whatever scale that number falls
    in: more steps moved a half-painted 256 px picture back to 128 px, and
    fewer ended the run at once, a 256 px picture reported as finished at
    512 px (found in a user trial). It goes on at the scale of the picture it
    has instead, and ends at once only where it is already at the output size.
    """
    if step < stages[-1].end:
        return resume_step(stages, step, side)
    if side == stages[-1].side:
        return step  # the budget was cut below the steps taken at full size: done
    # Cut below the steps taken before full size: on to the next finer scale, with its own budget.
    return next((stage.first_step for stage in stages if stage.side > side), stages[-1].first_step)
