"""Regions: is there a seam where two styles meet, and what do regions cost per step?

The anchors' users report that soft masks leave a poor band where regions
meet (neural-style-pt #46). This paints the cat photo with The Starry Night on
the left and The Great Wave on the right, split along a wavy line, with:

- ``ours``: guides weighted by t, each region's error by its area share (``engine.objective.guided_gram``);
- ``paper``: Gatys et al. 2017's features times guide, so a pixel weighs t^2;
- ``hard``: ours with the mask thresholded, the reference for a clean cut.

For each picture it measures the default style term (the five Gatys layers,
default weights) over three sets of pixels: a band along the boundary as wide
as the soft edge, and the inside of each region away from it. A set's target
is the mix of the two paintings' Grams in the proportion the mask gives the
set (inside a region, its own painting; in the band, about half and half).
``seam`` is the band's error over the mean of the insides: 1 means the band is
styled as well as the rest; a band of photo shows as a large value.
``styled`` is 1 - band error / the unstyled photo's band error: how far the
band has moved from the photo towards its styles. ``texture`` is the band's
high-frequency energy (Laplacian) over the insides': a washed-out band reads
below 1.

It then times steps at 512 px with no regions and with the two regions, in
the same run.

    python tests/benchmarks/bench_region_seam.py [--size 256] [--steps 300]

Writes results/region_seam.json and, for looking at, results/region_seam_*.png
(not committed: they carry The Great Wave, which may not be copied into the
project).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from brushwork.engine.network.layers import DEFAULT_STYLE_WEIGHTS
from brushwork.engine.network.vgg19 import FeatureExtractor
from brushwork.engine.network.vgg_weights import load_weights
from brushwork.engine.objective import guided_gram as region_style
from brushwork.engine.objective.loss_terms import gram_matrix
from brushwork.engine.pictures.images import fit_dims, load_image, resize, to_tensor
from brushwork.engine.run.schedule import plan_stages
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.regions import RegionMasks, RegionSetting
from brushwork.engine.settings.style_params import StyleParams

from tests.benchmarks.common import IMAGES, RESULTS, cpu_kind, print_table, save_json

PHOTO, LEFT, RIGHT = "chelsea.png", "starry_night.jpg", "wave.jpg"


def split_masks(size: tuple[int, int], feather: float) -> tuple[np.ndarray, np.ndarray]:
    """(left mask in 0-1, signed distance to the boundary in px), for a wavy vertical split."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    boundary = width / 2 + width * 0.06 * np.sin(y / height * 2 * np.pi * 1.5)
    distance = boundary - x  # > 0 on the left
    if feather <= 0:
        return (distance > 0).astype(np.float32), distance
    # A linear ramp as wide as the feather: what a soft brush or a blurred selection gives.
    return np.clip(0.5 + distance / feather, 0.0, 1.0), distance


def as_mask(plane: np.ndarray) -> Image.Image:
    return Image.fromarray(np.rint(plane * 255).astype(np.uint8), "L")


def paint(photo, styles, mask_left, size: int, steps: int) -> tuple[Image.Image, float, int]:
    params = StyleParams(
        size=size,
        steps=steps,
        regions=(RegionSetting("red", "left", (1.0, 0.0)), RegionSetting("blue", "right", (0.0, 1.0))),
        outside_regions="photo",
    )
    masks = RegionMasks((as_mask(mask_left), as_mask(1 - mask_left)))
    engine = StyleTransfer(photo, styles, params, masks=masks)
    started = time.perf_counter()
    steps_done = 0
    for progress in engine.run():
        steps_done = progress.step
    return engine.result(), time.perf_counter() - started, steps_done


class SeamMeter:
    """The style term over sets of pixels, against the mask's mix of the two paintings' Grams."""

    def __init__(self, styles: list[Image.Image], size: tuple[int, int]) -> None:
        self.net = FeatureExtractor(load_weights("oxford"), "conv5_1")
        self.layers = set(DEFAULT_STYLE_WEIGHTS)
        self.targets = []
        for style in styles:
            h, w = fit_dims(*style.size, max(size))
            feats = self.net(to_tensor(resize(style, h, w)), self.layers)
            self.targets.append({n: gram_matrix(f)[0] for n, f in feats.items()})

    @torch.no_grad()
    def error(self, picture: Image.Image, where: np.ndarray, mix: list[float]) -> float:
        feats = self.net(to_tensor(picture), self.layers)
        total = 0.0
        weight_map = torch.from_numpy(where.astype(np.float32))[None, None]
        for name, layer_weight in DEFAULT_STYLE_WEIGHTS.items():
            f = feats[name]
            w = F.adaptive_avg_pool2d(weight_map, f.shape[-2:]).flatten()
            flat = f[0].flatten(1)
            gram = (flat * w) @ flat.T / w.sum().clamp_min(1e-6)
            target = sum(m * t[name] for m, t in zip(mix, self.targets, strict=True))
            total += layer_weight * float((gram - target).pow(2).sum() / target.pow(2).sum())
        return total


