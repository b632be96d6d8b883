"""The worker's side of a clip's chunk: what travels to it and back, and its frames painted as one chain.

Kept apart from ``engine.cluster.clip_cluster`` (the side that cuts the clip,
sends the chunks and joins what comes back), so that the worker
(``batch_cluster.Painter``) and the sender each import it and neither imports
the other.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..settings.style_params import StyleParams
from ..video.clip_painter import VideoSettings, frame_engine
from .clip_chunks import Chunk


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of a clip, as it travels to a worker: its photo frames at the painting size."""

    name: str  # what the artist is told: "frames 17-32"
    chunk: Chunk
    photos: tuple[np.ndarray, ...]  # uint8 H x W x 3, frames chunk.start onwards
    params: StyleParams
    settings: VideoSettings

    @property
    def index(self) -> int:
        return self.chunk.index


@dataclass(frozen=True)
class PaintedChunk:
    """A worker's painted frames of one chunk, in order from its first."""

    index: int
    frames: tuple[np.ndarray, ...]
    seconds: float
    worker: str


def paint_chunk(task: ChunkTask, styles: Sequence[Image.Image], worker: str) -> PaintedChunk:
    """Paint a chunk's frames as one chain (``engine.video.clip_painter``): its first coarse to fine, each later one
    from the last. Runs on the worker."""
    started = time.perf_counter()
    previous: tuple[Image.Image, Image.Image] | None = None
    painted_frames = []
    for photo_frame in task.photos:
        photo = Image.fromarray(photo_frame)
        engine, _ = frame_engine(photo, previous, styles, task.params, task.settings)
        for _step in engine.run():
            pass
        painted = engine.result()
        painted_frames.append(np.asarray(painted))
        previous = (photo, painted)
    return PaintedChunk(task.index, tuple(painted_frames), time.perf_counter() - started, worker)
