"""What the engine reports after every step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .images import fit_dims
from .losses import LossTerms
from .params import StyleParams
from .schedule import plan_stages


@dataclass(frozen=True, eq=False)
class Progress:
    """One optimisation step, as seen from outside the engine.

    ``preview`` is a fresh uint8 H x W x 3 array, present at most about ten
    times a second, at the end of each scale and always on the last report.
    ``params`` is the exact parameter snapshot that this step optimised.
    """

    step: int  # 1-based, over all scales
    total_steps: int
    scale: int  # 0-based index of the current scale
    scales: int
    height: int
    width: int
    losses: LossTerms
    elapsed: float  # seconds of work so far, pauses excluded
    params: StyleParams
    device: str
    preview: np.ndarray | None = None
    scale_finished: bool = False
    finished: bool = False

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0

    def seconds_left(self) -> float | None:
        """Time to the end, weighting the remaining steps by their pixel count.

        A step at 512 px costs about 16 times one at 128 px, so counting steps
        alone would promise the end far too early during the coarse scales.
        """
        if self.step == 0 or self.elapsed <= 0:
            return None
        done = todo = 0
        for stage in plan_stages(self.params.size, self.params.steps):
            h, w = fit_dims(self.width, self.height, stage.side)
            ran = min(max(self.step - stage.first_step, 0), stage.steps)
            done += ran * h * w
            todo += (stage.steps - ran) * h * w
        return self.elapsed * todo / max(done, 1)


def format_duration(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); ``?`` when unknown."""
    if seconds is None:
        return "?"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
