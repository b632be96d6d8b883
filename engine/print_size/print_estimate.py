"""What a picture at print size will cost: said before it starts, and refined while it goes.

Memory is ``engine.run.memory_plan``'s model of each scale's peak resident
memory, painted whole or tile by tile as that module plans it, as the run will.
Time is the pace measured on this machine (seconds per pixel-step, from a
live run) times the work left: a step's cost grows with the pixel count,
and a tiled step costs more than a whole one of the same size. Its constants
are fitted to ``tests/benchmarks/results/print_size.json`` (2-core CPU without
bfloat16, float32 convolutions, a 3:2 photo).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from ..errors import BrushworkError
from ..network.precision import resolve_precision
from ..objective.tiled_objective import halo_for
from ..pictures.images import fit_dims
from ..run.memory_plan import plan_scale
from ..run.out_of_memory import available_bytes, memory_budget
from ..run.progress import Progress
from ..run.scale_building import canvas_margin
from ..run.schedule import plan_stages, stage_at
from ..settings.style_params import StyleParams

GIB = 2**30

# A tiled step against a whole one of the same size. Each tile is computed
# twice, a forward pass for the global Grams, then a forward and backward pass
# for its share of the gradient, where a whole step is one of each (a backward
# costs about two forwards: 4/3 the work); and each is computed on its box,
# halo included: TWO_PASS_COST * (box / tile)^2. Measured (results/print_size.json),
# the constant is 1.32 at 2048 px in 512 px tiles (114.8 s against a whole
# step's 46.0 s) and 1.63 at 4096 px in 384 px tiles (676 s against 4 x 46.0 s,
# as a whole 4096 px step does not fit to be timed); 1.5 is within 14 % of both.
TWO_PASS_COST = 1.5
# A scale's first step also builds its targets: 0.4 to 0.85 of a step more in the benchmark.
TARGET_STEPS = 0.6
# Seconds per pixel-step when this machine has not been measured: the benchmark's whole 2048 px step.
REFERENCE_PACE = 46.0 / (2048 * 1362)
REFERENCE_MACHINE = "a 2-core CPU without bfloat16"


@dataclass(frozen=True)
class ScaleCost:
    """One scale of a render: its size, the steps left at it, and what they cost."""

    index: int
    side: int  # long side in pixels
    width: int
    height: int
    steps: int  # steps still to run at this scale
    end: int  # the plan step at which it ends
    tile: int | None  # the tile side, or None when painted whole
    peak_bytes: int
    seconds: float | None  # None without a pace

    @property
    def tiled(self) -> bool:
        return self.tile is not None


@dataclass(frozen=True)
class RenderEstimate:
    """What a render will cost, all its remaining steps run (a scale that settles early ends sooner).

    ``peak`` is the scale with the largest memory: not always the last, since
    a whole scale below a tiled one can need more.
    """

    width: int
    height: int
    start_step: int
    scales: tuple[ScaleCost, ...]
    free_bytes: int | None  # memory free when estimated (or the limit set, if lower), if the platform says
    pace: float | None  # seconds per pixel-step the time is based on
    limited: bool = False  # free_bytes is the artist's limit (StyleParams.memory_limit), not the memory free

    @property
    def peak(self) -> ScaleCost:
        return max(self.scales, key=lambda s: s.peak_bytes)

    @property
    def top(self) -> ScaleCost:
        return self.scales[-1]

    @property
    def peak_bytes(self) -> int:
        return self.peak.peak_bytes

    @property
    def seconds(self) -> float | None:
        if self.pace is None:
            return None
        return sum(s.seconds or 0.0 for s in self.scales)

    @property
    def steps(self) -> int:
        return sum(s.steps for s in self.scales)

    @property
    def fits(self) -> bool | None:
        """False when the peak is more than the memory free (None when that is unknown)."""
        return None if self.free_bytes is None else self.peak_bytes <= self.free_bytes


def step_units(width: int, height: int, tile: int | None) -> float:
    """A step's cost in pixel-steps of a whole picture (what a measured pace is per); ``tile`` None: whole."""
    return width * height * (tiled_time_factor(tile) if tile else 1.0)


@functools.cache
def tiled_time_factor(tile: int) -> float:
    """What a step painted in ``tile`` px tiles costs against a whole one (the halos are painted again).

    With the default layers' halo, as it is called for every report of a
    render; shallower layers only make the estimate err on the long side.
    """
    defaults = StyleParams()
    box = tile + 2 * halo_for([name for name, _ in defaults.style_layers] + [defaults.content_layer])
    return TWO_PASS_COST * (box / tile) ** 2


