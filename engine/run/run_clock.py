"""The time left in a run as it goes, and how far it is, by time rather than by step number.

Fed every ``Progress`` of a run, it says the time left (a ``Span``: a range
while it is unsure) and the share of the run done. The step the scale is
at runs at the pace of that scale's last steps; the scales to come at the
model's seconds (``engine.run.time_model``) times what this run has shown
of the machine against the model (a busy machine is slower than its
history); each scale's steps are the model's, given the steps it has run
(a scale that has not settled by its usual stop is likelier to run long).

The step counter is no measure of how far a run is: a scale that settles
early jumps it to the scale's end (61, 954, then 2000 of 2000, with the
time left 8:48, 10:42, 0:26), and a late step costs a hundred early ones.
The share done here is the time spent over the time spent and left, and it
never goes back.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Sequence

import torch

from ..network.vgg_weights import weights_loaded
from ..settings.style_params import StyleParams
from .progress import Progress
from .time_history import RECENT_STEPS, RunHistory, RunLog, ScaleRecord
from .time_model import MEASURED, PER_OCTAVE, ZERO, ScaleSpec, Span, TimeModel, device_key, plan_run

FINISHING = 0.99  # the share shown until the run says it has finished
TIMED_STEPS = 3  # a scale's steps after its first that time it: the second step often pays for warming up


class RunClock:
    """Time left and share done of one run of ``specs`` (``engine.run.time_model.plan_run``).

    ``cold``: the network's weights are still to be read. ``free_bytes`` and
    ``dtype`` plan the scales again if the size or steps change part-way.
    It keeps what the run's scales took, for the history: ``records()``.
    """

    def __init__(
        self,
        model: TimeModel,
        specs: Sequence[ScaleSpec],
        *,
        cold: bool = True,
        free_bytes: int | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.model = model
        self._specs = {s.index: s for s in specs}
        self.forecast = model.forecast(specs, cold)  # before the first step
        self._free, self._dtype = free_bytes, dtype
        self._plan: tuple | None = None
        self._mark = 0.0  # elapsed at the last report
        self.elapsed = 0.0
        self._scale: int | None = None  # the scale being painted
        self._step = -1  # the plan step last reported
        self._taken = 0  # steps run at that scale in this run
        self._recent: deque[float] = deque(maxlen=RECENT_STEPS)  # its steps' seconds, after its first
        self._ratio: float | None = None  # this run's steps against the model's
        self._anchor: ScaleSpec | None = None  # the scale that ratio was measured at
        self._done = 0.0
        self.finished = False
        self._log = RunLog({s.index: (s.boxes, s.tiles) for s in specs}, cold)

    def records(self) -> list[ScaleRecord]:
        """What this run's scales took, for ``RunHistory.add``."""
        return self._log.records()

    def add(self, p: Progress) -> None:
        self._log.add(p)
        seconds, self._mark = p.elapsed - self._mark, p.elapsed
        self.elapsed = p.elapsed
        if p.finished:
            self.finished = True
            self._done = 1.0
            return
        if not p.adjusting:  # a preview's or the loupe's step takes time but no step of the plan
            self._plan_step(p, seconds)
        self._done = max(self._done, self._share())

    def _plan_step(self, p: Progress, seconds: float) -> None:
        plan = (p.params.size, p.params.steps, p.params.stop_early, p.params.tile)
        if self._plan is not None and plan != self._plan:
            # A new size or step budget part-way: the scales to come are those of the new plan.
            specs = plan_run((p.width, p.height), p.params, 0, self._free, self._dtype)
            self._specs = {s.index: s for s in specs}
        self._plan = plan
        if p.scale == self._scale and p.step == self._step:
            return  # the closing report repeats the last step
        self._step = p.step
        if p.scale != self._scale:
            self._scale, self._taken = p.scale, 1
            self._recent.clear()
            return
        self._taken += 1
        self._recent.append(seconds)
        spec = self._specs.get(p.scale)
        if spec is not None and len(self._recent) >= TIMED_STEPS:
            self._ratio = statistics.median(self._recent) / self.model.step_seconds(spec).mid
            self._anchor = spec

    def _step_seconds(self, spec: ScaleSpec) -> Span:
        """A step's seconds at ``spec``: the model's, put through what this run has measured."""
        model = self.model.step_seconds(spec)
        if self._ratio is None or self._anchor is None:
            return model
        # What a run shows at one size says less of another, far larger one: on a shared 2-core CPU, 128 px
        # steps were 0.65 to 2.4 times their history while the same runs' 256 and 512 px ones were 0.65 to
        # 1.46 times theirs (a third to a half of it, in logarithms, or less). The ratio counts in full at
        # its own size, half three octaves of pixels away (one scale up is two), a third six octaves away.
        octaves = abs(math.log2(spec.boxes / self._anchor.boxes))
        weight = 1 / (1 + octaves / 3)
        if not self.model.measured:
            # No history here: the priors' level is another CPU's (half to twice this one's), and this run's
            # steps are all there is of this machine. Only the priors' shape is carried to other sizes. (The
            # first run on a quiet CPU twice as fast as the priors' was 26 % off at 10 % with the ratio in part.)
            weight = 1.0
        ratio = self._ratio**weight
        # The model's shape from the size measured to this one (as sure as the model, or as the distance),
        # and the part of the ratio left out, either way.
        unsure = min(model.high / model.mid - 1, self.model.noise + PER_OCTAVE * octaves)
        unsure += max(self._ratio, 1 / self._ratio) ** (1 - weight) - 1
        if (spec.tile is None) != (self._anchor.tile is None):
            unsure = model.high / model.mid - 1  # tiled against whole: the model's own factor
        return Span.around(model.mid * ratio, unsure)

    def seconds_left(self) -> Span:
        """All the time still to come (a range while unsure); the forecast before the first report."""
        if self.finished:
            return ZERO
        if self._scale is None:
            return self.forecast
        total = ZERO
        spec = self._specs.get(self._scale)
        if spec is not None and self._step < spec.end:
            if len(self._recent) >= TIMED_STEPS:
                rate = Span.around(statistics.median(self._recent), MEASURED)
            else:
                rate = self._step_seconds(spec)
            total = total + self.model.steps(spec, self._taken) * rate
        for later in self._specs.values():
            if later.index > self._scale:
                step = self._step_seconds(later)
                scaled = step.mid / self.model.step_seconds(later).mid  # building it slows down alike
                extra = self.model.extra_seconds(later, starts_run=False).scaled(scaled)
                total = total + self.model.steps(later) * step + extra
        return total

    def _share(self) -> float:
        left = self.seconds_left().mid
        if self.elapsed + left <= 0:
            return 0.0
        return min(FINISHING, self.elapsed / (self.elapsed + left))

    def fraction(self) -> float:
        """The share of the run done, by time: never less than it was, 1 only once the run has finished."""
        return self._done

    def steps_per_second(self) -> float | None:
        """Over the last steps at the scale being painted (a run-long average would mix in every scale)."""
        if not self._recent:
            return None
        median = statistics.median(self._recent)
        return 1.0 / median if median > 0 else None


def start_clock(
    history: RunHistory,
    content_size: tuple[int, int],
    params: StyleParams,
    start_step: int = 0,
    *,
    free_bytes: int | None = None,
    dtype: torch.dtype | None = None,
) -> RunClock:
    """The clock of a run about to start: ``params`` on a photo of ``content_size`` (width, height) from
    ``start_step``, timed by this machine's ``history`` on the device the run will use. ``free_bytes`` and
    ``dtype`` decide which scales are tiled, as the run will (None: the memory is not known)."""
    device = device_key(params)
    if dtype is None:
        dtype = getattr(torch, device.rsplit(", ", 1)[-1], torch.float32)
    model = TimeModel(history.for_device(device), device, params.style_loss)
    specs = plan_run(content_size, params, start_step, free_bytes, dtype)
    return RunClock(model, specs, cold=not weights_loaded(params.weights), free_bytes=free_bytes, dtype=dtype)
