"""What the engine reports after every step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..objective.loss_terms import LossTerms
from ..settings.style_params import StyleParams


@dataclass(frozen=True)
class LoupeFrame:
    """Where the loupe is, as a report tells it: the square in the full-size picture's pixels."""

    left: int
    top: int
    side: int
    steps: int  # loupe steps since the last change
    live: bool  # True while the loupe steps; False while its square waits for the full size to catch up

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.left + self.side, self.top + self.side


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
    picture16: np.ndarray | None = None  # on the last report: the picture at 16 bits per channel, for export
    # While settings change on a slow scale, the smaller side this step ran at
    # (engine.run.live_preview); None for the plan's own steps. The picture and
    # height/width are still the full-size ones.
    preview_side: int | None = None
    tile: int | None = None  # the tile side this step was painted in (engine.objective.tiled_objective); None: whole
    # Where the loupe's square is in the picture (engine.run.loupe): live while it steps, then on screen
    # until the full size catches up with it. The preview carries its square.
    loupe: LoupeFrame | None = None

    @property
    def adjusting(self) -> bool:
        """True for a step beside the plan's (a preview's or the loupe's): no plan step was taken."""
        return self.preview_side is not None or (self.loupe is not None and self.loupe.live)


def format_duration(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); ``?`` when unknown."""
    if seconds is None:
        return "?"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
