"""The batch on a local Ray cluster against the same batch in-process, on this machine.

Both run the command line, as an artist would, on the same photos (the shared
photos and their mirror images) with The Starry Night, in the order ABBA so
that the machine's drift falls on both. The peer is the in-process batch. On
two cores no speed-up is expected: the in-process run already uses both
cores for one picture, the cluster one core for each of two. What this
measures is what Ray costs (starting the cluster, moving pictures) and that
the pictures are the same.

    python tests/benchmarks/bench_cluster.py [--size 256] [--repeats 1]

Writes results/cluster.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, cpu_kind, print_table, save_json

STYLE = "starry_night.jpg"


def batch(photos: Path, out: Path, size: int, ray: bool) -> float:
    command = [sys.executable, "-m", "brushwork.engine", str(photos / "*.png"), "-s", str(IMAGES / STYLE)]
    command += ["-o", str(out)]
    command += ["--size", str(size), "-q"] + (["--ray", "auto"] if ray else [])
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photos = tmp / "photos"
        photos.mkdir()
        for name in ("chelsea.png", "coffee.png"):
            photo = Image.open(IMAGES / name).convert("RGB")
            photo.save(photos / name)
            ImageOps.mirror(photo).save(photos / f"mirrored_{name}")
        times = {"in-process": [], "ray": []}
        for repeat in range(args.repeats):
            for ray in (False, True, True, False):
                name = "ray" if ray else "in-process"
                seconds = batch(photos, tmp / f"{name}{repeat}", args.size, ray)
                times[name].append(seconds)
                print(f"{name}: {seconds:.1f} s", flush=True)
        differences = []
        for picture in sorted((tmp / "in-process0").glob("*.png")):
            here = np.asarray(Image.open(picture), dtype=int)
            there = np.asarray(Image.open(tmp / "ray0" / picture.name), dtype=int)
            differences.append(float(np.abs(here - there).max()))
    local, ray = float(np.mean(times["in-process"])), float(np.mean(times["ray"]))
    print(f"\n{cpu_kind()}; 4 photos at {args.size} px; peer: the in-process batch, same run")
    print_table(
        ["batch", "wall time (s)", "x peer"],
        [["in-process", f"{local:.1f}", "1.00"], ["Ray, 2 local workers", f"{ray:.1f}", f"{ray / local:.2f}"]],
    )
    print(f"largest pixel difference between the two batches' pictures: {max(differences):.0f}/255")
    save_json(
        "cluster",
        {"size": args.size, "times": times, "ratio": ray / local, "max_pixel_difference": max(differences)},
    )


if __name__ == "__main__":
    main()
