"""What this machine's past runs took, scale by scale: what ``engine.run.time_model`` learns from.

Every run, in the studio, a print render or ``brushwork-render``, leaves one
``ScaleRecord`` per scale it painted: the size, whole or in tiles, the steps
its budget allowed and the steps it took (a scale that settles early takes
fewer, ``engine.run.convergence``), the seconds of its steps and of its first
one (which builds the scale's targets, and for the run's first scale loads
the network too). They are kept with the settings, in the app-data folder
(``engine.files.app_dirs``), the newest ``KEPT_RECORDS`` of them, under the
device and number format that ran them: a CPU's figures say nothing of a GPU's.
"""

from __future__ import annotations

import json
import logging
import statistics
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..files.atomic_write import write_atomically
from .progress import Progress
from .schedule import plan_stages

log = logging.getLogger(__name__)

HISTORY_FILE = "run_times.json"
KEPT_RECORDS = 400  # about 100 runs of 4 scales: enough for every size in use, small enough to read at once
RECENT_STEPS = 8  # a scale's step time is the median of its last steps: a busy moment of the machine passes


@dataclass(frozen=True)
class ScaleRecord:
    """One scale of a past run on ``device`` (``Progress.device``: the device and the number format)."""

    device: str
    index: int  # the scale's place in its plan (0: the first, which starts from the photo)
    side: int  # long side, px
    pixels: int  # width x height of the picture at this scale
    tile: int | None  # the tile side, or None when painted whole
    boxes: int  # the pixels a tiled step computes, its tiles' boxes (halos included); the picture's when whole
    tiles: int  # how many tiles (0: whole)
    final: bool  # the output scale
    budget: int  # the steps the plan gave the scale
    taken: int  # the steps it ran
    settled: bool  # it ended early, its picture still (stop_early)
    complete: bool  # it ran until it settled or its budget was spent (not stopped, not replanned)
    from_start: bool  # it ran from its first step (not resumed part-way)
    stop_early: bool
    step_seconds: float | None  # the median of its last steps after the first; None with fewer than two
    first_seconds: float  # its first step, with building the scale (and for ``starts_run``, the network)
    starts_run: bool  # the first scale of its run: the first step also built the network...
    cold: bool  # ...and read the weights (the first run of a process; later ones find them loaded)
    when: float  # time.time() at the end of the run
    # The texture statistic (``StyleParams.style_loss``): w2 and sliced cost more a step than gram, so each
    # is timed from its own runs. Records written before there was a choice were gram's.
    statistic: str = "gram"

    @property
    def extra_seconds(self) -> float | None:
        """What the first step cost beyond a step: building the scale (and the network)."""
        return None if self.step_seconds is None else max(0.0, self.first_seconds - self.step_seconds)


class RunHistory:
    """The records kept in ``path`` (None: in memory only, as a test or a script wants)."""

    def __init__(self, path: Path | None, records: Iterable[ScaleRecord] = ()) -> None:
        self.path = path
        self.records: list[ScaleRecord] = list(records)  # replaced whole by add: a reader keeps a consistent list
        self._adding = threading.Lock()  # the live run and a print render add from their own writer threads

    @classmethod
    def in_folder(cls, folder: Path) -> RunHistory:
        """The history kept in ``folder`` (the app-data folder), read now; an unreadable file counts as none."""
        path = Path(folder) / HISTORY_FILE
        return cls(path, _read(path))

    def for_device(self, device: str) -> list[ScaleRecord]:
        return [r for r in self.records if r.device == device]

    def last_device(self) -> str | None:
        """The device and number format of the newest run: what the next run most likely uses."""
        return max(self.records, key=lambda r: r.when).device if self.records else None

    def add(self, records: Iterable[ScaleRecord]) -> None:
        """Keep ``records`` (the oldest go beyond ``KEPT_RECORDS``) and write the file, if there is one."""
        new = list(records)
        if not new:
            return
        with self._adding:
            self.records = (self.records + new)[-KEPT_RECORDS:]
            if self.path is None:
                return
            data = json.dumps({"version": 1, "scales": [asdict(r) for r in self.records]}, indent=0)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(self.path, data.encode())
            except OSError as exc:  # a history not kept only makes the next estimate less sure
                log.warning("could not keep the run's times in %s: %s", self.path, exc)


