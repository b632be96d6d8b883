"""A clip cut into overlapping chunks that workers paint side by side, and the chunks joined again.

Each chunk is painted as a clip of its own (``engine.video.clip_painter``): its first
frame coarse to fine, every later one from the last, warped and held to it.
Where a chunk begins, its strokes are not the previous chunk's: they were
found afresh. A hard cut there would be the one frame of the clip that
jumps. So each chunk after the first begins ``overlap`` frames early; both
chunks paint those frames, and the joined clip fades from the one to the
other across them, a frame at a time, so the temporal chain is never broken
by more than a 1/(overlap + 1) step. (Ruder et al. paint one chain; this
deviation is what buys parallelism.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

# Frames each chunk after the first shares with the one before. The fade
# steps by 1/(OVERLAP + 1) of the difference between the two chunks' strokes
# a frame, so the warping error of a pair of frames at the join falls with its
# square. At 128 px (tests/benchmarks/bench_clip_chunks.py), against the one
# chain's mean error: a hard cut's pair 137-292 times it, 4 frames' 6.1 times,
# 8 frames' 4.6 times (the clip's mean: 1.6 times), for 8 frames painted twice.
OVERLAP = 8
# The most frames in one chunk: a chunk's photos and painted frames travel
# whole, and a chunk that fails is painted again whole. 240 frames (10 s at
# 24 a second) at 512 px are about 110 MB each way; more chunks than workers
# also share the work out more evenly, for a first frame and 8 shared frames
# more per 240 (about 5 %).
LONGEST = 240


@dataclass(frozen=True)
class Chunk:
    """Frames ``start`` to ``end`` (exclusive; None: to the clip's end) of a clip, painted as one chain.

    The first ``fade_in`` of them are shared with the chunk before, which
    fades into this one over them.
    """

    index: int
    start: int
    end: int | None
    fade_in: int = 0

    def covers(self, frame: int) -> bool:
        return frame >= self.start and (self.end is None or frame < self.end)

    def label(self, frames: int) -> str:
        """ "frames 17-32", 1-based and inclusive, as an artist counts them."""
        last = (self.end if self.end is not None else frames) - 1
        return f"frames {self.start + 1}-{last + 1}"

    def to_list(self) -> list:
        return [self.index, self.start, self.end, self.fade_in]

    @classmethod
    def from_list(cls, values: list) -> Chunk:
        index, start, end, fade_in = values
        return cls(int(index), int(start), None if end is None else int(end), int(fade_in))


def plan_chunks(frames: int, workers: int, overlap: int = OVERLAP, longest: int = LONGEST) -> tuple[Chunk, ...]:
    """Cut ``frames`` frames into chunks of about equal length: one per worker, or more where a chunk would
    be longer than ``longest`` frames.

    Every chunk has at least ``2 * overlap`` frames that no other chunk
    paints (so fewer chunks, down to one, where the clip is short): no frame
    is shared by more than two chunks, and no chunk is mostly fade.
    The last chunk has no end: a clip that holds more frames than it
    announced gives them to it.
    """
    overlap = max(0, overlap)
    wanted = max(workers, -(-frames // max(1, longest)))
    count = max(1, min(wanted, frames // (3 * overlap) if overlap else frames))
    bounds = [round(i * frames / count) for i in range(count + 1)]
    chunks = []
    for i in range(count):
        fade = overlap if i else 0
        end = bounds[i + 1] if i < count - 1 else None
        chunks.append(Chunk(i, bounds[i] - fade, end, fade))
    return tuple(chunks)


def fade_weight(chunk: Chunk, frame: int) -> float:
    """How much of ``frame`` comes from ``chunk`` where it shares the frame with the chunk before: rising
    from 1/(fade_in + 1) at its first frame to fade_in/(fade_in + 1) at the last shared one; 1 after them."""
    into = frame - chunk.start
    if into >= chunk.fade_in:
        return 1.0
    return (into + 1) / (chunk.fade_in + 1)


def join_frames(
    chunks: tuple[Chunk, ...], frames: int, painted: Callable[[int, int], np.ndarray | None]
) -> Iterator[np.ndarray]:
    """The clip's ``frames`` frames, each from the chunk that covers it, faded where two do.

    ``painted(chunk_index, frame)`` gives a chunk's uint8 picture of a frame,
    or None where the chunk has none (a clip cut short ends some chunks early).
    """
    for frame in range(frames):
        covering = [(c, p) for c in chunks if c.covers(frame) and (p := painted(c.index, frame)) is not None]
        if not covering:
            raise ValueError(f"no chunk painted frame {frame + 1}")
        if len(covering) == 1:
            yield covering[0][1]
            continue
        (_, before), (later, after) = covering[-2], covering[-1]
        weight = fade_weight(later, frame)
        mixed = before.astype(np.float32) * (1.0 - weight) + after.astype(np.float32) * weight
        yield np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
