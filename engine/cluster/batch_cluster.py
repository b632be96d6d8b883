"""A batch of pictures painted on a Ray cluster (``pip install 'brushwork[cluster]'``).

One Ray actor per worker holds the paintings and the network weights, so
each worker loads them once however many photos it paints. The photos go to
the workers as pictures, not file names (a cluster's machines need not share
a disk), and the finished pictures come back to be written here, where the
command runs. A task that fails is reported and tried once more, on a fresh
worker if its worker died; a second failure is reported and the batch goes
on. The pictures are the ones the in-process batch paints: the same engine,
settings and seed.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..errors import BrushworkError
from ..settings.regions import RegionMasks
from ..settings.style_params import StyleParams

log = logging.getLogger(__name__)

RETRIES = 1  # a failed task is tried this many more times
REACH_SECONDS = 5.0  # to open a connection to the cluster's head before Ray is handed the address
# Ray's own ports when an address gives none: the head's GCS, and the Ray client server for ray://.
GCS_PORT, CLIENT_PORT = 6379, 10001


class ClusterError(BrushworkError):
    """Ray is missing, or the cluster cannot be reached."""


@dataclass(frozen=True)
class PaintTask:
    """One photo of the batch, as it travels to a worker."""

    index: int
    name: str
    content: Image.Image
    params: StyleParams
    masks: RegionMasks | None = None


@dataclass(frozen=True)
class Painted:
    """A worker's finished picture (8-bit, and 16-bit where the run made one), and where it was painted."""

    index: int
    picture: np.ndarray
    picture16: np.ndarray | None
    seconds: float
    worker: str


@dataclass(frozen=True)
class TaskReport:
    """What ``paint_batch`` tells its caller about a task: painted, failed for good, or to be retried."""

    task: PaintTask
    painted: Painted | None
    error: str | None = None
    retrying: bool = False


class Painter:
    """The worker side: paints one photo after another with the paintings it was given (a Ray actor)."""

    def __init__(self, styles: Sequence[Image.Image], weights: str, threads: int) -> None:
        import torch

        from ..network.vgg_weights import load_weights

        torch.set_num_threads(max(1, threads))
        self.styles = tuple(styles)
        self.where = f"{socket.gethostname()}:{os.getpid()}"
        load_weights(weights)  # once per worker; the engine's cache keeps them for every later photo

    def paint(self, task: PaintTask) -> Painted:
        from ..run.style_transfer import StyleTransfer

        started = time.perf_counter()
        engine = StyleTransfer(task.content, self.styles, task.params, masks=task.masks)
        reports = deque(engine.run(), maxlen=1)  # only the last report (and its 16-bit picture) is kept
        last = reports[0] if reports else None
        picture = np.asarray(engine.result())
        picture16 = last.picture16 if last is not None and last.picture16 is not None else None
        if picture16 is not None and picture16.shape != picture.shape:
            picture16 = None
        return Painted(task.index, picture, picture16, time.perf_counter() - started, self.where)

    def paint_chunk(self, task):
        """A clip's chunk (``engine.cluster.chunk_worker.ChunkTask``): its frames painted as one chain."""
        from .chunk_worker import paint_chunk

        return paint_chunk(task, self.styles, self.where)


def _ray():
    try:
        import ray
    except ImportError:
        raise ClusterError("--ray needs Ray: pip install 'brushwork[cluster]'") from None
    return ray


def connect(address: str) -> bool:
    """Join the cluster at ``address``, or with "auto" a local one (started here if none runs); True if this
    process started it (and so must stop it)."""
    ray = _ray()
    if ray.is_initialized():
        return False
    options = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
    if address != "auto":
        _check_reachable(address)
    try:
        if address == "auto":
            ray.init(**options)
            return True
        ray.init(address=address, **options)
    # Ray raises ConnectionError, ValueError or its own kinds, and exits the process when the head never
    # answers: the artist needs the message, and the command its own exit status.
    except (Exception, SystemExit) as exc:
        raise ClusterError(f"Cannot reach the Ray cluster at {address}: {exc}") from exc
    return False