def _read(path: Path) -> list[ScaleRecord]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("ignoring the run times in %s: %s", path, exc)
        return []
    names = {f.name for f in fields(ScaleRecord)}
    records = []
    for entry in data.get("scales", []) if isinstance(data, dict) else []:
        try:
            records.append(ScaleRecord(**{k: v for k, v in entry.items() if k in names}))
        except TypeError:  # a field missing: written by another version
            continue
    return records


class _ScaleLog:
    def __init__(self, p: Progress, seconds: float, from_start: bool, starts_run: bool) -> None:
        self.first = p
        self.last = p
        self.seconds = [seconds]
        self.from_start = from_start
        self.starts_run = starts_run


class RunLog:
    """Turns a run's reports into ``ScaleRecord``\\ s: feed it every ``Progress``, then take ``records()``.

    A step's seconds are the ``elapsed`` between its report and the one
    before; a preview's or the loupe's steps (``Progress.adjusting``) are no
    step of the plan, and neither is their time. A run whose size, steps or
    tiles change part-way is recorded up to the change.
    """

    def __init__(self, boxes: dict[int, tuple[int, int]] | None = None, cold: bool = True) -> None:
        # Per scale index, the pixels a tiled step computes and its tiles (engine.run.time_model.ScaleSpec).
        self._boxes = boxes or {}
        self._cold = cold  # the weights were not loaded in this process when the run started
        self._scales: dict[int, _ScaleLog] = {}
        self._elapsed = 0.0
        self._last: Progress | None = None
        self._plan: tuple | None = None
        self._replanned = False

    def add(self, p: Progress) -> None:
        seconds, self._elapsed = p.elapsed - self._elapsed, p.elapsed
        if p.adjusting or self._replanned:
            return
        plan = (p.params.size, p.params.steps, p.params.stop_early, p.params.tile, p.params.style_loss)
        if self._plan is None:
            self._plan = plan
        elif plan != self._plan:
            self._replanned = True  # the scale going on no longer follows the plan it started with
            return
        last, self._last = self._last, p
        if last is not None and p.step == last.step and p.scale == last.scale:
            return  # the run's closing report repeats its last step
        scale = self._scales.get(p.scale)
        if scale is None:
            stage = plan_stages(p.params.size, p.params.steps)[p.scale]
            from_start = p.step - 1 == stage.first_step
            self._scales[p.scale] = _ScaleLog(p, seconds, from_start, starts_run=last is None)
        else:
            scale.seconds.append(seconds)
            scale.last = p

    def records(self, when: float | None = None) -> list[ScaleRecord]:
        when = time.time() if when is None else when
        out = []
        for index, scale in self._scales.items():
            first, last = scale.first, scale.last
            stages = plan_stages(first.params.size, first.params.steps)
            stage = stages[index]
            taken = len(scale.seconds)
            ended = last.step >= stage.end
            later = scale.seconds[1:][-RECENT_STEPS:]
            pixels = first.width * first.height
            boxes, tiles = self._boxes.get(index, (pixels, 0))
            out.append(
                ScaleRecord(
                    device=first.device,
                    index=index,
                    side=stage.side,
                    pixels=pixels,
                    tile=first.tile,
                    boxes=boxes,
                    tiles=tiles,
                    final=index == len(stages) - 1,
                    budget=stage.steps,
                    taken=taken,
                    settled=ended and taken < stage.end - (first.step - 1),
                    complete=ended,
                    from_start=scale.from_start,
                    stop_early=first.params.stop_early,
                    step_seconds=statistics.median(later) if later else None,
                    first_seconds=scale.seconds[0],
                    starts_run=scale.starts_run,
                    cold=scale.starts_run and self._cold,
                    when=when,
                    statistic=first.params.style_loss,
                )
            )
        return out
