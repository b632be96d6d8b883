"""What one scale of a run holds in memory, and how it is painted to fit a budget.

One model serves the run (which decides, when it builds a scale, whether to
tile it, how large the tiles are and how many L-BFGS curvature pairs to keep)
and the estimate before a print render (``engine.print_size.print_estimate``), so that
the estimate tiles exactly where the run will.

The constants are fitted to ``tests/benchmarks/results/print_size.json``
(2-core CPU without bfloat16, float32 convolutions, a 3:2 photo). Other
dtypes scale the activations by ``engine.run.out_of_memory.BYTES_PER_PIXEL``'s ratio,
which was not measured at print sizes. On a GPU the figures are the device
memory plus the process's own, which only errs on the safe side.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..objective.texture_statistics import sliced_bytes_per_pixel
from ..objective.tiled_objective import halo_for
from ..settings.style_params import StyleParams
from .out_of_memory import BYTES_PER_PIXEL, HEADROOM, memory_budget

# The process before any picture: Python, PyTorch, the network's weights.
# With WHOLE_BYTES_PER_PIXEL, fitted to the whole runs at 512, 1024 and
# 2048 px (within 4 % of each, and never more than 3 % under).
PROCESS_BYTES = int(0.73 * 2**30)
# A whole picture, per canvas pixel, besides L-BFGS's history: the VGG
# activations kept for the backward pass, the picture and its gradient.
WHOLE_BYTES_PER_PIXEL = 2285
# Tile by tile, what stays the size of the picture: the picture, its gradient
# and L-BFGS's direction, the previous gradient, the half-precision content
# target and NaN-guard copies. With the next, fitted to the tiled runs at 2048
# px (512 px tiles) and 4096 px (384 px tiles); it overestimates 1024 px in
# 512 px tiles by 8 %, where the tile's box is most of the picture.
TILED_BYTES_PER_PIXEL = 91
# Tile by tile, the working set of one tile, per pixel of its box (interior and halo).
TILE_BOX_BYTES_PER_PIXEL = 2577
CHANNELS = 3  # the picture's; luminance mode optimises one, which this ignores (it only overestimates)
# A whole scale's peak in a long run, against the model (fitted to a few steps from a fresh process):
# the README's 4096 px render, under a 3 GiB limit, reached 2.99 GiB at its whole 1024 px scale
# after 26 steps, where the model says 2.64 (the heap grows over a long run; tiling bounds it,
# engine.memory.bound_heap). Plans and estimates use the long run's.
WHOLE_LONG_RUN = 1.15

LBFGS_HISTORY = 20  # 20, 50 and 100 pairs reach the same totals; 20 costs a fifth of the memory
# At print size each pair is two pictures' worth (290 MB in float32 at 4096 px),
# so a tiled scale keeps as many as its budget allows, and never fewer than
# these: 3 pairs in bfloat16 reached the same totals as 20 in float32 over a top
# scale's first 30 steps, within 0.7 % (tests/benchmarks/bench_tiled_history.py).
MIN_TILED_HISTORY = 3
NARROW_STORE = torch.bfloat16  # L-BFGS narrows only its history: the picture stays float32 (engine/optimisers/lbfgs.py)
# Tile sides tried, largest first: a larger tile repaints less halo (with the
# default layers' 96 px halo a 512 px tile computes 1.89x its interior, a 384 px
# one 2.25x, a 256 px one 3.06x), a smaller one needs less memory.
TILE_SIDES = (512, 384, 256)


@dataclass(frozen=True)
class ScaleMemory:
    """How a scale is painted: whole (``tile`` None) or in tiles, with L-BFGS's history, and its modelled peak."""

    tile: int | None
    history: int  # L-BFGS curvature pairs
    store: torch.dtype  # their number format
    peak_bytes: int  # over a long run (WHOLE_LONG_RUN)


def pair_bytes(store: torch.dtype) -> int:
    """One L-BFGS curvature pair per pixel: a step and a gradient change, three channels each."""
    return 2 * CHANNELS * torch.empty((), dtype=store).element_size()


