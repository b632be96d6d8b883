"""How many threads the convolutions use when other programs want the same cores.

PyTorch's OpenMP threads spin while they wait for each other. On an idle
machine that is the fastest choice, but when another process is busy on the
same cores, the spinning threads of both keep taking the cores from the
threads that have work. Measured on 2 cores at 256 px: alone 0.54 s per step;
two runs at once, 2.97 s per step each (5.5x slower). ``OMP_WAIT_POLICY=PASSIVE``
fixes the contention (1.03-1.11 s each) but costs 36 % alone (0.74 s), since
every parallel region then pays a wake-up. So we keep the spinning and give up
the cores that others are using: every ``SAMPLE_SECONDS`` the engine looks at
how much CPU the rest of the machine used, and runs on the cores left over
(at least one). A thread count set here applies to the calling thread, the
engine's, which is the one that runs the convolutions.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch

SAMPLE_SECONDS = 2.0
BUSY_CORE = 0.5  # other processes using this share of a core or more count as holding it


def _allowed_cpus() -> set[int]:
    """The CPUs this process may run on (a container or ``taskset`` may allow fewer than the machine has)."""
    try:
        return os.sched_getaffinity(0)
    except AttributeError:  # not on Linux
        return set(range(os.cpu_count() or 1))


def _machine_and_own_ticks() -> tuple[int, int, int] | None:
    """(busy, total) clock ticks of the CPUs we may use, and busy ticks of this process; None off Linux."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
        own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    allowed = {f"cpu{n}" for n in _allowed_cpus()}
    busy = total = 0
    for line in lines:
        fields = line.split()
        if fields and fields[0] in allowed:
            ticks = [int(x) for x in fields[1:9]]
            total += sum(ticks)
            busy += sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
    # utime and stime are fields 14 and 15 of /proc/self/stat, 12 and 13 after the name.
    return busy, total, int(own[11]) + int(own[12])


def create_thread_pools() -> None:
    """Have PyTorch create its process-wide helper thread pool now, on the calling thread.

    PyTorch creates that pool on the first ``set_num_threads`` call, and its
    threads take the name of the thread that called. Call this on a thread
    that lives as long as the process (the GUI's) before an engine thread,
    which ends, ever adjusts its thread count.
    """
    torch.set_num_threads(torch.get_num_threads())


class CoreShare:
    """Keeps the engine's thread count at the number of cores nobody else is using.

    Call ``adjust()`` from the thread that runs the convolutions, before a
    step, and ``restore()`` on the same thread when the run ends.
    """

    def __init__(self, cores: int | None = None) -> None:
        self.cores = cores or len(_allowed_cpus())
        self.most = min(self.cores, torch.get_num_threads())
        self.threads: int | None = None  # None until the first adjust() set it
        self._original: int | None = None
        self._last: tuple[int, int, int] | None = None
        self._last_time = 0.0

    def others_busy(self, previous: tuple[int, int, int], now: tuple[int, int, int]) -> float:
        """Cores' worth of CPU that other processes used between two samples."""
        busy, total, own = (b - a for a, b in zip(previous, now, strict=True))
        if total <= 0:
            return 0.0
        return max(0.0, (busy - own) / total * self.cores)

    def threads_for(self, others: float) -> int:
        """Threads for the cores left when others use ``others`` cores' worth (rounded at ``BUSY_CORE``)."""
        held = int(others + (1.0 - BUSY_CORE))
        return max(1, min(self.most, self.cores - held))

    def adjust(self) -> int:
        """Sample the machine if it is time and set the calling thread's thread count; returns it."""
        now = time.monotonic()
        if self.threads is not None and now - self._last_time < SAMPLE_SECONDS:
            return self.threads
        if self.threads is None:
            self.threads = torch.get_num_threads()  # this thread's count: nothing to set if it is right
        sample = _machine_and_own_ticks()
        wanted = self.most
        if sample is not None and self._last is not None:
            wanted = self.threads_for(self.others_busy(self._last, sample))
        if wanted != self.threads:
            if self._original is None:
                self._original = self.threads
            torch.set_num_threads(wanted)
            self.threads = wanted
        self._last, self._last_time = sample, now
        return self.threads

    def restore(self) -> None:
        """Put back the calling thread's thread count as it was before the first ``adjust()``."""
        if self._original is not None:
            torch.set_num_threads(self._original)
            self._original, self.threads = None, None
