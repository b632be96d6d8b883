"""Video: how much steadier is a clip painted with the temporal term than frame by frame, and at what cost?

The clip is made here from the shared photos: a camera pan across chelsea
(4 px a frame) with a disc of coffee crossing it the other way (7 px a frame),
so that the flow has occlusions and motion boundaries to get wrong. It is
painted in the style of The Starry Night in several ways:

- ``independent``: every frame from its own photo with the full plan (the peer:
  what a batch of pictures gives);
- ``warm``: each frame from the last one warped, without the temporal term;
- ``temporal W``: Ruder et al.'s temporal term at weight W as well.

For each: the mean warping error between consecutive painted frames on the
pixels the flow trusts (the measure of Ruder et al. and Lai et al. 2018), the
neutral scorer's total per frame, and seconds per frame after the first. The
ratios are against ``independent`` in the same run.

    python tests/benchmarks/bench_video.py [--size 256] [--frames 10] [--weights 5 20 80] [--pan 4]

Writes results/video.json (``--name``) and, with ``--readme-still PATH``, the README's
side-by-side still of two frames and what changed between them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, Scorer, cpu_kind, print_table, save_json

STYLE = "starry_night.jpg"


def make_clip(path: Path, frames: int, size: int, pan: int = 4) -> list[Image.Image]:
    """The pan (``pan`` px a frame) with a crossing disc, written losslessly enough (crf 4) that the codec adds
    no flicker."""
    import av

    width, height = size, size * 3 // 4
    scene = Image.open(IMAGES / "chelsea.png").convert("RGB")
    scale = max(height * 1.2 / scene.height, (width + pan * frames) / scene.width)
    scene = scene.resize((round(scene.width * scale), round(scene.height * scale)), Image.LANCZOS)
    disc_texture = Image.open(IMAGES / "coffee.png").convert("RGB").resize((height // 2, height // 2))
    disc_mask = Image.new("L", disc_texture.size, 0)
    ImageDraw.Draw(disc_mask).ellipse((0, 0, *disc_texture.size), fill=255)
    pictures = []
    for i in range(frames):
        frame = scene.crop((pan * i, height // 10, pan * i + width, height // 10 + height))
        frame.paste(disc_texture, (width - height // 2 - 7 * i, height // 4), disc_mask)
        pictures.append(frame)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv444p"
        stream.options = {"crf": "4"}
        for i, picture in enumerate(pictures):
            frame = av.VideoFrame.from_ndarray(np.asarray(picture), format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return pictures


def paint(clip: Path, params, settings, out: Path) -> dict:
    """Paint the clip; the painted frames (read from the work folder as each finishes) and their times."""
    from brushwork.engine.video.clip_painter import ClipRender

    render = ClipRender(clip, Image.open(IMAGES / STYLE).convert("RGB"), params, out, settings)
    painted, seconds, started = [], [], time.perf_counter()
    for progress in render.run():
        if progress.frame_finished and not progress.finished:
            seconds.append(time.perf_counter() - started)
            started = time.perf_counter()
            painted.append(Image.open(render.work / f"frame_{progress.frame:06d}.png").convert("RGB"))
    return {"painted": painted, "seconds": seconds, "dims": render.dims}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--weights", type=float, nargs="+", default=[5.0, 20.0, 80.0])
    parser.add_argument("--pan", type=int, default=4, help="pixels the camera moves a frame")
    parser.add_argument("--name", default="video", help="results/NAME.json")
    parser.add_argument("--readme-still", type=Path)
    args = parser.parse_args()
    from brushwork.engine import StyleParams
    from brushwork.engine.video.clip_painter import VideoSettings
    from brushwork.engine.video.optical_flow import warping_error

    scorer = Scorer()
    params = StyleParams(size=args.size)
    modes = [("independent", VideoSettings(independent=True)), ("warm", VideoSettings(temporal_weight=0.0))]
    modes += [(f"temporal {w:g}", VideoSettings(temporal_weight=w)) for w in args.weights]
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photos = make_clip(tmp / "clip.mp4", args.frames, args.size, args.pan)
        photo_files = []
        for name, settings in modes:
            result = paint(tmp / "clip.mp4", params, settings, tmp / f"{name.replace(' ', '_')}.mp4")
            height, width = result["dims"]
            if not photo_files:
                for i, photo in enumerate(photos):
                    file = tmp / f"photo_{i}.png"
                    photo.resize((width, height), Image.LANCZOS).save(file)
                    photo_files.append(file)
            shown = [Image.open(f).convert("RGB") for f in photo_files]
            painted = result["painted"]
            errors = [warping_error(painted[i - 1], painted[i], shown[i - 1], shown[i]) for i in range(1, len(painted))]
            totals = [
                scorer.total(photo_files[i], IMAGES / STYLE, p, max(width, height)) for i, p in enumerate(painted)
            ]
            records.append(
                {
                    "mode": name,
                    "settings": asdict(settings),
                    "warping_error": float(np.mean(errors)),
                    "warping_errors": errors,
                    "scorer_total": float(np.mean(totals)),
                    "scorer_totals": totals,
                    "first_frame_s": result["seconds"][0],
                    "later_frame_s": float(np.mean(result["seconds"][1:])),
                    "painted": painted,
                }
            )
            print(f"{name}: warping error {records[-1]['warping_error']:.5f}, total {records[-1]['scorer_total']:.3f}")
        peer = records[0]
        print(f"\n{cpu_kind()}; {args.frames} frames at {args.size} px; peer: independent frames, same run")
        print_table(
            ["mode", "warping error", "x peer", "scorer total", "x peer", "s/frame (later)", "x peer"],
            [
                [
                    r["mode"],
                    f"{r['warping_error']:.5f}",
                    f"{r['warping_error'] / peer['warping_error']:.3f}",
                    f"{r['scorer_total']:.3f}",
                    f"{r['scorer_total'] / peer['scorer_total']:.3f}",
                    f"{r['later_frame_s']:.1f}",
                    f"{r['later_frame_s'] / peer['later_frame_s']:.2f}",
                ]
                for r in records
            ],
        )
        if args.readme_still:
            from brushwork.engine.objective.temporal_term import TEMPORAL_WEIGHT

            chosen = next((r for r in records if r["mode"] == f"temporal {TEMPORAL_WEIGHT:g}"), records[-1])
            readme_still(args.readme_still, peer["painted"], chosen["painted"], shown)
    save_json(
        args.name,
        {
            "pan": args.pan,
            "size": args.size,
            "frames": args.frames,
            "records": [{k: v for k, v in r.items() if k != "painted"} for r in records],
        },
    )


def readme_still(path: Path, independent: list, temporal: list, photos: list) -> None:
    """Two rows (frame by frame, with the temporal term): frames 5 and 6, and 4x what changed between them
    beyond the scene's own motion."""
    from brushwork.engine.video.optical_flow import frame_motion, warp

    i = min(5, len(photos) - 1)
    backward, trust = frame_motion(photos[i - 1], photos[i])
    rows = []
    for painted in (independent, temporal):
        warped = warp(np.asarray(painted[i - 1], dtype=np.float32), backward)
        change = np.abs(np.asarray(painted[i], dtype=np.float32) - warped) * trust[..., None]
        change = Image.fromarray(np.clip(255 - 4 * change, 0, 255).astype(np.uint8))
        rows.append([painted[i - 1], painted[i], change])
    width, height = photos[0].size
    still = Image.new("RGB", (3 * width + 8, 2 * height + 4), "white")
    for r, row in enumerate(rows):
        for c, picture in enumerate(row):
            still.paste(picture, (c * (width + 4), r * (height + 4)))
    still.save(path, quality=88)
    print(f"still: {path}")


if __name__ == "__main__":
    main()
