"""How long a run will take on this machine: each scale's steps, early stops included, and each step's seconds.

The estimate used to be one pace, seconds per pixel-step from the live run,
times the pixel-steps of the plan. It was 6-10 times off (a 320 px run of
150 steps was "about 0:03" and took 33 s; a 2048 px print "about 4 min" and
took 25): it left out loading the network and building each scale's targets,
a step's cost grows faster than its pixels at large sizes (memory), tiles
cost more than their pixels, and the scales that settle early were counted
at their whole budget or not at all. Here each part is predicted on its own,
and learnt from this machine's past runs (``engine.run.time_history``):

- **A step's seconds** at a size, whole: interpolated between the sizes this
  machine has painted, on a log-log scale; beyond them, the shape of a prior
  curve measured on a 2-core CPU with AMX, put through the nearest measured
  size. Tile by tile: each tile's box (halo included) costs what a whole
  picture of its size does, twice over (``TWO_PASS_COST``), times a factor
  learnt from this machine's tiled runs (new tile shapes cost compiling too).
- **A scale's steps:** its budget without ``stop_early``; with it, where
  past scales of its kind (the output scale, or a coarser one) settled,
  the steps its budget allows at most.
- **The rest:** building a scale's targets (a share of a step, several for a
  tiled one), and for the run's first scale loading the weights and the network.

Where it is unsure, it says so with a range: before a machine's first run,
from the priors, the range spans half to twice the estimate.
"""

from __future__ import annotations

import itertools
import math
import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..objective.tiled_objective import halo_for, plan_tiles
from ..pictures.images import fit_dims
from ..settings.style_params import StyleParams
from .convergence import LOOK_EVERY, MIN_STAGE_STEPS
from .memory_plan import ScaleMemory, plan_scale
from .scale_building import canvas_margin
from .schedule import plan_stages, stage_at
from .time_history import ScaleRecord