def laplacian_energy(picture: Image.Image, where: np.ndarray) -> float:
    grey = np.asarray(picture.convert("L"), np.float32) / 255
    lap = np.abs(4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:])
    inner = where[1:-1, 1:-1]
    return float((lap * inner).sum() / max(inner.sum(), 1))


def measure(meter: SeamMeter, picture: Image.Image, mask_left: np.ndarray, distance: np.ndarray, band: float):
    in_band = np.abs(distance) < band / 2
    left = distance > band
    right = distance < -band
    share = float(mask_left[in_band].mean())
    e_band = meter.error(picture, in_band, [share, 1 - share])
    e_left = meter.error(picture, left, [1.0, 0.0])
    e_right = meter.error(picture, right, [0.0, 1.0])
    tex = laplacian_energy(picture, in_band) / (
        0.5 * (laplacian_energy(picture, left) + laplacian_energy(picture, right))
    )
    return {
        "band": e_band,
        "left": e_left,
        "right": e_right,
        "seam": e_band / (0.5 * (e_left + e_right)),
        "texture": tex,
    }


def step_times(photo, styles, mask_left, size: int, steps: int = 8) -> dict:
    """Seconds per step at ``size`` without regions and with the two regions (after two warm-up steps)."""
    out = {}
    base = StyleParams(size=size, steps=1000, stop_early=False)
    cases = {
        "no regions": (base, None),
        "two regions": (
            base.replace(
                regions=(RegionSetting("red", style=(1.0, 0.0)), RegionSetting("blue", style=(0.0, 1.0))),
                outside_regions="photo",
            ),
            RegionMasks((as_mask(mask_left), as_mask(1 - mask_left))),
        ),
    }
    top = plan_stages(size, base.steps)[-1].first_step  # steps at the output size only
    for name, (params, masks) in cases.items():
        engine = StyleTransfer(photo, styles, params, masks=masks, start_step=top)
        times = []
        last = time.perf_counter()
        for _ in engine.run():
            now = time.perf_counter()
            times.append(now - last)
            last = now
            if len(times) >= steps + 2:
                break
        engine.cancel()
        out[name] = float(np.median(times[2:]))
    out["ratio"] = out["two regions"] / out["no regions"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--time-size", type=int, default=512)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(0)
    photo = load_image(IMAGES / PHOTO)
    styles = [load_image(IMAGES / LEFT), load_image(IMAGES / RIGHT)]
    h, w = fit_dims(*photo.size, args.size)
    feather = args.size / 8  # 32 px at 256: a soft brush's edge
    records = {}
    soft, distance = split_masks((w, h), feather)
    hard, _ = split_masks((w, h), 0)
    meter = SeamMeter(styles, (w, h))
    photo_at = resize(photo, h, w)
    share = float(soft[np.abs(distance) < feather / 2].mean())
    photo_band = meter.error(photo_at, np.abs(distance) < feather / 2, [share, 1 - share])
    for name, mask, power in (("ours", soft, 1.0), ("paper", soft, 2.0), ("hard", hard, 1.0)):
        region_style.GUIDE_POWER = power
        try:
            picture, seconds, steps = paint(photo, styles, mask, args.size, args.steps)
        finally:
            region_style.GUIDE_POWER = 1.0
        picture.save(RESULTS / f"region_seam_{name}_{args.size}.png")
        record = measure(meter, picture, soft if name != "hard" else hard, distance, feather)
        record.update(styled=1 - record["band"] / photo_band, seconds=seconds, steps=steps)
        records[name] = record
        print(f"{name}: {record}", flush=True)
    print_table(
        ["formulation", "band error", "left", "right", "seam (band/inside)", "band styled", "texture", "s"],
        [
            [
                n,
                f"{r['band']:.3f}",
                f"{r['left']:.3f}",
                f"{r['right']:.3f}",
                f"{r['seam']:.2f}",
                f"{r['styled']:.2f}",
                f"{r['texture']:.2f}",
                f"{r['seconds']:.0f}",
            ]
            for n, r in records.items()
        ],
    )
    payload = {"cpu": cpu_kind(), "size": args.size, "feather_px": feather, "photo_band_error": photo_band, **records}
    if not args.skip_timing:
        th, tw = fit_dims(*photo.size, args.time_size)
        timing = step_times(photo, styles, split_masks((tw, th), args.time_size / 8)[0], args.time_size)
        print(f"seconds per step at {args.time_size} px: {timing}")
        payload["step_seconds"] = {"size": args.time_size, **timing}
    save_json("region_seam", payload)


if __name__ == "__main__":
    main()
