"""What a picture at print size will cost: said before it starts, and refined while it goes.

Memory is a model of the peak resident memory of a run, per scale, whole or
tile by tile (``engine.memory.tile_side`` decides which, as the run will).
Time is the pace measured on this machine (seconds per pixel-step, from a
live run) times the work left: a step's cost grows with the pixel count,
and a tiled step costs more than a whole one of the same size.

The constants are fitted to ``tests/benchmarks/results/print_size.json``
(2-core CPU without bfloat16, float32 convolutions, a 3:2 photo), where each
case timed three steps at the top scale after a warm-up step: L-BFGS then held
three curvature pairs (the full history at tiled scales), which are taken out
here and put back at the number a long run keeps. Other dtypes scale the
activations by the engine's own ratio (``engine.memory.BYTES_PER_PIXEL``),
which was not measured at print sizes.
On a GPU the figures are the run's device memory plus the process's own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from .errors import BrushworkError
from .images import fit_dims
from .memory import BYTES_PER_PIXEL, HEADROOM, available_bytes, memory_budget, tile_side
from .params import StyleParams
from .precision import resolve_precision
from .progress import Progress
from .schedule import plan_stages, stage_at
from .tiled_objective import halo_for
from .transfer import LBFGS_HISTORY, TILED_LBFGS_HISTORY, TILED_LBFGS_STORE, canvas_margin

GIB = 2**30
# The process before any picture: Python, PyTorch, the network's weights.
# With WHOLE_BYTES_PER_PIXEL, fitted to the whole runs at 512, 1024 and
# 2048 px (within 4 % of each, and never more than 3 % under).
PROCESS_BYTES = int(0.73 * GIB)
# A whole picture, per canvas pixel, besides L-BFGS's history: the VGG
# activations kept for the backward pass, the picture and its gradient.
WHOLE_BYTES_PER_PIXEL = 2285
# Tile by tile, what stays the size of the picture: the picture, its gradient
# and L-BFGS's direction, the previous gradient, the half-precision content
# target and NaN-guard copies. With the next, fitted to the tiled runs at 2048
# px (512 px tiles) and 4096 px (384 px tiles); it overestimates 1024 px in
# 512 px tiles by 8 %, where the tile's box is most of the picture.
TILED_BYTES_PER_PIXEL = 91
# Tile by tile, the working set of one tile, per pixel of its box (interior and halo).
TILE_BOX_BYTES_PER_PIXEL = 2577
CHANNELS = 3  # the picture's; luminance mode optimises one, which this ignores (it only overestimates)

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


def _pair_bytes(store: torch.dtype) -> int:
    """One L-BFGS curvature pair per pixel: a step and a gradient change, three channels each."""
    return 2 * CHANNELS * torch.empty((), dtype=store).element_size()


def peak_bytes(canvas: tuple[int, int], tile: int | None, dtype: torch.dtype, params: StyleParams | None = None) -> int:
    """Peak resident memory of a run at a scale of ``canvas`` (height, width; margin included).

    ``tile`` None paints it whole; ``dtype`` is the convolutions' number format.
    ``params`` gives the optimiser and the layers (for the tiles' halo).
    """
    params = params or StyleParams()
    height, width = canvas
    pixels = height * width
    activations = BYTES_PER_PIXEL.get(dtype, BYTES_PER_PIXEL[torch.float32]) / BYTES_PER_PIXEL[torch.float32]
    if params.optimizer == "adam":
        history = 2 * CHANNELS * 4  # its two float32 moments
    elif tile is None:
        history = LBFGS_HISTORY * _pair_bytes(torch.float32)
    else:
        history = TILED_LBFGS_HISTORY * _pair_bytes(TILED_LBFGS_STORE)
    if tile is None:
        return round(PROCESS_BYTES + pixels * (WHOLE_BYTES_PER_PIXEL * activations + history))
    box = tile + 2 * halo_for([name for name, _ in params.style_layers] + [params.content_layer])
    box_pixels = min(box, height) * min(box, width)
    return round(
        PROCESS_BYTES + box_pixels * TILE_BOX_BYTES_PER_PIXEL * activations + pixels * (TILED_BYTES_PER_PIXEL + history)
    )


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
        are tiled, as the run decides (``engine.memory.tile_side``).
    pace
        Seconds per pixel-step of a whole picture on this machine, or None.
    """
    # What the run may use: the memory free, or the artist's limit where lower.
    budget = memory_budget(free_bytes, params.memory_limit)
    limited = budget is not None and budget != free_bytes
    free_bytes = budget
    stages = plan_stages(params.size, params.steps)
    start = stage_at(stages, start_step)
    scales = []
    for stage in stages[start.index :]:
        height, width = fit_dims(*content_size, stage.side)
        margin = canvas_margin(stage.side) if params.clean_edges else 0
        canvas = (height + 2 * margin, width + 2 * margin)
        tile = tile_side(canvas, params.tile, free_bytes, dtype)
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
                peak_bytes(canvas, tile, dtype, params),
                seconds,
            )
        )
    top = scales[-1]
    return RenderEstimate(top.width, top.height, start_step, tuple(scales), free_bytes, pace, limited)


def machine_memory(params: StyleParams) -> tuple[int | None, torch.dtype]:
    """Memory free now on the device ``params`` run on, and the dtype its convolutions will use there."""
    from .devices import resolve_device

    try:
        device = resolve_device(params.device)
        dtype = resolve_precision(params.precision, device)
    except BrushworkError:  # the run will say what is wrong; estimate for the CPU meanwhile
        device, dtype = torch.device("cpu"), torch.float32
    return available_bytes(device), dtype


def largest_whole_side(content_size: tuple[int, int], free_bytes: int, dtype: torch.dtype) -> int:
    """The largest long side painted whole with ``free_bytes`` free (the engine tiles above it)."""
    per_pixel = BYTES_PER_PIXEL.get(dtype, BYTES_PER_PIXEL[torch.float32])
    width, height = content_size
    aspect = min(width, height) / max(width, height)
    return int((HEADROOM * free_bytes / per_pixel / aspect) ** 0.5)


class RenderClock:
    """Time left in a render: the plan's remaining work at the pace of the render's own steps.

    Until a step has been timed, the pace given at the start (a live run's)
    stands in. The first report of a run also carries the network's loading,
    so it is not timed; a scale's first step is timed with its targets' cost.
    ``engine.progress.TimeLeft`` times the last 30 reports instead, which at
    print size would be an hour or more of the previous scales.
    """

    def __init__(self, estimate: RenderEstimate) -> None:
        self._scales = {s.index: s for s in estimate.scales}
        self._pace = estimate.pace
        self._seconds = 0.0
        self._units = 0.0
        self._last: Progress | None = None

    def add(self, progress: Progress) -> None:
        if progress.preview_side is not None:
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
