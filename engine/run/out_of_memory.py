"""Running out of memory: recognising it and suggesting a size that fits."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import math
import sys
from pathlib import Path

import torch

from ..settings.style_params import MIN_SIZE

# Peak bytes per output pixel of a run, measured with tests/benchmarks/bench_memory.py
# (1024 px, history 20, clean edges): the VGG activations kept for the backward
# pass dominate. Used only to suggest a size after a failure, with headroom.
BYTES_PER_PIXEL = {torch.float32: 4200, torch.bfloat16: 3000, torch.float16: 3000}
HEADROOM = 0.8
log = logging.getLogger(__name__)
# glibc's malloc returns a freed block of at least this many bytes to the system (see bound_heap).
HEAP_RETURN_BYTES = 4 * 2**20
_heap_bounded = False
# torch >= 2.5 names it torch.OutOfMemoryError; older releases only have the CUDA one.
_TORCH_OOM = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for the several ways PyTorch and Python report exhausted memory."""
    if isinstance(exc, (MemoryError, _TORCH_OOM)):
        return True
    if isinstance(exc, RuntimeError):
        text = str(exc).lower()
        return "out of memory" in text or "can't allocate memory" in text or "not enough memory" in text
    return False


def release(device: torch.device | None) -> None:
    """Give back what a failed step left behind."""
    gc.collect()
    if device is not None and device.type == "cuda":
        torch.cuda.empty_cache()


def available_bytes(device: torch.device) -> int | None:
    """Free memory on ``device`` now, if the platform says."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return free
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def memory_budget(free_bytes: int | None, limit_gib: float) -> int | None:
    """The memory a scale may use: what is free, or the artist's limit where lower (``StyleParams.memory_limit``)."""
    if limit_gib <= 0:
        return free_bytes
    limit = int(limit_gib * 2**30)
    return limit if free_bytes is None else min(free_bytes, limit)


def suggest_size(failed_size: int, aspect: float, device: torch.device, dtype: torch.dtype) -> int:
    """A long side that should fit: by the memory free now, and never above 80 % of the failed one.

    ``aspect`` is short side / long side of the picture.
    """
    ceiling = int(failed_size * 0.8)
    free = available_bytes(device)
    if free is not None:
        pixels = HEADROOM * free / BYTES_PER_PIXEL.get(dtype, BYTES_PER_PIXEL[torch.float32])
        ceiling = min(ceiling, int(math.sqrt(pixels / max(aspect, 1e-3))))
    return max(MIN_SIZE, ceiling // 16 * 16)


def bound_heap() -> None:
    """Make glibc's malloc give freed memory back to the system at once, for print-size runs.

    glibc raises its mmap threshold each time a large block is freed, up to
    32 MB, so from then on the tiles' many blocks of a few MB come from the
    heap, which fragments and never shrinks. Fixing the threshold (and the
    trim threshold) stops that. At 2048 px tile by tile, one run each, peak
    RSS and seconds per step were:

    - glibc's default: 2.98 GiB, 111 s;
    - 128 KiB: 2.05 GiB, 149 s;
    - 4 MiB (chosen): 2.05 GiB, 130 s.

    The time is page faults on the large allocations; a whole 512 px step
    took 18-45 % longer with 128 KiB, so this is set only once a run tiles,
    where memory is what limits. Other C libraries (macOS, Windows, musl)
    have their own allocators: nothing to do there.
    """
    global _heap_bounded
    if _heap_bounded or not sys.platform.startswith("linux"):
        return
    _heap_bounded = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    if mallopt(m_mmap_threshold, HEAP_RETURN_BYTES) and mallopt(m_trim_threshold, HEAP_RETURN_BYTES):
        log.info("freed blocks of %d MiB and more now go back to the system at once", HEAP_RETURN_BYTES // 2**20)
