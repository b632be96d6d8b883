"""What a picture at print size will cost: said before it starts, and refined while it goes.

Memory is ``engine.run.memory_plan``'s model of each scale's peak resident
memory, painted whole or tile by tile as that module plans it, as the run will.
Time is ``engine.run.time_model``'s: each scale's steps (a scale that settles
early takes fewer) and each step's seconds at its size, whole or tiled,
learnt from this machine's past runs; while the render goes,
``engine.run.run_clock`` times it from its own steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import BrushworkError
from ..network.precision import resolve_precision
from ..run.out_of_memory import available_bytes, memory_budget
from ..run.time_model import ScaleSpec, Span, TimeModel, plan_run
from ..settings.style_params import StyleParams

GIB = 2**30


@dataclass(frozen=True)
class ScaleCost:
    """One scale of a render: its size, the steps left at it, and what they cost."""

    index: int
    side: int  # long side in pixels
    width: int
    height: int
    steps: int  # steps still to run at this scale, its whole budget
    end: int  # the plan step at which it ends
    tile: int | None  # the tile side, or None when painted whole
    peak_bytes: int
    seconds: Span | None  # None without a time model
    expected_steps: Span | None = None  # the steps it is expected to run (fewer where it settles early)
    step_seconds: Span | None = None

    @property
    def tiled(self) -> bool:
        return self.tile is not None


@dataclass(frozen=True)
class RenderEstimate:
    """What a render will cost.

    ``peak`` is the scale with the largest memory: not always the last, since
    a whole scale below a tiled one can need more.
    """

    width: int
    height: int
    start_step: int
    scales: tuple[ScaleCost, ...]
    free_bytes: int | None  # memory free when estimated (or the limit set, if lower), if the platform says
    seconds: Span | None  # the whole render's time, None without a time model
    limited: bool = False  # free_bytes is the artist's limit (StyleParams.memory_limit), not the memory free
    measured: bool = False  # the time comes from this machine's past runs (False: a first guess)
    specs: tuple[ScaleSpec, ...] = ()

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
    def steps(self) -> int:
        """The steps of the plan still to run: a cap, scales that settle early run fewer."""
        return sum(s.steps for s in self.scales)

    @property
    def fits(self) -> bool | None:
        """False when the peak is more than the memory free (None when that is unknown)."""
        return None if self.free_bytes is None else self.peak_bytes <= self.free_bytes


def estimate_render(
    content_size: tuple[int, int],
    params: StyleParams,
    *,
    start_step: int = 0,
    free_bytes: int | None,
    dtype: torch.dtype = torch.float32,
    model: TimeModel | None = None,
    cold: bool = True,
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
    model
        This machine's time model for the device the render runs on; None: no time.
    cold
        The network's weights are still to be read (a new process).
    """
    # What the run may use: the memory free, or the artist's limit where lower.
    budget = memory_budget(free_bytes, params.memory_limit)
    limited = budget is not None and budget != free_bytes
    specs = plan_run(content_size, params, start_step, free_bytes, dtype)
    scales = []
    for i, spec in enumerate(specs):
        seconds = steps = step = None
        if model is not None:
            steps, step = model.steps(spec), model.step_seconds(spec)
            seconds = steps * step + model.extra_seconds(spec, i == 0, cold)
        scales.append(
            ScaleCost(
                spec.index,
                spec.side,
                spec.width,
                spec.height,
                spec.steps_left,
                spec.end,
                spec.tile,
                spec.memory.peak_bytes,
                seconds,
                steps,
                step,
            )
        )
    total = None
    if model is not None:
        total = scales[0].seconds
        for scale in scales[1:]:
            total = total + scale.seconds
    top = scales[-1]
    measured = model is not None and model.measured
    return RenderEstimate(top.width, top.height, start_step, tuple(scales), budget, total, limited, measured, specs)


def machine_memory(params: StyleParams) -> tuple[int | None, torch.dtype]:
    """Memory free now on the device ``params`` run on, and the dtype its convolutions will use there."""
    from ..network.devices import resolve_device

    try:
        device = resolve_device(params.device)
        dtype = resolve_precision(params.precision, device)
    except BrushworkError:  # the run will say what is wrong; estimate for the CPU meanwhile
        device, dtype = torch.device("cpu"), torch.float32
    return available_bytes(device), dtype