# A whole step's seconds on the CPU the priors were measured on (2 cores with AMX, bfloat16, the sample
# pair at 3:2, nothing else running; bench_time_estimates.py, 12 runs): (pixels, seconds) at 128, 256, 384,
# 512, 768, 1024 and 2048 px. The cost per pixel grows with the size (3.9 us at 128 px, 4.3 us at 1024 px,
# 5.9 us at 2048 px): a picture that outgrows the caches waits on memory. (The figures before were measured
# with other work on the machine: 1.7-2.1 times these, and a first run here was twice as long as said.)
PRIOR_STEPS = (
    (10880, 0.042),
    (43520, 0.1415),
    (97920, 0.346),
    (174592, 0.66),
    (392448, 1.62),
    (697344, 2.99),
    (2789376, 16.3),
)
PRIOR_CORES = 2
# Against that CPU: one without bfloat16 is about 1.7 times slower (docs/performance.md); a GPU's steps
# are mostly fixed costs at these sizes.
NO_BF16_FACTOR = 1.7
# A step with another texture statistic than Gram's, against Gram's, until this machine has run it: from a
# 256 px, 120-step trial on a shared 2-core CPU (gram 36.6 s, w2 59.0 s, sliced 77.3 s; docs/objective.md).
# Sliced's cost grows faster with the picture than this says: its own runs correct it.
STATISTIC_PRIOR = {"gram": 1.0, "w2": 1.6, "sliced": 2.1}
STATISTIC_NAMES = {"gram": "Gram", "w2": "W2", "sliced": "sliced Wasserstein"}
GPU_STEP = (0.01, 2e-8)  # seconds: a fixed cost per step, and per pixel
MPS_STEP = (0.03, 3e-7)
# Before the first step: reading the weights and building the network, 0.23-0.28 s on that CPU in a new
# process (the 8-bit weights are small), building the first scale's targets included; with the weights
# loaded by an earlier run of the process (the studio's second run) it can only be quicker.
PRIOR_STARTUP = {True: {"cpu": 0.25, "cuda": 3.0, "mps": 4.0}, False: {"cpu": 0.25, "cuda": 0.5, "mps": 0.5}}
# Building a scale's targets, in steps of it, on that CPU: whole, 1.05-2.1 (median 1.36, 20 scales); tiled,
# 0.31-0.75 (median 0.53, 13 scales: a tiled step is long, and the targets are built tile by tile once).
PRIOR_BUILD = {False: 1.36, True: 0.53}
# A tiled step against its boxes painted whole (TWO_PASS_COST each), by how many tiles a step computes: on that
# CPU, quiet (bench_time_estimates.py), a scale just over the tile size, one tile and a sliver, took 2.0-2.55
# times (256 px in 256 px tiles, 512 in 512); 6 to 15 tiles, 1.35-1.44 times (512 and 1024 px in 256 and
# 512 px tiles). One factor for all, learnt from both kinds, put the first at 2.0 and a 1024 px print 37 %
# over. A scale takes the factor of the tile count nearest its own that this machine has run, else of the
# nearest here.
PRIOR_TILED = ((2, 2.2), (6, 1.4))
TWO_PASS_COST = 1.5  # each tile is computed twice: a forward pass, then a forward and a backward one (4/3)
# Where scales settled with stop_early on, in steps run, by kind: "first", "middle", "final" (``settle_kind``).
# The first scale, which starts from the photo, and the output scale: four pairs at 256 px with the default
# 300 steps, twice, under convergence's six-step window (first 42-50, output 50-58). The scales between
# were measured under the ten-step window before it (30-40 at 512 px) and are taken 15 % earlier, as the
# first scale's settled (50-60 before).
PRIOR_SETTLE = {"first": (42, 42, 44, 48, 50), "middle": (26, 26, 34, 34, 34), "final": (50, 52, 54, 56, 58)}
# How sure a step's seconds are: within its measured sizes, 10 %, or as far as the runs here have spread
# at a size (on a 2-core CPU shared with other work, 128 px steps took 0.045 to 0.134 s in one hour); each
# factor of two in pixels beyond them adds 15 %; the priors alone, on a machine not yet measured: half to twice.
MEASURED = 0.10
PER_OCTAVE = 0.15
UNMEASURED = {"cpu": 0.75, "cuda": 1.0, "mps": 1.0}
SURE = 1.3  # a range whose ends are closer than this is said as one figure
STOP_QUANTILES = (0.2, 0.5, 0.8)
KEPT_SETTLES = 30  # the newest stop points of a kind that count


@dataclass(frozen=True)
class Span:
    """An estimate with its range, in seconds or steps."""

    low: float
    mid: float
    high: float

    def __add__(self, other: Span) -> Span:
        return Span(self.low + other.low, self.mid + other.mid, self.high + other.high)

    def __mul__(self, other: Span) -> Span:
        return Span(self.low * other.low, self.mid * other.mid, self.high * other.high)

    def scaled(self, factor: float) -> Span:
        return Span(self.low * factor, self.mid * factor, self.high * factor)

    @property
    def sure(self) -> bool:
        return self.high <= SURE * max(self.low, 1e-9) or self.high - self.low < 5.0

    @staticmethod
    def around(mid: float, uncertainty: float) -> Span:
        """``mid`` within a factor of 1 + ``uncertainty`` either way."""
        return Span(mid / (1 + uncertainty), mid, mid * (1 + uncertainty))


