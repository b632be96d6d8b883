"""Painting a clip frame by frame, each frame held to the last one (Ruder, Dosovitskiy & Brox 2016).

Painted on its own, every frame finds its own strokes and the clip flickers.
Here, as in the paper:

- the first frame is painted like a picture, coarse to fine;
- every later frame starts from the last painted frame, warped onto it by the
  optical flow between the two photo frames (``engine.video.optical_flow``), and
  from its photo where that flow cannot be trusted (the paper warps there too);
- and a temporal term keeps it close to that warped frame wherever the flow
  can be trusted (``engine.objective.temporal_term``), leaving occluded parts and motion
  boundaries free to be painted afresh.

Later frames run only at the output size, for ``frame_steps`` steps: starting
from the warped frame, the picture is most of the way there. Not done here:
the paper's long-term term (several earlier frames) and its multi-pass
variant, which helps at the edges of long camera moves.

Each finished frame is saved as a PNG in a work folder beside the output with
what it was painted from; a run that was cancelled or cut off goes on from the
first frame not yet saved when it is started again with the same clip,
paintings and settings. The clip is encoded, with its sound, at the end.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import shutil
import statistics
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import BrushworkError, ParamsError
from ..files.atomic_write import write_atomically
from ..objective.temporal_term import TEMPORAL_WEIGHT, TemporalTarget
from ..pictures import images
from ..run.progress import Progress
from ..run.schedule import plan_stages
from ..run.style_transfer import StyleTransfer
from ..run.time_model import MEASURED, Span
from ..settings.style_params import StyleParams
from .clip_files import ClipInfo, even_dims, probe, read_frames, write_clip
from .optical_flow import frame_motion, start_picture, warp

log = logging.getLogger(__name__)

# Steps for each frame after the first, at the output size. Starting from the
# warped last frame, 40 (fewer where the frame settles) keep the scorer total
# within 3 % of a frame painted from scratch with the full plan, in a quarter
# to a third of its time (tests/benchmarks/bench_video.py).
FRAME_STEPS = 40
WORK_SUFFIX = ".frames"
JOB_FILE = "job.json"  # in the work folder: what its frames were painted from


@dataclass(frozen=True)
class VideoSettings:
    """How a clip is painted beyond the picture's own settings.

    ``temporal_weight`` 0 still starts each frame from the warped last one, but
    without the temporal term; ``independent`` paints every frame from its own
    photo with the full plan, as a batch of pictures would (it flickers: for
    comparison).
    """

    temporal_weight: float = TEMPORAL_WEIGHT
    frame_steps: int = FRAME_STEPS
    independent: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.temporal_weight <= 1e4:
            raise ParamsError(f"temporal weight must be from 0 to 10000, not {self.temporal_weight}")
        if not 1 <= self.frame_steps <= 10_000:
            raise ParamsError(f"steps per frame must be from 1 to 10000, not {self.frame_steps}")


@dataclass(frozen=True)
class FrameProgress:
    """One step of one frame: ``frame`` is 0-based, ``frames`` the clip's count; ``step`` is the engine's report."""

    frame: int
    frames: int
    step: Progress | None
    frame_step: int = 0  # steps this frame has taken (the engine's step counts the whole plan)
    frame_steps: int = 0  # steps this frame is given (a frame that settles may stop sooner)
    frame_finished: bool = False
    resumed: int = 0  # frames taken from an earlier run's work folder
    finished: bool = False  # every frame painted and the clip written

    @property
    def fraction(self) -> float:
        """How much of the whole clip is painted."""
        painting = self.step is not None and not self.frame_finished and self.frame_steps > 0
        within = min(1.0, self.frame_step / self.frame_steps) if painting else 0.0
        done = self.frame + (1 if self.frame_finished else 0)
        return min(1.0, (done + within) / max(1, self.frames))

    @property
    def frames_left(self) -> float:
        """Frames still to paint, the one being painted by its share left (for ``seconds_left``)."""
        return self.frames * (1 - self.fraction)


def clip_dims(info: ClipInfo, size: int) -> tuple[int, int]:
    """(height, width) a clip is painted at for a long side of ``size``: even, as H.264 in 4:2:0 needs."""
    return even_dims(*images.fit_dims(info.width, info.height, size))


def seconds_left(finished_at: list[float], frames_left: float) -> Span | None:
    """The clip's time left: ``frames_left`` (the frame being painted counts by its share still to paint) at
    the pace of the frames after the first, given ``finished_at``, the monotonic end times of the frames
    finished so far; None before two have ended. The first frame, painted coarse to fine, is slower.

    A range as wide as the later frames have strayed from each other (the fastest to the slowest), and 10 %
    more either way (``MEASURED``, the time model's least doubt on a step): each later frame paints the same
    size for the same steps, so its time differs only with the machine's pace, and a busy machine makes
    the next frames slower than the last."""
    if len(finished_at) < 2:
        return None
    frames = [b - a for a, b in itertools.pairwise(finished_at)]
    left = max(0.0, frames_left)
    return Span(
        left * min(frames) / (1 + MEASURED),
        left * statistics.median(frames),
        left * max(frames) * (1 + MEASURED),
    )


def frame_engine(
    photo: Image.Image,
    previous: tuple[Image.Image, Image.Image] | None,
    styles: Sequence[Image.Image],
    params: StyleParams,
    settings: VideoSettings,
) -> tuple[StyleTransfer, int]:
    """The engine for one frame, and the plan's step it starts at.

    ``previous`` is the last frame's (photo, painted picture), None for a
    clip's (or a chunk's) first frame. That one gets the full plan, as does
    every frame if ``settings.independent``; a later one runs at the output
    size only, from the warped last frame, and is held to it.
    """
    if previous is None or settings.independent:
        return StyleTransfer(photo, styles, params), 0
    photo_before, painted_before = previous
    backward, trust = frame_motion(photo_before, photo)
    warped = warp(np.asarray(painted_before), backward)
    temporal = None
    if settings.temporal_weight > 0:
        trust_mask = Image.fromarray((trust * 255).astype(np.uint8))  # 8-bit, one channel: mode "L"
        temporal = TemporalTarget(Image.fromarray(warped), trust_mask, settings.temporal_weight)
    begin = Image.fromarray(start_picture(warped, np.asarray(photo), trust))
    last = plan_stages(params.size, params.steps)[-1]
    start = last.end - min(settings.frame_steps, last.steps)
    engine = StyleTransfer(photo, styles, params, start_picture=begin, start_step=start, temporal=temporal)
    return engine, start


def frame_name(index: int) -> str:
    """A painted frame's file name in a work folder (``index`` 0-based, over the whole clip)."""
    return f"frame_{index:06d}.png"


