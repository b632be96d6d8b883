"""Make the README's regions pictures: photo and mask, two regions with hard edges, the same with soft edges.

    python -m tests.tools.region_pictures resources/readme [--size 512]

The photo is scikit-image's coffee cup (CC0, from ../shared/images, which
PROVENANCE.md allows to be copied); the cup and saucer get The Starry Night,
the table the stained-glass pattern of ``readme_pictures``. The mask is drawn
here, as an artist would paint it: an ellipse for the saucer, one for the cup.
Writes regions.jpg and regions_mask.png (the mask as the command line reads it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from brushwork.engine import StyleParams, StyleTransfer, load_image
from brushwork.engine.files.bundled_files import sample_images
from brushwork.engine.settings.regions import RegionMasks, RegionSetting, colour_image_from_masks
from PIL import Image, ImageDraw, ImageFilter

from tests.benchmarks.common import IMAGES
from tests.tools.readme_pictures import montage, stained_glass


def cup_mask(size: tuple[int, int], feather: float) -> Image.Image:
    """The cup and saucer of coffee.png (600 x 400), scaled to ``size``, blurred by ``feather`` px."""
    sx, sy = size[0] / 600, size[1] / 400
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    draw.ellipse((78 * sx, 88 * sy, 480 * sx, 388 * sy), fill=255)  # saucer
    draw.ellipse((172 * sx, 14 * sy, 412 * sx, 300 * sy), fill=255)  # cup
    draw.polygon([(360 * sx, 250 * sy), (405 * sx, 62 * sy), (425 * sx, 70 * sy), (400 * sx, 260 * sy)], fill=255)
    if feather > 0:
        mask = mask.filter(ImageFilter.GaussianBlur(feather / 2))
    return mask


def paint(photo, styles, mask: Image.Image, size: int) -> tuple[Image.Image, float]:
    params = StyleParams(
        size=size,
        regions=(RegionSetting("red", "cup", (1.0, 0.0)), RegionSetting("blue", "table", (0.0, 1.0))),
        outside_regions="photo",
    )
    masks = RegionMasks((mask, Image.eval(mask, lambda v: 255 - v)))
    engine = StyleTransfer(photo, styles, params, masks=masks)
    started = time.perf_counter()
    for _ in engine.run():
        pass
    return engine.result(), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.region_pictures")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    photo = load_image(IMAGES / "coffee.png")
    styles = [load_image(sample_images()[1]), stained_glass()]
    hard, soft = cup_mask(photo.size, 0), cup_mask(photo.size, photo.width / 16)
    shown_mask = colour_image_from_masks([soft, Image.eval(soft, lambda v: 255 - v)], ["red", "blue"])
    shown_mask.save(args.folder / "regions_mask.png", optimize=True)
    pictures = []
    for name, mask in (("hard", hard), ("soft", soft)):
        picture, seconds = paint(photo, styles, mask, args.size)
        print(f"{name} edges: {seconds:.0f} s", flush=True)
        pictures.append(picture)
    blended = Image.blend(photo.convert("RGB"), shown_mask, 0.55)
    montage([blended, *pictures], ["photo and mask", "hard edges", "soft edges"], height=300).save(
        args.folder / "regions.jpg", quality=88
    )
    # The saucer's left rim at the painted size, where the two paintings meet, enlarged 2x without smoothing.
    scale = pictures[0].width / photo.width
    box = tuple(round(v * scale) for v in (40, 150, 200, 310))
    crops = [
        p.crop(box).resize(((box[2] - box[0]) * 2, (box[3] - box[1]) * 2), Image.Resampling.NEAREST) for p in pictures
    ]
    montage(crops, ["hard edge, 2x", "soft edge, 2x"], height=crops[0].height).save(
        args.folder / "regions_edges.jpg", quality=90
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
