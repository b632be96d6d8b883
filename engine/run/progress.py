"""What the engine reports after every step."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ..objective.loss_terms import LossTerms
from ..pictures.images import fit_dims
from ..settings.style_params import StyleParams
from .schedule import plan_stages


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

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0

    def work(self) -> tuple[int, int]:
        """(done, total) work of the run's plan, in pixel-steps (see ``plan_work``)."""
        done = plan_work(self.width, self.height, self.params, self.step)
        return done, plan_work(self.width, self.height, self.params)


class TimeLeft:
    """Time to the end of a run from the recent pace, in pixel-steps of the plan.

    The first report of a run carries the one-off costs (loading the weights,
    building the network and the first targets): timing the whole run from it
    promised 3 hours at step 1 of a 15-minute run. This uses the last
    ``WINDOW`` reports only, so a one-off cost leaves the estimate as soon as
    it leaves the window, and the pace follows the scale being painted.
    """

    WINDOW = 30  # about 1-3 s of steps: long enough not to swing with every busy moment of the machine

    def __init__(self) -> None:
        self._marks: deque[tuple[float, int]] = deque(maxlen=self.WINDOW)
        self._total = 0

    def reset(self) -> None:
        self._marks.clear()

    def add(self, p: Progress) -> None:
        if p.adjusting:
            # Preview steps do no planned work: the pace starts afresh once the plan's scale is back.
            self._marks.clear()
            return
        done, self._total = p.work()
        self._marks.append((p.elapsed, done))

    def pace(self) -> float | None:
        """Seconds per pixel-step over the reports kept, or None."""
        if len(self._marks) < 3:
            return None
        (t0, w0), (t1, w1) = self._marks[0], self._marks[-1]
        return (t1 - t0) / (w1 - w0) if w1 > w0 and t1 > t0 else None

    def seconds(self) -> float | None:
        """None until three reports have come.

        The pace is measured from the end of the oldest report kept, so the
        first step's one-off cost is never part of it.
        """
        pace = self.pace()
        return None if pace is None else pace * max(self._total - self._marks[-1][1], 0)


def plan_work(width: int, height: int, params: StyleParams, steps_done: int | None = None) -> int:
    """The pixel-steps a run of ``params`` on a picture of this aspect costs (up to ``steps_done``).

    A step at 512 px costs about 16 times one at 128 px, so counting steps
    alone would promise the end far too early during the coarse scales.
    """
    work = 0
    for stage in plan_stages(params.size, params.steps):
        h, w = fit_dims(width, height, stage.side)
        ran = stage.steps if steps_done is None else min(max(steps_done - stage.first_step, 0), stage.steps)
        work += ran * h * w
    return work


def format_duration(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); ``?`` when unknown."""
    if seconds is None:
        return "?"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
