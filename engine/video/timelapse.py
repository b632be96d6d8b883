"""A time-lapse of a run: its pictures kept as it paints, written as an MP4 (H.264) or an animated GIF.

Recording costs the run nothing: the engine makes a fresh preview array at
most ten times a second whether anyone watches or not (``engine.run.progress``),
and the recorder only keeps references to some of them. It keeps them evenly
spaced in painting time (pauses excluded) in bounded memory: when it holds
``capacity`` frames it drops every other one and records half as often.

Writing samples that record at even times over the whole run, so that a
slow scale takes the share of the video it took of the artist's wait. Every
frame is enlarged to one size (a coarse scale's small picture too), so the
video never jumps, and the finished picture is held at the end.
"""

from __future__ import annotations

import bisect
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..errors import BrushworkError
from ..files.atomic_write import write_atomically
from ..run.progress import Progress

FORMATS = {".mp4": "MP4 (H.264)", ".gif": "GIF"}
# Frames kept: 240 at a 512 x 341 run are 126 MB. A time-lapse of the default
# length needs 120 (8 s at 15 frames a second), and thinning keeps 120 to 240.
CAPACITY = 240
# Larger pictures (a print-size run on the command line) are kept reduced to
# this long side, which is also the largest time-lapse: a video for sharing.
MAX_SIDE = 1280
FIRST_INTERVAL = 0.1  # seconds of painting between kept frames, at first (the engine's preview rate)
GIF_COLOURS = 255  # and one more index, for "unchanged since the last frame"
PALETTE_SAMPLES = 8  # pictures the GIF's one palette is made from
MP4_QUALITY = 20  # x264's constant rate factor: 18-23 looks like the source at a modest size


@dataclass(frozen=True)
class TimelapseOptions:
    """How a time-lapse is written.

    ``long_side`` 0 takes the picture's own long side (up to ``MAX_SIDE``); a
    larger one than the picture enlarges it. ``seconds`` is the length before
    the finished picture's ``hold``.
    """

    long_side: int = 0
    fps: float = 15.0
    seconds: float = 8.0
    hold: float = 1.5

    def check(self) -> None:
        if not 16 <= self.long_side <= MAX_SIDE and self.long_side != 0:
            raise BrushworkError(f"A time-lapse is 16 to {MAX_SIDE} px on its long side, not {self.long_side}")
        if not 1 <= self.fps <= 60:
            raise BrushworkError(f"A time-lapse plays at 1 to 60 frames a second, not {self.fps:g}")
        if not 1 <= self.seconds <= 600 or not 0 <= self.hold <= 30:
            raise BrushworkError("A time-lapse lasts 1 to 600 s, and holds its end for up to 30 s")


@dataclass(frozen=True, eq=False)
class Recording:
    """A recorder's frames at one moment, to write on another thread: times in seconds of painting, rising."""

    times: tuple[float, ...]
    frames: tuple[np.ndarray, ...]  # uint8 H x W x 3; never written to once made (they are the engine's previews)


@dataclass(frozen=True)
class TimelapseWritten:
    """What was written: for the artist's message and for tests."""

    path: Path
    frames: int
    width: int
    height: int
    seconds: float


