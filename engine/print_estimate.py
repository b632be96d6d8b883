"""What a picture at print size will cost: said before it starts, and refined while it goes.

Memory is a model of the peak resident memory of a run, per scale, whole or
tile by tile (``engine.memory.tile_side`` decides which, as the run will).
Time is the pace measured on this machine (seconds per pixel-step, from a
live run) times the work left: a step's cost grows with the pixel count,
and a tiled step costs more than a whole one of the same size.

The constants are fitted to ``tests/benchmarks/results/print_size.json``
(2-core CPU without bfloat16, float32 convolutions, a 3:2 photo), where each
case timed one step at the top scale after a warm-up step: L-BFGS then held
two curvature pairs, which are taken out here and put back at the number a
long run keeps. Other dtypes scale the activations by the engine's own ratio
(``engine.memory.BYTES_PER_PIXEL``), which was not measured at print sizes.
On a GPU the figures are the run's device memory plus the process's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .errors import BrushworkError
from .images import fit_dims
from .memory import BYTES_PER_PIXEL, HEADROOM, available_bytes, tile_side
from .params import StyleParams
from .precision import resolve_precision
from .progress import Progress
from .schedule import plan_stages, stage_at
from .tiled_objective import halo_for
from .transfer import LBFGS_HISTORY, TILED_LBFGS_HISTORY, TILED_LBFGS_STORE, canvas_margin

GIB = 2**30
# The process before any picture: Python, PyTorch, the network's weights.
# The intercept of the whole runs at 1024 and 2048 px (their fit puts 512 px within 3 %).
PROCESS_BYTES = int(0.75 * GIB)
# A whole picture, per canvas pixel, besides L-BFGS's history: the VGG
# activations kept for the backward pass, the picture and its gradient.
# Fitted 2257 B/px with two float32 pairs (48 B/px) held.
WHOLE_BYTES_PER_PIXEL = 2209
# Tile by tile, what stays the size of the picture: the picture, its gradient,
# the half-precision content target. Fitted 92.5 B/px (2048 and 4096 px) with two float32 pairs held.
TILED_BYTES_PER_PIXEL = 44
# Tile by tile, the working set of one tile, per pixel of its box (interior
# and halo): the 512 px tiles' 2.75 GiB less the process, over a 704 px box.
TILE_BOX_BYTES_PER_PIXEL = 4329
CHANNELS = 3  # the picture's; luminance mode optimises one, which this ignores (it only overestimates)

# A tiled step against a whole one of the same size: 114.0 s against 81.6 s per step at 2048 px.
TILED_TIME_FACTOR = 1.4
# A scale's first step also builds its targets: 0.3 to 0.8 of a step more in the benchmark.
TARGET_STEPS = 0.6
# Seconds per pixel-step when this machine has not been measured: the benchmark's whole 2048 px step.
REFERENCE_PACE = 81.58 / (2048 * 1362)
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
    free_bytes: int | None  # memory free when estimated, if the platform says
    pace: float | None  # seconds per pixel-step the time is based on

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


def step_units(width: int, height: int, tiled: bool) -> float:
    """A step's cost in pixel-steps of a whole picture (what a measured pace is per)."""
    return width * height * (TILED_TIME_FACTOR if tiled else 1.0)


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
            seconds = pace * step_units(width, height, tile is not None) * (steps + TARGET_STEPS)
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
    return RenderEstimate(top.width, top.height, start_step, tuple(scales), free_bytes, pace)


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
        units = step_units(scale.width, scale.height, scale.tiled)
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
            step_cost = step_units(scale.width, scale.height, scale.tiled)
            if last is None or scale.index > last.scale:
                units += (scale.steps + TARGET_STEPS) * step_cost
            elif scale.index == last.scale:
                units += max(scale.end - last.step, 0) * step_cost
        return pace * units
