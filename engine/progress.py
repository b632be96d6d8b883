"""What the engine reports after every step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import LossTerms
from .params import StyleParams


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