def estimate_render(
    content_size: tuple[int, int],
    params: StyleParams,
    *,
    start_step: int = 0,
    free_bytes: int | None,
    dtype: torch.dtype = torch.float32,
    pace: float | None = None,
) -> RenderEstimate:
    """What painting ``params`` (``params.size`` on the long side) on a photo of ``content_size`` costs.

    Parameters
    ----------
    content_size
        The photo's (width, height): the picture keeps its aspect.
    start_step
        The plan step the render starts at (continuing from a picture).
    free_bytes, dtype
        Memory free now and the convolutions' dtype: they decide which scales
        are tiled, as the run decides (``engine.run.memory_plan.plan_scale``).
    pace
        Seconds per pixel-step of a whole picture on this machine, or None.
    """
    # What the run may use: the memory free, or the artist's limit where lower.
    budget = memory_budget(free_bytes, params.memory_limit)
    limited = budget is not None and budget != free_bytes
    stages = plan_stages(params.size, params.steps)
    start = stage_at(stages, start_step)
    scales = []
    for stage in stages[start.index :]:
        height, width = fit_dims(*content_size, stage.side)
        margin = canvas_margin(stage.side) if params.clean_edges else 0
        canvas = (height + 2 * margin, width + 2 * margin)
        memory = plan_scale(canvas, params, free_bytes, dtype)
        tile = memory.tile
        steps = stage.end - max(start_step, stage.first_step)
        seconds = None
        if pace is not None:
            seconds = pace * step_units(width, height, tile) * (steps + TARGET_STEPS)
        scales.append(
            ScaleCost(
                stage.index,
                stage.side,
                width,
                height,
                steps,
                stage.end,
                tile,
                memory.peak_bytes,
                seconds,
            )
        )
    top = scales[-1]
    return RenderEstimate(top.width, top.height, start_step, tuple(scales), budget, pace, limited)


def machine_memory(params: StyleParams) -> tuple[int | None, torch.dtype]:
    """Memory free now on the device ``params`` run on, and the dtype its convolutions will use there."""
    from ..network.devices import resolve_device

    try:
        device = resolve_device(params.device)
        dtype = resolve_precision(params.precision, device)
    except BrushworkError:  # the run will say what is wrong; estimate for the CPU meanwhile
        device, dtype = torch.device("cpu"), torch.float32
    return available_bytes(device), dtype


class RenderClock:
    """Time left in a render: the plan's remaining work at the pace of the render's own steps.

    Until a step has been timed, the pace given at the start (a live run's)
    stands in. The first report of a run also carries the network's loading,
    so it is not timed; a scale's first step is timed with its targets' cost.
    ``engine.run.progress.TimeLeft`` times the last 30 reports instead, which at
    print size would be an hour or more of the previous scales.
    """

    def __init__(self, estimate: RenderEstimate) -> None:
        self._scales = {s.index: s for s in estimate.scales}
        self._pace = estimate.pace
        self._seconds = 0.0
        self._units = 0.0
        self._last: Progress | None = None

    def add(self, progress: Progress) -> None:
        if progress.adjusting:
            return
        last, self._last = self._last, progress
        scale = self._scales.get(progress.scale)
        if last is None or scale is None:
            return
        steps = progress.step - last.step
        if steps <= 0:
            return
        units = step_units(scale.width, scale.height, scale.tile)
        first_of_scale = progress.scale != last.scale
        self._seconds += progress.elapsed - last.elapsed
        self._units += units * (1 + (TARGET_STEPS if first_of_scale else 0.0))

    @property
    def pace(self) -> float | None:
        """Seconds per pixel-step: this render's own once a step is timed, else the one it started with."""
        if self._units > 0 and self._seconds > 0:
            return self._seconds / self._units
        return self._pace

    def seconds_left(self) -> float | None:
        """All the steps left (a scale that settles early ends sooner); None without any pace."""
        pace, last = self.pace, self._last
        if pace is None:
            return None
        units = 0.0
        for scale in self._scales.values():
            step_cost = step_units(scale.width, scale.height, scale.tile)
            if last is None or scale.index > last.scale:
                units += (scale.steps + TARGET_STEPS) * step_cost
            elif scale.index == last.scale:
                units += max(scale.end - last.step, 0) * step_cost
        return pace * units
