"""Reading a clip's frames and writing a painted clip with the original's timing and sound.

PyAV carries its own FFmpeg (with x264), so no system package is needed. A
clip is read once, front to back, one frame at a time: a long clip at full HD
never sits in memory. The painted clip is written at the clip's average frame
rate, one frame per input frame, so its length, and the sound that is copied
across, stay in step with the original.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import BrushworkError
from ..files.atomic_write import write_atomically

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
OUTPUT_FORMATS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}
VIDEO_QUALITY = 18  # x264's constant rate factor: a painting's fine strokes need more than a time-lapse's 20
# Sound that each container takes as it is; anything else is re-encoded as AAC.
_COPIED_AUDIO = {
    "mp4": {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"},
    "mov": {"aac", "mp3", "ac3", "eac3", "alac", "pcm_s16le", "pcm_s24le", "pcm_f32le"},
    "matroska": {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac", "vorbis", "pcm_s16le", "pcm_s24le"},
}


class VideoError(BrushworkError):
    """A clip could not be read or a painted clip could not be written."""


@dataclass(frozen=True)
class ClipInfo:
    """What a clip is: its frames, their rate and size, and its sound (the audio codec's name, or None)."""

    path: Path
    frames: int
    rate: Fraction
    width: int
    height: int
    audio: str | None

    @property
    def seconds(self) -> float:
        return float(self.frames / self.rate)


def is_video(path: str | Path) -> bool:
    """True for a file the engine treats as a clip (by its suffix; a GIF stays a picture)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def _open(path: Path):
    import av  # only here: painting a picture never needs FFmpeg

    if not path.is_file():
        raise VideoError(f"The clip {path} does not exist")
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise VideoError(f"{path.name} is not a video FFmpeg can read ({exc})") from exc
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path.name} has no video in it")
    return container


def probe(path: str | Path) -> ClipInfo:
    """The clip's frame count, rate, size and sound; raises VideoError for a file that is not a readable video."""
    import av

    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        width, height = stream.codec_context.width, stream.codec_context.height
        frames = stream.frames
        try:
            if not frames:
                # Some containers (WebM, AVI) do not record a count: count the packets, which decodes nothing.
                frames = sum(1 for packet in container.demux(stream) if packet.size)
        except av.FFmpegError as exc:
            raise VideoError(f"{path.name} is damaged: {exc}") from exc
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
    if not frames or not rate or not width or not height:
        raise VideoError(f"{path.name} has no frames that can be read")
    return ClipInfo(path, int(frames), Fraction(rate), int(width), int(height), audio)


def read_frames(path: str | Path, start: int = 0) -> Iterator[Image.Image]:
    """The clip's frames as RGB pictures, in order, from frame ``start`` (0-based)."""
    import av

    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        read = 0
        try:
            for frame in container.decode(stream):
                if read >= start:
                    yield frame.to_image()
                read += 1
        except av.FFmpegError as exc:
            where = f"after frame {read}" if read else "from its first frame on"
            raise VideoError(f"{path.name} is damaged {where}: {exc}") from exc


def frame_at(path: str | Path, index: int) -> Image.Image:
    """Frame ``index`` (0-based) of the clip, found by seeking to the key frame before it.

    For the window's scrubber: decoding from the start would take seconds on
    a long clip; a seek decodes at most one group of pictures.
    """
    import av

    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        base = stream.time_base
        start = stream.start_time or 0
        try:
            if rate and base:
                # The time the frame is shown at, less half a frame, so that rounding cannot skip it.
                wanted = start + int((Fraction(index) / Fraction(rate) - Fraction(1, 2) / Fraction(rate)) / base)
                container.seek(max(start, wanted), stream=stream, backward=True, any_frame=False)
                last = None
                for frame in container.decode(stream):
                    last = frame
                    if frame.pts is not None and frame.pts >= wanted:
                        return frame.to_image()
                if last is not None:
                    return last.to_image()
        except av.FFmpegError as exc:
            raise VideoError(f"Could not read frame {index + 1} of {path.name}: {exc}") from exc
    raise VideoError(f"{path.name} has no frame {index + 1}")


def even_dims(height: int, width: int) -> tuple[int, int]:
    """H.264 in 4:2:0 (what every player decodes) needs even sides: one pixel less where a side is odd."""
    return height - height % 2, width - width % 2


def write_clip(frames: Iterable[Image.Image], info: ClipInfo, path: str | Path) -> int:
    """Encode ``frames`` (all one even size) as H.264 at the clip's rate, with its sound; returns the frame count.

    Written atomically: an existing file is only replaced once the new one is whole.
    """
    path = Path(path)
    container_format = OUTPUT_FORMATS.get(path.suffix.lower())
    if container_format is None:
        raise VideoError(f"A painted clip is written as {', '.join(OUTPUT_FORMATS)}, not {path.suffix or 'no suffix'}")
    written = 0

    def encode(handle: io.BufferedIOBase) -> None:
        nonlocal written
        written = _encode(handle, container_format, frames, info)

    try:
        write_atomically(path, encode)
    except VideoError:
        raise
    except OSError as exc:
        raise VideoError(f"Could not write {path}: {exc.strerror or exc}") from exc
    except Exception as exc:  # FFmpeg raises its own kinds; the artist needs the message
        raise VideoError(f"Could not encode {path.name}: {exc}") from exc
    return written


def _encode(handle: io.BufferedIOBase, container_format: str, frames: Iterable[Image.Image], info: ClipInfo) -> int:
    import av

    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise VideoError("There are no frames to write")
    size = first.size
    count = 0
    with av.open(handle, "w", format=container_format) as out:
        video = out.add_stream("libx264", rate=info.rate)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.options = {"crf": str(VIDEO_QUALITY)}
        # Every stream is added before the first packet: the muxer writes its header then.
        sound = _SoundCopy(out, container_format, info) if info.audio is not None else None
        try:
            for picture in itertools.chain([first], frames):
                if picture.size != size:
                    raise VideoError(
                        f"Frame {count + 1} is {picture.size[0]} x {picture.size[1]}, not {size[0]} x {size[1]}"
                    )
                frame = av.VideoFrame.from_ndarray(np.asarray(picture.convert("RGB")), format="rgb24")
                frame.pts = count
                out.mux(video.encode(frame))
                count += 1
            out.mux(video.encode())
            if sound is not None:
                sound.write()
        finally:
            if sound is not None:
                sound.close()
    return count


class _SoundCopy:
    """The clip's first sound track: copied as it is where the container takes its codec, else as AAC."""

    def __init__(self, out, container_format: str, info: ClipInfo) -> None:
        self._out, self._info = out, info
        self._source = _open(info.path)
        self._track = self._source.streams.audio[0]
        self._copied = info.audio in _COPIED_AUDIO[container_format]
        if self._copied:
            self._stream = out.add_stream_from_template(self._track)
        else:
            self._stream = out.add_stream("aac", rate=self._track.codec_context.sample_rate or 48000)

    def write(self) -> None:
        import av

        try:
            if self._copied:
                for packet in self._source.demux(self._track):
                    if packet.dts is None:  # the flush packet at the end
                        continue
                    packet.stream = self._stream
                    self._out.mux(packet)
                return
            for frame in self._source.decode(self._track):
                frame.pts = None  # the encoder counts samples itself
                self._out.mux(self._stream.encode(frame))
            self._out.mux(self._stream.encode())
        except av.FFmpegError as exc:
            raise VideoError(f"The sound of {self._info.path.name} could not be read: {exc}") from exc

    def close(self) -> None:
        self._source.close()
