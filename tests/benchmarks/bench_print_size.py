"""Print size: peak memory and time per step against the output size, whole and tiled.

Each case runs in a fresh process (so that its peak RSS is its own), starts at
the plan's top scale from the photo, and times ``--steps`` steps there after
one warm-up. ``whole`` paints the scale as one picture; ``tiled`` paints it
within ``--memory-limit`` GiB (the issue's goal, 3), in ``--tile`` pixel tiles
(engine.objective.tiled_objective: the same objective, in memory bounded by the tile).
pastiche, our peer, runs at the sizes it can, for its peak memory and seconds
per step.

    python tests/benchmarks/bench_print_size.py [--sizes 512 1024 2048] [--tile N] [--steps 2] [--update]

``--tile`` 0 (the default) takes the tiles the engine picks by itself for that
size within the limit (engine.scale_memory.plan_scale), and skips a size that
fits whole. L-BFGS keeps the pairs the limit leaves room for; with ``--steps``
3 a run holds 3 of them at its peak, which the record says (the memory model
puts a long run's back). Writes results/print_size.json; ``--update`` keeps its
records of the cases not run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch

from tests.benchmarks.common import IMAGES, RESULTS, cpu_kind, print_table, save_json

PAIR = ("chelsea.png", "starry_night.jpg")
SAVED = RESULTS / "print_size.json"


def one_case(size: int, tile: int, steps: int, limit: float) -> dict:
    """Runs in the child: steps at the top scale, their median time."""
    from brushwork.engine import StyleParams, StyleTransfer, load_image
    from brushwork.engine.run.schedule import plan_stages

    params = StyleParams(size=size, tile=tile, memory_limit=limit, stop_early=False)
    top = plan_stages(size, params.steps)[-1].first_step
    engine = StyleTransfer(load_image(IMAGES / PAIR[0]), load_image(IMAGES / PAIR[1]), params, start_step=top)
    times = []
    last = time.perf_counter()
    loss = float("nan")
    for progress in engine.run():
        now = time.perf_counter()
        times.append(now - last)
        loss = progress.losses.total
        last = now
        if len(times) > steps:
            break
    optimizer = engine._scale.optimizer
    engine.cancel()
    return {
        "first_step_s": times[0],
        "step_s": sorted(times[1:])[len(times[1:]) // 2],
        "loss": loss,
        # What L-BFGS held at the peak: the estimate model takes it out and puts a long run's back.
        "lbfgs_pairs": optimizer.pairs,
        "pair_bytes_per_px": 2 * 3 * optimizer.store.itemsize,
    }


def auto_tile(size: int, limit: float) -> int | None:
    """The tile the engine picks by itself at ``size`` within ``limit`` GiB (None: it paints it whole)."""
    from brushwork.engine import StyleParams
    from brushwork.engine.pictures.images import fit_dims
    from brushwork.engine.run.memory_plan import plan_scale
    from brushwork.engine.run.scale_building import canvas_margin
    from PIL import Image

    with Image.open(IMAGES / PAIR[0]) as photo:
        height, width = fit_dims(*photo.size, size)
    margin = canvas_margin(size)
    canvas = (height + 2 * margin, width + 2 * margin)
    return plan_scale(canvas, StyleParams(size=size, memory_limit=limit), None, torch.float32).tile


def run_child(args: list[str]) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    return result


def pastiche_case(size: int, steps: int, workdir: Path) -> dict:
    """pastiche's peak RSS (GNU time) and seconds per step at ``size``, from its own steps' pictures."""
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.glob("*.png"):
        old.unlink()
    cmd = [
        "/usr/bin/time", "-f", "%M", sys.executable, "-m", "pastiche", "--device", "cpu", "--size", str(size),
        "--style-size", str(size), "--num-steps", str(steps + 1), "--workspace", str(workdir),
        "--workspace-step", "1", "--seed", "0", "--no-verbose", "-c", str(IMAGES / PAIR[0]),
        "-s", str(IMAGES / PAIR[1]), "-o", str(workdir / "final.png"),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    frames = sorted(workdir.glob("[0-9]*.png"), key=lambda p: int(p.stem))
    stamps = [p.stat().st_mtime for p in frames]
    gaps = sorted(b - a for a, b in itertools.pairwise(stamps[1:]))  # after its first step
    return {"peak_rss_gib": int(out.stderr.strip().splitlines()[-1]) / 2**20, "step_s": gaps[len(gaps) // 2]}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        size, tile, steps = (int(v) for v in sys.argv[2:5])
        result = one_case(size, tile, steps, float(sys.argv[5]))
        result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--tile", type=int, default=0, help="tile side of the tiled runs (0: the engine's own)")
    parser.add_argument("--update", action="store_true", help="keep the saved records of cases not run")
    parser.add_argument("--memory-limit", type=float, default=3.0, help="GiB the tiled runs may use")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--no-whole-above", type=int, default=2048, help="skip the untiled run above this size")
    parser.add_argument("--peer-up-to", type=int, default=1024, help="run pastiche at sizes up to this")
    args = parser.parse_args()
    records = []
    for size in args.sizes:
        if size <= args.peer_up_to:
            peer = pastiche_case(size, args.steps + 1, Path("/tmp/brushwork-print-size-pastiche"))
            peer.update(size=size, mode="pastiche", tile=0)
            records.append(peer)
            print(json.dumps(peer), flush=True)
        for mode, tile in (("whole", 0), ("tiled", args.tile)):
            if mode == "whole" and size > args.no_whole_above:
                continue
            limit = 0.0
            if mode == "tiled":
                tile, limit = args.tile or auto_tile(size, args.memory_limit) or 0, args.memory_limit
                if size <= tile or not tile:
                    continue
            result = run_child(["--child", str(size), str(tile), str(args.steps), str(limit)])
            result.update(size=size, mode=mode, tile=tile, memory_limit=limit)
            records.append(result)
            print(json.dumps(result), flush=True)
    peers = {r["size"]: r for r in records if r["mode"] == "pastiche" and "error" not in r}
    nan = float("nan")
    rows = []
    for r in records:
        peer = peers.get(r["size"], {})
        rows.append([
            r["size"], r["mode"], f"{r.get('peak_rss_gib', nan):.2f}", f"{r.get('step_s', nan):.1f}",
            f"{r.get('peak_rss_gib', nan) / peer.get('peak_rss_gib', nan):.2f}",
            f"{r.get('step_s', nan) / peer.get('step_s', nan):.2f}",
        ])  # fmt: skip
    print_table(["size", "mode", "peak RSS GiB", "s/step", "RSS / pastiche's", "s/step / pastiche's"], rows)
    if args.update and SAVED.exists():
        ran = {(r["size"], r["mode"]) for r in records}
        kept = [r for r in json.loads(SAVED.read_text())["records"] if (r["size"], r["mode"]) not in ran]
        records = sorted(kept + records, key=lambda r: (r["size"], r["mode"]))
    save_json("print_size", {"cpu": cpu_kind(), "records": records})


if __name__ == "__main__":
    main()
