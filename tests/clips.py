"""Tiny synthetic clips made by the tests themselves: a bright square moving across a gradient, with a tone."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SQUARE = 16
STEP = 3  # pixels the square moves each frame


def clip_frame(index: int, width: int = 64, height: int = 48) -> np.ndarray:
    """Frame ``index``: a gradient with a checker, and a striped yellow square at x = 8 + STEP * index."""
    ys, xs = np.mgrid[0:height, 0:width]
    frame = np.zeros((height, width, 3), np.uint8)
    frame[..., 0] = xs * 255 // width
    frame[..., 1] = ys * 255 // height
    frame[..., 2] = 90 + 60 * ((xs // 4 + ys // 4) % 2)  # a checker, so that the flow has texture to follow
    left = 8 + STEP * index
    # A yellow square with darker diagonal stripes that move with it: a flat one gives the flow nothing to follow.
    sy, sx = np.mgrid[0:SQUARE, 0:SQUARE]
    square = np.where(((sx + sy) % 4 < 2)[..., None], (250, 240, 40), (235, 215, 40))
    frame[16 : 16 + SQUARE, left : left + SQUARE] = square
    return frame


def make_clip(
    path: Path,
    frames: int = 6,
    width: int = 64,
    height: int = 48,
    fps: int = 12,
    audio: str | None = "aac",
    index_first: bool = False,
) -> Path:
    """Write the clip (H.264 at high quality) with ``audio`` (an encoder name, or None) as a 440 Hz tone.

    ``index_first`` puts the MP4's index before the frames, as files made for the web do: such a file cut
    off partway still opens, and announces frames it no longer has.
    """
    import av

    options = {"movflags": "faststart"} if index_first else {}
    with av.open(str(path), "w", options=options) as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv444p"
        video.options = {"crf": "8"}
        sound = container.add_stream(audio, rate=16000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(clip_frame(index, width, height), format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if sound is not None:
            t = np.arange(round(16000 * frames / fps)) / 16000
            samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            tone = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            tone.sample_rate = 16000
            container.mux(sound.encode(tone))
            container.mux(sound.encode())
    return path


def sound_seconds(path: Path) -> float:
    """How long the clip's first sound track plays."""
    import av

    with av.open(str(path)) as container:
        track = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(track))
        return samples / track.codec_context.sample_rate