class TimelapseRecorder:
    """Keeps a run's pictures evenly spaced in painting time, in bounded memory.

    ``begin`` at each run: a run that continues from the picture on screen
    (a changed size, an image swapped mid-run) goes on in the same recording;
    a fresh one clears it. Not thread-safe: feed it from one thread.
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = max(4, capacity)
        self._times: list[float] = []
        self._frames: list[np.ndarray] = []
        self._interval = FIRST_INTERVAL
        self._base = 0.0  # painting time before this run
        self._latest: tuple[float, np.ndarray] | None = None  # the newest picture, kept or not
        self._size = (0, 0)

    def begin(self, continuing: bool) -> None:
        if not continuing:
            self._times, self._frames, self._latest = [], [], None
            self._interval, self._base = FIRST_INTERVAL, 0.0
        else:
            self._base = self.duration

    def add(self, progress: Progress) -> None:
        if progress.preview is None or progress.loupe is not None:
            return  # the loupe's square is a look at a change, not a stage of the picture
        when = self._base + progress.elapsed
        height, width = progress.preview.shape[:2]
        self._size = (width, height)  # as painted, whatever is kept
        self._latest = (when, progress.preview)
        # One frame per slot of ``interval`` seconds: the first picture made in it.
        if self._times and self._slot(when) == self._slot(self._times[-1]) and not progress.finished:
            return
        frame = _reduced(progress.preview)  # only what is kept: a print-size preview costs a resize
        self._latest = (when, frame)
        self._times.append(when)
        self._frames.append(frame)
        if len(self._frames) > self.capacity:
            # Slots twice as long, each keeping its first frame: still evenly spaced, and half as many.
            self._interval *= 2
            kept = [0] + [
                i for i in range(1, len(self._times)) if self._slot(self._times[i]) != self._slot(self._times[i - 1])
            ]
            self._times = [self._times[i] for i in kept]
            self._frames = [self._frames[i] for i in kept]

    def _slot(self, when: float) -> int:
        return int(when // self._interval)

    @property
    def frames(self) -> int:
        return len(self._frames) + (1 if self._latest_is_extra() else 0)

    @property
    def duration(self) -> float:
        """Seconds of painting recorded."""
        return self._latest[0] if self._latest is not None else 0.0

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) of the newest picture, as painted."""
        return self._size if self._latest is not None else None

    def recording(self) -> Recording:
        """The kept frames and their times, the newest picture last."""
        times, frames = list(self._times), list(self._frames)
        if self._latest_is_extra():
            times.append(self._latest[0])
            frames.append(_reduced(self._latest[1]))
        return Recording(tuple(times), tuple(frames))

    def _latest_is_extra(self) -> bool:
        return self._latest is not None and (not self._frames or self._frames[-1] is not self._latest[1])


def _reduced(picture: np.ndarray) -> np.ndarray:
    height, width = picture.shape[:2]
    if max(height, width) <= MAX_SIDE:
        return picture
    image = Image.fromarray(picture)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(image)


def frame_size(picture_size: tuple[int, int], long_side: int, even: bool = True) -> tuple[int, int]:
    """(width, height) of the video: the picture's aspect at ``long_side`` (0: its own); ``even`` for H.264."""
    width, height = picture_size
    side = long_side or min(max(width, height), MAX_SIDE)
    scale = side / max(width, height)
    if not even:
        return max(1, round(width * scale)), max(1, round(height * scale))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def sampled(times: tuple[float, ...], count: int) -> list[int]:
    """Indices of the frames on screen at ``count`` even times from the first to the last."""
    if not times:
        return []
    if count <= 1 or times[-1] <= times[0]:
        return [len(times) - 1] * max(1, count)
    span = times[-1] - times[0]
    moments = [times[0] + span * i / (count - 1) for i in range(count)]
    # The picture shown at a moment is the last one made at or before it.
    return [max(0, bisect.bisect_right(times, moment + 1e-9) - 1) for moment in moments]


def _frames(
    recording: Recording, options: TimelapseOptions, even: bool = True
) -> tuple[list[tuple[Image.Image, int]], tuple]:
    """(picture, how many frames it stays) in order, and the video's (width, height)."""
    times, frames = recording.times, recording.frames
    if not frames:
        raise BrushworkError("There is nothing to make a time-lapse of yet: start a run first.")
    size = frame_size((frames[-1].shape[1], frames[-1].shape[0]), options.long_side, even)
    picks = sampled(times, max(2, round(options.seconds * options.fps)))
    picks += [len(frames) - 1] * round(options.hold * options.fps)
    runs: list[list[int]] = []
    for index in picks:  # consecutive repeats of a frame are resized once
        if runs and runs[-1][0] == index:
            runs[-1][1] += 1
        else:
            runs.append([index, 1])
    # A coarse scale's picture is enlarged to the video's size; a picture of another
    # aspect (the photo was swapped mid-run) is fitted in with bars, never stretched.
    pictures = [
        (ImageOps.pad(Image.fromarray(frames[i]), size, Image.Resampling.BICUBIC, color="black"), n) for i, n in runs
    ]
    return pictures, size


