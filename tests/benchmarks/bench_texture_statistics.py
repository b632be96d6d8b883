"""Seconds per step with each texture statistic (gram, w2, sliced) at one size, in the same run (issue 30).

Each statistic paints the same pair at one scale of the given size (every
timed step at that size), one after the other in this process, and the
order is repeated reversed so that a machine that slows down over the run
weighs on each alike. Reported: the median of the timed steps after two
warm-up steps, and each statistic's ratio to gram.

    python tests/benchmarks/bench_texture_statistics.py [--size 512] [--steps 4] [--tile 0]

``--tile N`` paints the scale in N px tiles (the print-size path).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, print_table, save_json

CONTENT, STYLE = IMAGES / "chelsea.png", IMAGES / "starry_night.jpg"
WARMUP = 2
STATISTICS = ("gram", "w2", "sliced")


def step_seconds(style_loss: str, size: int, steps: int, tile: int) -> list[float]:
    from brushwork.engine import StyleParams, StyleTransfer, load_image
    from brushwork.engine.run import schedule

    first_side = schedule.FIRST_SIDE
    schedule.FIRST_SIDE = size  # one scale: every step at the measured size
    try:
        params = StyleParams(size=size, steps=WARMUP + steps, stop_early=False, style_loss=style_loss, tile=tile)
        engine = StyleTransfer(load_image(CONTENT), load_image(STYLE, keep_alpha=True), params)
        elapsed = [p.elapsed for p in engine.run()]
    finally:
        schedule.FIRST_SIDE = first_side
    return [b - a for a, b in zip(elapsed[WARMUP - 1 :], elapsed[WARMUP:], strict=False)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--steps", type=int, default=4, help="timed steps per statistic and round")
    ap.add_argument("--tile", type=int, default=0, help="paint in tiles of this many px (0: whole)")
    args = ap.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in STATISTICS}
    for order in (STATISTICS, STATISTICS[::-1]):
        for name in order:
            times[name] += step_seconds(name, args.size, args.steps, args.tile)
    medians = {name: statistics.median(values) for name, values in times.items()}
    rows = [[name, f"{medians[name]:.3f}", f"{medians[name] / medians['gram']:.2f}"] for name in STATISTICS]
    print_table(["statistic", "s/step", "x gram"], rows)
    suffix = f"_{args.size}" + (f"_tiled{args.tile}" if args.tile else "")
    record = {"size": args.size, "tile": args.tile, "seconds": times, "median": medians}
    save_json(f"texture_statistics{suffix}", record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