def _check_reachable(address: str) -> None:
    """Fail at once, not after Ray's minutes of retries (ending in an exit), when nothing listens at ``address``."""
    client = address.startswith("ray://")
    where = address.removeprefix("ray://")
    host, _, port = where.rpartition(":") if ":" in where else (where, "", "")
    try:
        port_number = int(port) if port else (CLIENT_PORT if client else GCS_PORT)
    except ValueError:
        raise ClusterError(f"--ray {address}: give auto, HOST:PORT or ray://HOST:PORT") from None
    try:
        with socket.create_connection((host.strip("[]") or "localhost", port_number), timeout=REACH_SECONDS):
            pass
    except OSError as exc:
        raise ClusterError(
            f"Cannot reach the Ray cluster at {address}: nothing answers at {host or 'localhost'}:{port_number} "
            f"({exc.strerror or exc}). Is 'ray start --head' running there?"
        ) from None


def worker_count(cpus_per_worker: float, most: int | None = None) -> int:
    """How many workers of ``cpus_per_worker`` cores the connected cluster holds (at least one)."""
    cpus = _ray().cluster_resources().get("CPU", 1.0)
    count = int(cpus // cpus_per_worker) if cpus_per_worker else (most or 1)
    return max(1, min(count, most) if most is not None else count)


def shutdown() -> None:
    _ray().shutdown()


def paint_batch(
    tasks: Iterable[PaintTask],
    total: int,
    styles: Sequence[Image.Image],
    report: Callable[[TaskReport], None],
    *,
    address: str = "auto",
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
    work: str = "paint",
) -> int:
    """Paint ``tasks`` (``total`` of them) on the cluster, calling ``report`` here for each outcome, in the
    order they finish. ``work`` is the ``Painter`` method that paints a task: ``paint`` for a
    ``PaintTask``, ``paint_chunk`` for a clip's ``ChunkTask``.

    ``tasks`` is read only as workers come free, so a batch of hundreds of
    photos never holds more of them than there are workers. Returns how many
    workers painted. Raises ClusterError if the cluster cannot be reached; a
    task's own failure never ends the batch.
    """
    ray = _ray()
    tasks = iter(tasks)
    first = next(tasks, None)
    if first is None:
        return 0
    started_here = connect(address)
    try:
        weights = first.params.weights
        count = worker_count(cpus_per_worker, most=total)
        remote = ray.remote(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker)(Painter)
        styles_ref = ray.put(tuple(styles))
        threads = max(1, round(cpus_per_worker))

        def new_worker():
            return remote.remote(styles_ref, weights, threads)

        idle = [new_worker() for _ in range(count)]
        queue = deque([(first, 0)])  # retries, and the next task read
        pending: dict = {}
        while True:
            while idle:
                if not queue:
                    task = next(tasks, None)
                    if task is None:
                        break
                    queue.append((task, 0))
                (task, attempt), worker = queue.popleft(), idle.pop()
                pending[getattr(worker, work).remote(task)] = (task, attempt, worker)
            if not pending:
                break
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            task, attempt, worker = pending.pop(ref)
            try:
                painted = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                idle.append(new_worker())  # the worker died (out of memory, a lost node): a fresh one
                _failed(task, attempt, f"its worker stopped ({_reason(exc)})", queue, report)
                continue
            except ray.exceptions.RayError as exc:
                idle.append(worker)
                _failed(task, attempt, _reason(exc), queue, report)
                continue
            idle.append(worker)
            report(TaskReport(task, painted))
        return count
    finally:
        if started_here:
            ray.shutdown()


def _reason(exc: BaseException) -> str:
    """The worker's own exception where Ray kept it (a BrushworkError's message is written for the artist)."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return str(cause)
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__


def _failed(task: PaintTask, attempt: int, reason: str, queue: deque, report: Callable[[TaskReport], None]) -> None:
    retrying = attempt < RETRIES
    log.warning("%s failed on the cluster (attempt %d): %s", task.name, attempt + 1, reason)
    if retrying:
        queue.append((task, attempt + 1))
    report(TaskReport(task, None, reason, retrying))