def peak_bytes(
    canvas: tuple[int, int],
    tile: int | None,
    dtype: torch.dtype,
    params: StyleParams,
    history: int,
    store: torch.dtype = torch.float32,
) -> int:
    """Peak resident memory of a run at a scale of ``canvas`` (height, width; margin included).

    ``tile`` None paints it whole; ``dtype`` is the convolutions' number format;
    ``history`` curvature pairs in ``store`` (ignored for Adam, which holds two moments).
    """
    height, width = canvas
    pixels = height * width
    activations = BYTES_PER_PIXEL.get(dtype, BYTES_PER_PIXEL[torch.float32]) / BYTES_PER_PIXEL[torch.float32]
    if params.optimizer == "adam":
        kept = 2 * CHANNELS * 4  # its two float32 moments
    else:
        kept = history * pair_bytes(store)
    if params.style_loss == "sliced":
        # Not measured: the projections a sliced step holds (whole: they and their differences from the
        # targets, for the backward pass; tiled: they, between the passes, for the global sort).
        kept += sliced_bytes_per_pixel(params.active_style_layers) * (2 if tile is None else 1)
    if tile is None:
        return round(PROCESS_BYTES + pixels * (WHOLE_BYTES_PER_PIXEL * activations + kept))
    box = tile + 2 * halo_for([name for name, _ in params.style_layers] + [params.content_layer])
    box_pixels = min(box, height) * min(box, width)
    return round(
        PROCESS_BYTES + box_pixels * TILE_BOX_BYTES_PER_PIXEL * activations + pixels * (TILED_BYTES_PER_PIXEL + kept)
    )


def allowed_bytes(free_bytes: int | None, limit_gib: float) -> int | None:
    """What a scale may plan to use: most of the memory free, or the artist's limit where lower.

    The memory free keeps ``HEADROOM`` for other programs, which grow while a
    print render runs for hours; the artist's limit (``StyleParams.memory_limit``)
    is theirs to set and is used whole. None: unknown, and no limit.
    """
    return memory_budget(None if free_bytes is None else int(HEADROOM * free_bytes), limit_gib)


def plan_scale(canvas: tuple[int, int], params: StyleParams, free_bytes: int | None, dtype: torch.dtype) -> ScaleMemory:
    """How to paint a scale of ``canvas`` (height, width) with ``free_bytes`` free now (None: unknown).

    Whole when the whole model fits (``params.tile`` forces tiles on scales
    larger than it). Otherwise the largest of ``TILE_SIDES`` that fits with the
    fewest pairs, then as many pairs as fit: up to ``LBFGS_HISTORY`` in float32,
    else that many or fewer in bfloat16. When nothing fits, the smallest tile and
    history, so that the run tries and says if memory runs out.
    """
    allowed = allowed_bytes(free_bytes, params.memory_limit)

    def fits(memory: ScaleMemory) -> bool:
        return allowed is None or memory.peak_bytes <= allowed

    def scale(tile: int | None, history: int, store: torch.dtype) -> ScaleMemory:
        peak = peak_bytes(canvas, tile, dtype, params, history, store)
        return ScaleMemory(tile, history, store, round(peak * WHOLE_LONG_RUN) if tile is None else peak)

    whole = scale(None, LBFGS_HISTORY, torch.float32)
    longest = max(canvas)
    if params.tile:
        if longest <= params.tile:
            return whole
        tiles: tuple[int, ...] = (params.tile,)
    elif fits(whole):
        return whole
    else:
        tiles = tuple(side for side in TILE_SIDES if side < longest) or TILE_SIDES[-1:]
    tile = next((side for side in tiles if fits(scale(side, MIN_TILED_HISTORY, NARROW_STORE))), tiles[-1])
    if allowed is None:
        # Memory unknown: the bounded choice.
        return scale(tile, MIN_TILED_HISTORY, NARROW_STORE)
    full = scale(tile, LBFGS_HISTORY, torch.float32)
    if fits(full):
        return full
    spare = allowed - peak_bytes(canvas, tile, dtype, params, 0)
    pairs = spare // max(1, canvas[0] * canvas[1] * pair_bytes(NARROW_STORE))
    return scale(tile, int(min(LBFGS_HISTORY, max(MIN_TILED_HISTORY, pairs))), NARROW_STORE)