def write_frame(path: Path, picture: Image.Image) -> None:
    """A painted frame as a PNG, written atomically; compressed lightly, since frames are many and go once
    the clip is encoded. Raises OSError."""
    write_atomically(path, lambda handle: picture.save(handle, format="PNG", compress_level=1))


def work_folder(output: Path) -> Path:
    """Where a clip's finished frames wait to be encoded: beside the output, so the artist can see it."""
    output = Path(output)
    return output.with_name(output.name + WORK_SUFFIX)


def new_work_folder(folder: Path, job: dict) -> None:
    """Empty ``folder`` (an earlier job's frames are of no use) and record ``job`` in it."""
    try:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        write_atomically(folder / JOB_FILE, json.dumps(job, indent=1).encode())
    except OSError as exc:
        raise BrushworkError(f"Cannot keep the painted frames in {folder}: {exc.strerror or exc}") from exc


def _styles_digest(styles: Sequence[Image.Image]) -> str:
    digest = hashlib.sha256()
    for style in styles:
        digest.update(f"{style.size}".encode())
        digest.update(style.convert("RGB").tobytes())
    return digest.hexdigest()


class ClipRender:
    """Paint ``clip`` in the style of ``style`` and write it to ``output``; iterate ``run()``.

    ``cancel()``, from any thread, stops within one step; the frames finished
    so far stay in the work folder, and a new ``ClipRender`` with the same
    inputs goes on from there.
    """

    def __init__(
        self,
        clip: str | Path,
        style: Image.Image | Sequence[Image.Image],
        params: StyleParams,
        output: str | Path,
        settings: VideoSettings | None = None,
    ) -> None:
        self.clip = Path(clip)
        self.output = Path(output)
        if self.output.resolve() == self.clip.resolve():
            raise BrushworkError(f"{self.output.name} is the clip being painted: write the painted clip elsewhere")
        self.styles = (style,) if isinstance(style, Image.Image) else tuple(style)
        self.settings = settings or VideoSettings()
        self.info: ClipInfo = probe(self.clip)
        height, width = clip_dims(self.info, params.size)
        self.dims = (height, width)
        # Frames are resized to even sides first, so that the plan's size gives exactly these dims.
        self.params = params.replace(size=max(height, width))
        self.work = work_folder(self.output)
        self._cancelled = threading.Event()
        self._engine: StyleTransfer | None = None
        self.finished = False  # True once every frame is painted and the clip written
        self.frames_read = 0  # the frames the clip gave, once read to its end (it may announce more)

    def cancel(self) -> None:
        self._cancelled.set()
        engine = self._engine
        if engine is not None:
            engine.cancel()

    def job(self) -> dict:
        """What the work folder was painted from: a later run goes on from it only for the very same job."""
        stat = self.clip.stat()
        return {
            "clip": str(self.clip.resolve()),
            "clip_bytes": stat.st_size,
            "clip_mtime_ns": stat.st_mtime_ns,
            "styles": _styles_digest(self.styles),
            "params": self.params.to_dict(),
            "settings": asdict(self.settings),
        }

    def frames_done(self) -> int:
        """Frames an earlier run of this job left in the work folder (0 if it was another job's)."""
        try:
            if json.loads((self.work / JOB_FILE).read_text()) != self.job():
                return 0
        except (OSError, ValueError):
            return 0
        done = 0
        while (self.work / frame_name(done)).is_file():
            done += 1
        return done

    def _start_work(self) -> int:
        """Make the work folder ready; the frames already painted for this very job."""
        done = self.frames_done()
        if done:
            return done
        new_work_folder(self.work, self.job())
        return 0

    @property
    def cut_short(self) -> bool:
        """True once the clip has been read to its end with fewer frames than it announced (a cut-off file)."""
        return 0 < self.frames_read < self.info.frames

    def short_note(self) -> str:
        """What to tell the artist about a cut-off clip ("" if it gave every frame it announced)."""
        if not self.cut_short:
            return ""
        return (
            f"{self.clip.name} announces {self.info.frames} frames, but only {self.frames_read} could be read "
            f"(is the file cut short?): the painted clip has those {self.frames_read}."
        )

    def run(self) -> Iterator[FrameProgress]:
        """Paint every frame not yet painted, then write the clip; yields a ``FrameProgress`` per step."""
        try:
            yield from self._run()
        except BrushworkError:
            if not self.frames_done():
                shutil.rmtree(self.work, ignore_errors=True)  # nothing painted to go on from
            raise

    def _run(self) -> Iterator[FrameProgress]:
        done = self._start_work()
        frames = self.info.frames
        if done:
            log.info("going on with %s from frame %d", self.clip.name, done + 1)
        previous: tuple[Image.Image, Image.Image] | None = None  # (photo, painted) of the last frame
        index = -1
        for index, frame in enumerate(read_frames(self.clip)):
            frames = max(frames, index + 1)
            if index < done - 1:
                continue  # painted by an earlier run; only the last of those is needed, to go on from
            photo = images.resize(frame.convert("RGB"), *self.dims)
            if index == done - 1:
                previous = (photo, Image.open(self.work / frame_name(index)).convert("RGB"))
                continue
            if self._cancelled.is_set():
                return
            engine, first_step = frame_engine(photo, previous, self.styles, self.params, self.settings)
            self._engine = engine
            if self._cancelled.is_set():  # a cancel that came while the engine was made
                return
            last = None
            for last in engine.run():
                taken, given = last.step - first_step, last.total_steps - first_step
                yield FrameProgress(index, frames, last, taken, given, resumed=done)
            if self._cancelled.is_set() or engine.cancelled:
                return
            painted = engine.result()
            self._save_frame(index, painted)
            previous = (photo, painted)
            yield FrameProgress(index, frames, last, frame_finished=True, resumed=done)
        count = self.frames_read = index + 1
        if count == 0:
            raise BrushworkError(f"{self.clip.name} has no frames that can be read")
        if self.cut_short:
            log.warning("%s announces %d frames but only %d could be read", self.clip.name, self.info.frames, count)
        write_clip((Image.open(self.work / frame_name(i)).convert("RGB") for i in range(count)), self.info, self.output)
        shutil.rmtree(self.work, ignore_errors=True)
        self.finished = True
        yield FrameProgress(count - 1, count, None, frame_finished=True, resumed=done, finished=True)

    def _save_frame(self, index: int, painted: Image.Image) -> None:
        try:
            write_frame(self.work / frame_name(index), painted)
        except OSError as exc:
            raise BrushworkError(f"Cannot save frame {index + 1} in {self.work}: {exc.strerror or exc}") from exc