ZERO = Span(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class ScaleSpec:
    """One scale of a run as planned: its size, whole or tiled, and the steps its budget gives it."""

    index: int
    side: int
    width: int
    height: int
    memory: ScaleMemory  # whole or in tiles, as the run will decide (engine.run.memory_plan)
    boxes: int  # the pixels a step computes: its tiles' boxes, halos included; the picture's when whole
    tiles: int  # how many tiles a step computes (0: whole)
    budget: int  # the steps the plan gives the scale
    first_step: int  # the plan step the run starts it at (later than the scale's first when resuming)
    end: int
    final: bool
    stop_early: bool

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def tile(self) -> int | None:
        return self.memory.tile

    @property
    def steps_left(self) -> int:
        return self.end - self.first_step


def plan_run(
    content_size: tuple[int, int],
    params: StyleParams,
    start_step: int = 0,
    free_bytes: int | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[ScaleSpec, ...]:
    """The scales a run of ``params`` on a photo of ``content_size`` (width, height) paints from ``start_step``,
    each whole or in tiles as the run will paint it with ``free_bytes`` free (``engine.run.memory_plan``)."""
    stages = plan_stages(params.size, params.steps)
    start = stage_at(stages, start_step)
    halo = halo_for([name for name, _ in params.style_layers] + [params.content_layer])
    specs = []
    for stage in stages[start.index :]:
        height, width = fit_dims(*content_size, stage.side)
        margin = canvas_margin(stage.side) if params.clean_edges else 0
        canvas = (height + 2 * margin, width + 2 * margin)
        memory = plan_scale(canvas, params, free_bytes, dtype)
        boxes, tiles = width * height, 0
        if memory.tile:
            grid = plan_tiles(*canvas, memory.tile, halo)
            boxes, tiles = sum((t.by1 - t.by0) * (t.bx1 - t.bx0) for t in grid), len(grid)
        first = max(start_step, stage.first_step)
        specs.append(
            ScaleSpec(
                stage.index,
                stage.side,
                width,
                height,
                memory,
                boxes,
                tiles,
                stage.steps,
                first,
                stage.end,
                stage.index == len(stages) - 1,
                params.stop_early,
            )
        )
    return tuple(specs)


def device_key(params: StyleParams) -> str:
    """The device and number format a run of ``params`` would use, as its reports name them (``Progress.device``):
    what its history is kept under."""
    from ..errors import BrushworkError
    from ..network.devices import describe, resolve_device
    from ..network.precision import resolve_precision

    try:
        device = resolve_device(params.device)
        dtype = resolve_precision(params.precision, device)
    except BrushworkError:  # the run will say what is wrong; estimate for the CPU meanwhile
        device, dtype = torch.device("cpu"), torch.float32
    return f"{describe(device)}, {str(dtype).removeprefix('torch.')}"


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or PRIOR_CORES


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _device_kind(device: str) -> str:
    return "cuda" if device.startswith("CUDA") else "mps" if device.startswith("Apple MPS") else "cpu"


class TimeModel:
    """Predicts a run's time on ``device`` (``Progress.device``) with texture ``statistic`` from ``records`` of
    its past runs there with that statistic."""

    def __init__(self, records: Sequence[ScaleRecord], device: str, statistic: str = "gram") -> None:
        self.device = device
        self.statistic = statistic
        self.kind = _device_kind(device)
        records = [r for r in records if r.device == device and r.statistic == statistic]
        self.records = records
        # A whole step's seconds at each size painted: the median of the newest few at each size.
        by_size: dict[int, list[float]] = {}
        for r in records:
            if r.tile is None and r.step_seconds:
                by_size.setdefault(r.pixels, []).append(r.step_seconds)
        self._whole = sorted((pixels, statistics.median(s[-5:])) for pixels, s in by_size.items())
        spread = [abs(math.log(x / statistics.median(s[-5:]))) for s in by_size.values() if len(s) > 1 for x in s[-5:]]
        # How far a step here strays from the usual at its size (the 80th percentile), at least MEASURED.
        self.noise = max(MEASURED, math.exp(_quantile(spread, 0.8)) - 1) if len(spread) >= 3 else MEASURED
        tiled = [r for r in records if r.tile is not None and r.step_seconds]
        self._tiled = [(r.tiles, r.step_seconds / self._tiled_base(r.boxes, r.tiles)) for r in tiled[-20:]]
        self._build = {
            tiled_: self._median_ratio([r for r in records if (r.tile is not None) == tiled_ and not r.starts_run])
            for tiled_ in (False, True)
        }
        self.startup = {}  # cold: reading the weights too
        for cold in (True, False):
            starts = [
                r.extra_seconds - self._build_ratio(r.tile is not None) * r.step_seconds
                for r in records
                if r.starts_run and r.cold == cold and r.extra_seconds is not None
            ]
            self.startup[cold] = max(0.0, statistics.median(starts[-10:])) if starts else PRIOR_STARTUP[cold][self.kind]

    @property
    def measured(self) -> bool:
        """Whether this machine has painted with this device and statistic before (False: a first guess)."""
        return bool(self._whole)

    @property
    def untimed(self) -> str:
        """What a first guess lacks, for "no {untimed}run timed here yet": "" with Gram, else the statistic's
        name. Runs with Gram say nothing of another statistic's steps, and after three timed Gram runs a
        user's trial read "no run timed here yet" on switching to W2 as wrong."""
        return "" if self.statistic == "gram" else f"{STATISTIC_NAMES.get(self.statistic, self.statistic)} "

    # -- a step's seconds ------------------------------------------------------------

    def _prior_seconds(self, pixels: float) -> float:
        if self.kind == "cuda":
            return GPU_STEP[0] + GPU_STEP[1] * pixels
        if self.kind == "mps":
            return MPS_STEP[0] + MPS_STEP[1] * pixels
        seconds = _log_interpolate(PRIOR_STEPS, pixels)
        seconds *= (PRIOR_CORES / _cores()) ** 0.8  # more cores help less than in proportion
        seconds *= STATISTIC_PRIOR.get(self.statistic, 1.0)
        return seconds * (1.0 if "bfloat16" in self.device else NO_BF16_FACTOR)

    def whole_seconds(self, pixels: float) -> tuple[float, float]:
        """A whole step's seconds at ``pixels``, and how unsure that is (a share: 0.1 is within 10 %)."""
        if not self._whole:
            return self._prior_seconds(pixels), UNMEASURED[self.kind]
        low, high = self._whole[0], self._whole[-1]
        if len(self._whole) > 1 and low[0] <= pixels <= high[0]:
            return _log_interpolate(self._whole, pixels), self.noise
        # Beyond what was painted: the prior's shape through the nearest measured size.
        nearest = low if pixels < low[0] else high
        seconds = nearest[1] * self._prior_seconds(pixels) / self._prior_seconds(nearest[0])
        octaves = abs(math.log2(pixels / nearest[0]))
        return seconds, self.noise + PER_OCTAVE * octaves

    def _tiled_base(self, boxes: int, tiles: int) -> float:
        """A tiled step's seconds before the learnt factor: each tile's box (halo included) as a whole step of
        its size, computed twice."""
        box = boxes / max(1, tiles)
        seconds, _ = self.whole_seconds(box)
        return TWO_PASS_COST * seconds * tiles

    def tiled_factor(self, tiles: int) -> tuple[float, float]:
        """A step of ``tiles`` tiles against its boxes painted whole (``_tiled_base``), and how unsure that is:
        from this machine's tiled runs of the nearest tile count (within 10 % at that count, 25 % at another),
        else the prior's nearest (40 %)."""

        def distance(count: int) -> float:
            return abs(math.log(max(1, tiles) / max(1, count)))

        if self._tiled:
            nearest = min(distance(count) for count, _ in self._tiled)
            ratios = [ratio for count, ratio in self._tiled if distance(count) == nearest]
            return statistics.median(ratios[-10:]), MEASURED if nearest == 0 else 0.25
        return min(PRIOR_TILED, key=lambda prior: distance(prior[0]))[1], 0.4

    def step_seconds(self, spec: ScaleSpec) -> Span:
        seconds, unsure = self.whole_seconds(spec.pixels)
        if spec.tile is None:
            return Span.around(seconds, unsure)
        factor, factor_unsure = self.tiled_factor(spec.tiles)
        return Span.around(factor * self._tiled_base(spec.boxes, spec.tiles), unsure + factor_unsure)

    # -- building a scale, starting the run -------------------------------------------------

    def _median_ratio(self, records: list[ScaleRecord]) -> float | None:
        ratios = [r.extra_seconds / r.step_seconds for r in records if r.extra_seconds is not None]
        return statistics.median(ratios[-10:]) if ratios else None

    def _build_ratio(self, tiled: bool) -> float:
        learnt = self._build.get(tiled)
        return learnt if learnt is not None else PRIOR_BUILD[tiled]

    def extra_seconds(self, spec: ScaleSpec, starts_run: bool, cold: bool = True) -> Span:
        """The first step's cost beyond a step: building the scale, and for the run's first the network
        (``cold``: reading the weights too)."""
        step = self.step_seconds(spec)
        build = step.scaled(self._build_ratio(spec.tile is not None))
        if not starts_run:
            return build
        unsure = self.noise if self.measured else UNMEASURED[self.kind]
        return build + Span.around(self.startup[cold], unsure)

    # -- a scale's steps ---------------------------------------------------------------------

    def settle_points(self, kind: str) -> list[tuple[int, bool]]:
        """Where past scales of this kind (``settle_kind``) settled, in steps run: (steps, True), or
        (budget, False) for one that ran its whole budget (it would have settled later, if at all)."""
        return [
            (r.taken, r.settled)
            for r in self.records
            if settle_kind(r.index, r.final) == kind and r.stop_early and r.from_start and r.complete
        ][-KEPT_SETTLES:]

    def steps(self, spec: ScaleSpec, taken: int = 0) -> Span:
        """The steps still to run at ``spec``'s scale, ``taken`` already run there in this run."""
        left = max(0, spec.steps_left - taken)
        if not spec.stop_early or left == 0:
            return Span(left, left, left)
        # A scale that ran its whole budget says only that it would have settled later, if at all: where
        # that budget is at least this one's, this one runs whole too; a smaller one says nothing here.
        kind = settle_kind(spec.index, spec.final)
        stops = [
            p if settled else taken + left for p, settled in self.settle_points(kind) if settled or p >= taken + left
        ]
        prior = PRIOR_SETTLE[kind]
        stops += prior[: max(0, len(prior) - len(stops))]  # few of its own yet: the priors fill in
        beyond = [p - taken for p in stops if p > taken]
        if not beyond:
            # Past every stop seen: it settles at a look to come (every LOOK_EVERY steps, from MIN_STAGE_STEPS).
            nxt = max(MIN_STAGE_STEPS - taken, LOOK_EVERY - taken % LOOK_EVERY)
            return Span(min(left, nxt), min(left, nxt), left)
        low, mid, high = (min(left, _quantile(beyond, q)) for q in STOP_QUANTILES)
        return Span(low, mid, high)

    # -- a whole run ------------------------------------------------------------------------------

    def forecast(self, specs: Sequence[ScaleSpec], cold: bool = True) -> Span:
        """The seconds a run of ``specs`` takes, from its start (``cold``: the weights are still to read)."""
        total = ZERO
        for i, spec in enumerate(specs):
            total = total + self.steps(spec) * self.step_seconds(spec) + self.extra_seconds(spec, i == 0, cold)
        return total


def settle_kind(index: int, final: bool) -> str:
    """Which scales settle alike: the output scale; the first, which starts from the photo; those between."""
    return "final" if final else "first" if index == 0 else "middle"


def _log_interpolate(points: Sequence[tuple[float, float]], x: float) -> float:
    """y at ``x`` along ``points`` (x, y), straight on a log-log scale; beyond them, the nearest segment's slope
    (1 for a single point), held between 1 and 1.3: a step's cost never grows slower than its pixels."""
    if len(points) == 1:
        return points[0][1] * x / points[0][0]
    pairs = list(itertools.pairwise(points))
    (x0, y0), (x1, y1) = next(((a, b) for a, b in pairs if x <= b[0]), pairs[-1])
    if x < points[0][0]:
        (x0, y0), (x1, y1) = pairs[0]
    slope = math.log(y1 / y0) / math.log(x1 / x0)
    if not x0 <= x <= x1:
        slope = min(max(slope, 1.0), 1.3)
    anchor_x, anchor_y = (x0, y0) if x <= x1 else (x1, y1)
    return anchor_y * (x / anchor_x) ** slope


def format_span(span: Span | None) -> str:
    """``about 1:20``, or ``1:10-1:40`` where the range is wide; ``?`` when unknown."""
    from .progress import format_duration

    if span is None:
        return "?"
    if span.sure:
        return f"about {format_duration(span.mid)}"
    return f"{format_duration(span.low)}-{format_duration(span.high)}"
