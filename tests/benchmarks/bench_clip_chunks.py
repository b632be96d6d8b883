"""A clip in overlapping chunks on a local Ray cluster, against the one chain painted in-process.

The clip is bench_video's pan across chelsea with a crossing disc. It is
painted with default settings three ways:

- ``in-process``: one chain, frame after frame (the peer);
- ``Ray, faded``: two chunks on two local workers, the second starting
  ``--overlap`` frames early and faded in over them (``engine.cluster.clip_chunks``);
- ``Ray, hard cut``: the same with no overlap, for comparison: the join is
  where the second chunk's fresh strokes begin.

For each: the wall time, the mean warping error between consecutive frames
on the pixels the flow trusts (bench_video's measure), and the largest
warping error of any pair of frames: where the chunks meet, if anywhere.
On two cores no speed-up is expected: in-process uses both cores for one
frame, the cluster one core for each chunk, and paints the overlap and a
second first frame (coarse to fine) on top.

    python tests/benchmarks/bench_clip_chunks.py [--size 128] [--frames 24] [--overlap 4]

Writes results/clip_chunks.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bench_video import STYLE, make_clip
from tests.benchmarks.common import IMAGES, cpu_kind, print_table, save_json


def in_process(clip: Path, params, out: Path) -> list[Image.Image]:
    from brushwork.engine.video.clip_painter import ClipRender

    render = ClipRender(clip, Image.open(IMAGES / STYLE).convert("RGB"), params, out)
    painted = []
    for progress in render.run():
        if progress.frame_finished and not progress.finished:
            painted.append(Image.open(render.work / f"frame_{progress.frame:06d}.png").convert("RGB"))
    return painted


def on_ray(clip: Path, params, out: Path, overlap: int) -> tuple[list[Image.Image], list[int]]:
    """The joined frames (before encoding) and the frames where a chunk begins its own part."""
    from brushwork.engine.cluster.clip_chunks import join_frames
    from brushwork.engine.cluster.clip_cluster import ChunkedClip, paint_clip

    chunked = ChunkedClip(clip, [Image.open(IMAGES / STYLE).convert("RGB")], params, out, overlap=overlap)
    workers, failed = paint_clip(chunked, lambda outcome: None)
    assert failed == 0 and workers == 2, (workers, failed)
    frames = [Image.fromarray(f) for f in join_frames(chunked.chunks, chunked.painted_frames(), chunked.painted)]
    chunked.write()
    return frames, [c.start for c in chunked.chunks[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--overlap", type=int, default=4)
    args = parser.parse_args()
    import ray
    from brushwork.engine import StyleParams
    from brushwork.engine.video.optical_flow import warping_error

    params = StyleParams(size=args.size)
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photos = make_clip(tmp / "clip.mp4", args.frames, args.size)
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            runs = [("in-process", None), ("Ray, faded", args.overlap), ("Ray, hard cut", 0)]
            for name, overlap in runs:
                started = time.perf_counter()
                if overlap is None:
                    painted, joins = in_process(tmp / "clip.mp4", params, tmp / "here.mp4"), []
                else:
                    painted, joins = on_ray(tmp / "clip.mp4", params, tmp / f"ray{overlap}.mp4", overlap)
                seconds = time.perf_counter() - started
                shown = [p.resize(painted[0].size, Image.LANCZOS) for p in photos]
                errors = [
                    warping_error(painted[i - 1], painted[i], shown[i - 1], shown[i]) for i in range(1, len(painted))
                ]
                worst = int(np.argmax(errors))
                records.append(
                    {
                        "run": name,
                        "overlap": overlap,
                        "seconds": seconds,
                        "warping_error": float(np.mean(errors)),
                        "warping_errors": errors,
                        "worst_pair": [worst + 1, worst + 2],  # 1-based frames
                        "worst_error": errors[worst],
                        "chunk_starts": joins,
                    }
                )
                print(
                    f"{name}: {seconds:.0f} s, warping error {records[-1]['warping_error']:.5f}, worst "
                    f"{errors[worst]:.5f} (frames {worst + 1}-{worst + 2})",
                    flush=True,
                )
        finally:
            ray.shutdown()
    peer = records[0]
    print(f"\n{cpu_kind()}; {args.frames} frames at {args.size} px; peer: one chain in-process, same run")
    print_table(
        ["run", "wall time (s)", "x peer", "warping error", "x peer", "worst pair", "its error", "x peer mean"],
        [
            [
                r["run"],
                f"{r['seconds']:.0f}",
                f"{r['seconds'] / peer['seconds']:.2f}",
                f"{r['warping_error']:.5f}",
                f"{r['warping_error'] / peer['warping_error']:.2f}",
                "-".join(map(str, r["worst_pair"])),
                f"{r['worst_error']:.5f}",
                f"{r['worst_error'] / peer['warping_error']:.1f}",
            ]
            for r in records
        ],
    )
    save_json("clip_chunks", {"size": args.size, "frames": args.frames, "records": records})


if __name__ == "__main__":
    main()
