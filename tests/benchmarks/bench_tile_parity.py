"""Print size: does a tiled top scale paint the picture a whole one does, without seams?

Both runs share the coarse scales: the default plan for ``--size`` (1024 px)
runs whole up to the end of its second-to-last scale, once. From that picture
the top scale runs twice, in the same process, with default settings (stop
early included):

- ``whole``: the scale painted as one picture;
- ``tiled``: the scale painted in ``--tile`` px tiles (``engine.objective.tiled_objective``),
  with the tile grid moved every evaluation, and L-BFGS keeping the curvature
  pairs its memory holds (``engine.run.memory_plan``; the record says how many).

For each finished picture it gives the neutral scorer's total at the output
size and a seam ratio: the mean squared luminance step across the lines where
the tiled run's tiles met (every grid it used, each line weighted by how often
it was a boundary), over the mean squared step across every other pair of
neighbouring pixels. A seam shows as a ratio above the whole picture's ratio on
the same lines; parity is the goal. The whole picture's ratio is the
reference, as the network's own pooling grid (every 16 px) also leaves a trace.

    python tests/benchmarks/bench_tile_parity.py [--size 1024] [--tile 512]

Writes results/tile_parity.json and results/tile_parity_crops.png (1:1 crops
of both pictures around one tile corner, for looking at; it carries The Starry
Night, which is in the public domain).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from brushwork.engine import StyleParams, StyleTransfer, load_image
from brushwork.engine.objective.tiled_objective import grid_offset
from brushwork.engine.run.schedule import plan_stages

from tests.benchmarks.common import IMAGES, RESULTS, Scorer, cpu_kind, print_table, save_json

PAIR = ("chelsea.png", "starry_night.jpg")


def luminance(picture: Image.Image) -> np.ndarray:
    return np.asarray(picture.convert("L"), dtype=np.float64) / 255.0


def seam_ratio(picture: Image.Image, columns: Counter, rows: Counter) -> float:
    """Mean squared step across the given lines (weighted by count) over the mean across all other lines.

    A line at x is the step between pixel columns x - 1 and x (likewise rows).
    """
    lum = luminance(picture)
    across_columns = (lum[:, 1:] - lum[:, :-1]) ** 2  # [:, x - 1] is the step into column x
    across_rows = (lum[1:, :] - lum[:-1, :]) ** 2
    on, weight = 0.0, 0
    for x, n in columns.items():
        if 0 < x < lum.shape[1]:
            on += n * across_columns[:, x - 1].mean()
            weight += n
    for y, n in rows.items():
        if 0 < y < lum.shape[0]:
            on += n * across_rows[y - 1, :].mean()
            weight += n
    keep_c = np.ones(across_columns.shape[1], bool)
    keep_c[[x - 1 for x in columns if 0 < x < lum.shape[1]]] = False
    keep_r = np.ones(across_rows.shape[0], bool)
    keep_r[[y - 1 for y in rows if 0 < y < lum.shape[0]]] = False
    off = np.concatenate([across_columns[:, keep_c].ravel(), across_rows[keep_r, :].ravel()]).mean()
    return float(on / weight / off)


def boundaries(engine: StyleTransfer, evaluations: range) -> tuple[Counter, Counter]:
    """The interior edges of the tiles the tiled scale used, in the visible picture's pixels."""
    objective, margin = engine._scale.objective, engine._scale.margin
    columns, rows = Counter(), Counter()
    for e in evaluations:
        tiles = objective.tiles(grid_offset(e, objective.tile))
        columns.update({t.x0 - margin for t in tiles if t.x0 > 0})
        rows.update({t.y0 - margin for t in tiles if t.y0 > 0})
    return columns, rows


def top_scale(start: Image.Image, params: StyleParams, first: int) -> tuple[Image.Image, dict, StyleTransfer]:
    content, style = load_image(IMAGES / PAIR[0]), load_image(IMAGES / PAIR[1])
    engine = StyleTransfer(content, style, params, start_picture=start, start_step=first)
    times, last, steps = [], time.perf_counter(), 0
    for progress in engine.run():
        now = time.perf_counter()
        times.append(now - last)
        last = now
        steps = progress.step - first
    step_s = sorted(times[1:])[len(times[1:]) // 2] if len(times) > 1 else times[0]
    history = f"{engine._scale.optimizer.history} {str(engine._scale.optimizer.store).removeprefix('torch.')}"
    return engine.result(), {"steps": steps, "step_s": step_s, "wall_s": sum(times), "lbfgs": history}, engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--tile", type=int, default=512)
    args = parser.parse_args()
    content, style = IMAGES / PAIR[0], IMAGES / PAIR[1]
    params = StyleParams(size=args.size)
    top = plan_stages(args.size, params.steps)[-1]

    # The shared coarse scales, once.
    started = time.perf_counter()
    engine = StyleTransfer(load_image(content), load_image(style), params)
    start = None
    for progress in engine.run():
        if progress.scale_finished and progress.step == top.first_step:
            start = Image.fromarray(progress.preview)
            engine.cancel()
    coarse_s = time.perf_counter() - started
    print(f"coarse scales: {coarse_s:.0f} s, {start.size[0]}x{start.size[1]}", flush=True)

    whole, whole_run, _ = top_scale(start, params, top.first_step)
    print(f"whole: {whole_run}", flush=True)
    tiled, tiled_run, tiled_engine = top_scale(start, StyleParams(size=args.size, tile=args.tile), top.first_step)
    print(f"tiled: {tiled_run}", flush=True)
    columns, rows = boundaries(tiled_engine, range(1, tiled_engine._evaluations + 1))

    scorer = Scorer()
    records = []
    for name, picture, run in (("whole", whole, whole_run), ("tiled", tiled, tiled_run)):
        records.append({
            "mode": name, **run, "total": scorer.total(content, style, picture, args.size),
            "seam_ratio": seam_ratio(picture, columns, rows),
        })  # fmt: skip
    difference = np.abs(luminance(whole) - luminance(tiled))
    w, t = records
    summary = {
        "total_tiled_over_whole": t["total"] / w["total"],
        "seam_tiled_over_whole": t["seam_ratio"] / w["seam_ratio"],
        "step_s_tiled_over_whole": t["step_s"] / w["step_s"],
        "mean_abs_luminance_difference": float(difference.mean()),
        "boundary_lines": {"columns": len(columns), "rows": len(rows)},
    }
    print_table(
        ["mode", "steps", "s/step", "scorer total", "seam ratio"],
        [[r["mode"], r["steps"], f"{r['step_s']:.1f}", f"{r['total']:.4f}", f"{r['seam_ratio']:.3f}"] for r in records],
    )
    print({k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items()})

    # 1:1 crops around the first interior tile corner of the offset-0 grid, side by side.
    x = y = args.tile - tiled_engine._scale.margin
    box = (max(0, x - 128), max(0, y - 128), max(0, x - 128) + 256, max(0, y - 128) + 256)
    crops = Image.new("RGB", (512 + 8, 256), "white")
    crops.paste(whole.crop(box), (0, 0))
    crops.paste(tiled.crop(box), (264, 0))
    crops.save(RESULTS / "tile_parity_crops.png")
    save_json(
        "tile_parity",
        {"cpu": cpu_kind(), "size": args.size, "tile": args.tile, "pair": PAIR, "coarse_s": coarse_s,
         "records": records, **summary},
    )  # fmt: skip


if __name__ == "__main__":
    main()
