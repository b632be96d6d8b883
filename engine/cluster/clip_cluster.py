"""A clip painted on a Ray cluster: one overlapping chunk per worker (``engine.cluster.clip_chunks``), joined here.

The frames travel to the workers as pictures and come back painted; the
command's machine reads the clip, keeps each finished chunk in the work
folder beside the output (as ``ClipRender`` keeps its frames) and encodes
the joined clip, with its sound, once every chunk is in. A chunk that fails
is tried once more (``engine.cluster.batch_cluster``); one that fails twice leaves the
others in the work folder, and the same command paints only what is
missing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import BrushworkError
from ..files.atomic_write import write_atomically
from ..pictures import images
from ..settings.style_params import StyleParams
from ..video.clip_files import read_frames, write_clip
from ..video.clip_painter import (
    JOB_FILE,
    ClipRender,
    VideoSettings,
    frame_name,
    new_work_folder,
    write_frame,
)
from .chunk_worker import ChunkTask, PaintedChunk
from .clip_chunks import OVERLAP, Chunk, join_frames, plan_chunks


class ChunkedClip:
    """A clip's chunks: what is painted, what is missing, and the clip they join into.

    Uses ``ClipRender`` for what the clip is (its size, settings and work
    folder) but paints nothing itself: ``tasks()`` go to the cluster, and
    ``keep()`` receives what comes back.
    """

    def __init__(
        self,
        clip: str | Path,
        styles: Sequence[Image.Image],
        params: StyleParams,
        output: str | Path,
        settings: VideoSettings | None = None,
        overlap: int = OVERLAP,
    ) -> None:
        self.render = ClipRender(clip, styles, params, output, settings)
        self.overlap = overlap
        self.chunks: tuple[Chunk, ...] = ()

    @property
    def work(self) -> Path:
        return self.render.work

    def _chunk_folder(self, index: int) -> Path:
        return self.work / f"chunk_{index:03d}"

    def _done_mark(self, index: int) -> Path:
        return self.work / f"chunk_{index:03d}.done"

    def plan(self, workers: int) -> tuple[Chunk, ...]:
        """The chunks for ``workers`` workers, or an earlier run's chunks of this very job (which keeps what
        that run painted, however many workers there are now)."""
        job = self.render.job()
        try:
            kept = json.loads((self.work / JOB_FILE).read_text())
            chunks, overlap = kept.pop("chunks", None), kept.pop("overlap", None)
            if chunks is not None and overlap == self.overlap and kept == job:
                self.chunks = tuple(Chunk.from_list(c) for c in chunks)
                return self.chunks
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # no earlier run of this job, or one that left no readable plan: start anew
        self.chunks = plan_chunks(self.render.info.frames, workers, self.overlap)
        new_work_folder(self.work, dict(job, overlap=self.overlap, chunks=[c.to_list() for c in self.chunks]))
        return self.chunks

    def done(self) -> set[int]:
        """The chunks painted and kept, by this run or an earlier one."""
        return {c.index for c in self.chunks if self._done_mark(c.index).is_file()}

    def tasks(self, skip: set[int]) -> Iterator[ChunkTask]:
        """The chunks not in ``skip``, each as soon as its last frame is read (the clip is read once, in order,
        holding only the frames of chunks not yet handed out)."""
        render = self.render
        gathering: dict[int, list[np.ndarray]] = {c.index: [] for c in self.chunks if c.index not in skip}
        by_index = {c.index: c for c in self.chunks}
        frame = -1
        for frame, picture in enumerate(read_frames(render.clip)):
            photo = None
            for index in list(gathering):
                chunk = by_index[index]
                if not chunk.covers(frame):
                    continue
                if photo is None:
                    photo = np.asarray(images.resize(picture.convert("RGB"), *render.dims))
                gathering[index].append(photo)
                if chunk.end is not None and frame == chunk.end - 1:
                    yield self._task(chunk, gathering.pop(index))
        render.frames_read = frame + 1  # so that render.cut_short tells a clip that ended early
        for index, photos in gathering.items():  # the last chunk, and any a clip cut short ended early
            if photos:
                yield self._task(by_index[index], photos)

    def _task(self, chunk: Chunk, photos: list[np.ndarray]) -> ChunkTask:
        name = chunk.label(chunk.start + len(photos))
        return ChunkTask(name, chunk, tuple(photos), self.render.params, self.render.settings)

    def keep(self, task: ChunkTask, painted: PaintedChunk) -> None:
        """Save a chunk's painted frames, then mark it done (so a chunk cut off while saving is painted again)."""
        folder = self._chunk_folder(task.index)
        try:
            folder.mkdir(exist_ok=True)
            for offset, frame in enumerate(painted.frames):
                write_frame(folder / frame_name(task.chunk.start + offset), Image.fromarray(frame))
            write_atomically(self._done_mark(task.index), b"")
        except OSError as exc:
            raise BrushworkError(f"Cannot save {task.name} in {self.work}: {exc.strerror or exc}") from exc

    def painted(self, index: int, frame: int) -> np.ndarray | None:
        path = self._chunk_folder(index) / frame_name(frame)
        return np.asarray(Image.open(path).convert("RGB")) if path.is_file() else None

    def painted_frames(self) -> int:
        """How many frames the kept chunks hold: up to the last frame any of them painted."""
        last = -1
        for chunk in self.chunks:
            names = sorted(self._chunk_folder(chunk.index).glob("frame_*.png"))
            if names:
                last = max(last, int(names[-1].stem.split("_")[1]))
        return last + 1

    def write(self) -> int:
        """Join the chunks into the clip, with its sound, and clear the work folder; the frame count."""
        count = self.painted_frames()
        if count == 0:
            raise BrushworkError(f"{self.render.clip.name} has no frames that can be read")
        try:
            joined = join_frames(self.chunks, count, self.painted)
            write_clip((Image.fromarray(frame) for frame in joined), self.render.info, self.render.output)
        except ValueError as exc:  # a frame no chunk holds: the work folder was changed under us
            raise BrushworkError(f"Cannot join the painted chunks in {self.work}: {exc}") from exc
        shutil.rmtree(self.work, ignore_errors=True)
        return count


def paint_clip(
    clip: ChunkedClip,
    report: Callable[[object], None],
    *,
    planned: Callable[[int], None] | None = None,
    address: str = "auto",
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
) -> tuple[int, int]:
    """Paint the chunks not yet kept on the cluster and keep each as it comes back, calling ``report`` with
    each ``engine.cluster.batch_cluster.TaskReport`` (and ``planned`` with the worker count once the chunks are known);
    (workers, chunks that failed for good)."""
    from . import batch_cluster as cluster

    started_here = cluster.connect(address)
    try:
        workers = cluster.worker_count(cpus_per_worker)
        clip.plan(workers)
        failed = 0

        def keep(outcome) -> None:
            nonlocal failed
            if outcome.painted is not None:
                clip.keep(outcome.task, outcome.painted)
            elif not outcome.retrying:
                failed += 1
            report(outcome)

        skip = clip.done()
        missing = len(clip.chunks) - len(skip)
        if planned is not None:
            planned(min(workers, missing))
        used = cluster.paint_batch(
            clip.tasks(skip),
            missing,
            clip.render.styles,
            keep,
            address=address,
            cpus_per_worker=cpus_per_worker,
            gpus_per_worker=gpus_per_worker,
            work="paint_chunk",
        )
        return used, failed
    finally:
        if started_here:
            cluster.shutdown()