def write_timelapse(recording: Recording, path: Path, options: TimelapseOptions) -> TimelapseWritten:
    """Write the recorded run to ``path`` (.mp4 or .gif), atomically; raises BrushworkError with a clear message."""
    options.check()
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise BrushworkError(f"A time-lapse is written as .mp4 or .gif, not {path.suffix or 'a file without one'}")
    # H.264 in 4:2:0 needs even sides; a GIF takes any.
    pictures, (width, height) = _frames(recording, options, even=suffix == ".mp4")
    count = sum(n for _, n in pictures)
    try:
        if suffix == ".mp4":
            write_atomically(path, lambda handle: _write_mp4(handle, pictures, width, height, options.fps))
        else:
            write_atomically(path, lambda handle: _write_gif(handle, pictures, options.fps))
    except OSError as exc:
        raise BrushworkError(f"Could not write the time-lapse {path}: {exc.strerror or exc}") from exc
    except Exception as exc:  # FFmpeg's and Pillow's encoders raise their own kinds; the artist needs the message
        raise BrushworkError(f"Could not encode the time-lapse {path.name}: {exc}") from exc
    return TimelapseWritten(path, count, width, height, count / options.fps)


def _each_frame(pictures: list[tuple[Image.Image, int]]) -> Iterator[Image.Image]:
    for picture, repeats in pictures:
        for _ in range(repeats):
            yield picture


def _write_mp4(handle: io.BufferedIOBase, pictures, width: int, height: int, fps: float) -> None:
    import av  # only here: the live run never needs FFmpeg

    with av.open(handle, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"  # what every player decodes
        stream.options = {"crf": str(MP4_QUALITY)}
        for picture in _each_frame(pictures):
            frame = av.VideoFrame.from_ndarray(np.asarray(picture.convert("RGB")), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def _write_gif(handle: io.BufferedIOBase, pictures, fps: float) -> None:
    # A GIF frame's duration is in hundredths of a second: a picture that stays
    # for several frames is one GIF frame that lasts as long, which keeps the
    # file small and the timing exact. One palette for every frame and no
    # dithering: per-frame palettes flicker, and dithering's noise defeats
    # GIF's compression (a painting's texture is noisy enough).
    # A pixel whose colour did not change since the last frame is written as
    # transparent (the last frame shows through), and runs of those compress
    # well: late in a run most of the picture stays.
    palette = _shared_palette([picture for picture, _ in pictures])
    colours = palette.getpalette()[: 3 * GIF_COLOURS]
    colours = [*colours, *[0] * (3 * GIF_COLOURS - len(colours)), 0, 0, 0]  # a picture may have fewer colours
    frames, previous = [], None
    for picture, _ in pictures:
        indices = np.asarray(picture.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE))
        shown = indices if previous is None else np.where(indices == previous, GIF_COLOURS, indices)
        frame = Image.fromarray(shown.astype(np.uint8))
        frame.putpalette(colours)  # indices into the shared palette, the last one "unchanged"
        frames.append(frame)
        previous = indices
    # Each frame ends at its own time rounded to the hundredth, so the roundings never add up.
    ends = list(itertools.accumulate(repeats for _, repeats in pictures))
    stamps = [0] + [round(100 * end / fps) * 10 for end in ends]
    durations = [max(20, stamps[i + 1] - stamps[i]) for i in range(len(pictures))]
    frames[0].save(
        handle,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        transparency=GIF_COLOURS,
        disposal=1,  # keep each frame under the next, for its transparent pixels
        optimize=False,
    )


def _shared_palette(pictures: list[Image.Image]) -> Image.Image:
    """One palette for the whole run: from a few pictures spread over it (its start has the photo's colours)."""
    picks = sorted({round(i * (len(pictures) - 1) / (PALETTE_SAMPLES - 1)) for i in range(PALETTE_SAMPLES)})
    thumbs = []
    for i in picks:
        thumb = pictures[i].convert("RGB")
        thumb.thumbnail((128, 128))
        thumbs.append(thumb)
    sheet = Image.new("RGB", (max(t.width for t in thumbs), sum(t.height for t in thumbs)))
    top = 0
    for thumb in thumbs:
        sheet.paste(thumb, (0, top))
        top += thumb.height
    # Octree keeps small areas of a distinct hue (a green eye) better than median cut, and is 8x faster here.
    return sheet.quantize(GIF_COLOURS, Image.Quantize.FASTOCTREE)
