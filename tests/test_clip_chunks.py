"""A clip cut into overlapping chunks for the workers, and joined again with a fade across each overlap."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from brushwork.engine.cluster.clip_chunks import Chunk, fade_weight, join_frames, plan_chunks
from hypothesis import given
from hypothesis import strategies as st


@given(frames=st.integers(1, 2000), workers=st.integers(1, 16), overlap=st.integers(0, 8))
def test_chunks_cover_every_frame_once_or_twice_and_share_exactly_the_overlap(frames, workers, overlap):
    chunks = plan_chunks(frames, workers, overlap, longest=200)
    assert len(chunks) >= 1
    if len(chunks) > workers:  # more chunks than workers only to keep each chunk short enough
        assert all(painted_frames(c, frames) <= 200 + overlap for c in chunks)
    else:
        assert len(chunks) == workers or frames < max(1, 3 * overlap) * (len(chunks) + 1)  # fewer: a short clip
    assert chunks[0].start == 0 and chunks[0].fade_in == 0 and chunks[-1].end is None
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for frame in range(frames):
        covering = [c for c in chunks if c.covers(frame)]
        assert 1 <= len(covering) <= 2
    for before, after in itertools.pairwise(chunks):
        # The later chunk starts `overlap` frames before the earlier one ends, and fades in over exactly those.
        assert before.end - after.start == after.fade_in == overlap
        alone = before.end - overlap - (before.start + before.fade_in)
        assert alone >= 2 * overlap  # frames no other chunk paints: no chunk is mostly fade


def painted_frames(chunk: Chunk, frames: int) -> int:
    return (chunk.end if chunk.end is not None else frames) - chunk.start


def test_a_short_clip_is_one_chunk_and_a_long_one_one_per_worker_or_more():
    assert plan_chunks(11, 4, overlap=4) == (Chunk(0, 0, None, 0),)
    assert plan_chunks(100, 4, overlap=4) == (
        Chunk(0, 0, 25, 0),
        Chunk(1, 21, 50, 4),
        Chunk(2, 46, 75, 4),
        Chunk(3, 71, None, 4),
    )
    long = plan_chunks(1000, 2, overlap=8, longest=240)  # a 40 s clip on two workers: 5 chunks of 200
    assert len(long) == 5 and max(painted_frames(c, 1000) for c in long) == 208


def test_a_plan_survives_its_trip_through_the_work_folders_json():
    for chunk in plan_chunks(60, 3, 4):
        assert Chunk.from_list(chunk.to_list()) == chunk


def test_the_join_fades_from_one_chunk_to_the_next_a_step_at_a_time():
    chunks = plan_chunks(24, 2, overlap=3)  # frames 0-11 and 9-23: 9, 10 and 11 are shared
    assert [c.label(24) for c in chunks] == ["frames 1-12", "frames 10-24"]
    black, white = np.zeros((2, 2, 3), np.uint8), np.full((2, 2, 3), 200, np.uint8)

    def painted(index, frame):
        return black if index == 0 else white

    levels = [int(frame[0, 0, 0]) for frame in join_frames(chunks, 24, painted)]
    assert levels[:9] == [0] * 9 and levels[12:] == [200] * 12
    assert levels[9:12] == [50, 100, 150]  # a quarter, a half, three quarters of the later chunk
    assert [fade_weight(chunks[1], f) for f in (9, 10, 11, 12)] == [0.25, 0.5, 0.75, 1.0]


def test_a_frame_no_chunk_painted_is_an_error_not_a_black_frame():
    chunks = plan_chunks(10, 1)
    with pytest.raises(ValueError, match="frame 4"):
        list(join_frames(chunks, 10, lambda index, frame: None if frame == 3 else np.zeros((2, 2, 3), np.uint8)))
