"""Make the README's pictures of the creative controls, with Brushwork itself.

    QT_QPA_PLATFORM=offscreen python -m tests.tools.readme_pictures resources/readme

Writes colours.jpg (colour kept vs not), blend.jpg (two styles at three
ratios), strokes.jpg (three stroke scales) and explorer.png (the layer
explorer), all from the bundled samples plus a stained-glass pattern this
script draws as the second style.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import numpy as np
from brushwork.engine import StyleParams, StyleTransfer, load_image
from brushwork.engine.files.bundled_files import sample_images
from PIL import Image, ImageDraw, ImageFont

SIZE, STEPS = 384, 200


def stained_glass(size: int = 512, cells: int = 60, seed: int = 4) -> Image.Image:
    """A second 'painting' we may ship: bright Voronoi panes with dark leading."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, size, (cells, 2))
    palette = np.array([[214, 40, 40], [247, 127, 0], [252, 191, 73], [42, 157, 143], [38, 70, 140], [120, 40, 130]])
    colours = palette[rng.integers(0, len(palette), cells)]
    y, x = np.mgrid[0:size, 0:size]
    d = (x[..., None] - points[:, 0]) ** 2 + (y[..., None] - points[:, 1]) ** 2
    order = np.argsort(d, axis=-1)
    nearest, second = order[..., 0], order[..., 1]
    gap = np.sqrt(np.take_along_axis(d, second[..., None], -1)[..., 0]) - np.sqrt(
        np.take_along_axis(d, nearest[..., None], -1)[..., 0]
    )
    picture = colours[nearest].astype(float) * (0.8 + 0.2 * rng.random((size, size, 1)))
    picture[gap < 5] = (25, 20, 20)
    return Image.fromarray(picture.clip(0, 255).astype(np.uint8), "RGB")


def paint(content: Image.Image, styles, **params) -> Image.Image:
    engine = StyleTransfer(content, styles, StyleParams(size=SIZE, steps=STEPS, **params))
    for _ in engine.run():
        pass
    return engine.result()


def montage(pictures: list[Image.Image], labels: list[str], height: int = 230) -> Image.Image:
    font = ImageFont.load_default(size=16)
    scaled = [p.resize((round(p.width * height / p.height), height), Image.Resampling.LANCZOS) for p in pictures]
    width = sum(p.width for p in scaled) + 8 * (len(scaled) - 1)
    sheet = Image.new("RGB", (width, height + 26), "white")
    x = 0
    draw = ImageDraw.Draw(sheet)
    for picture, label in zip(scaled, labels, strict=True):
        sheet.paste(picture, (x, 26))
        draw.text((x + 4, 4), label, fill=(30, 30, 30), font=font)
        x += picture.width + 8
    return sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.readme_pictures")
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    content_path, style_path = sample_images()
    content, starry = load_image(content_path), load_image(style_path)
    glass = stained_glass()

    colours = [paint(content, starry, keep_colors=mode) for mode in ("off", "luminance", "match")]
    montage([content, *colours], ["photo", "style colours (default)", "luminance only", "colours matched"]).save(
        args.folder / "colours.jpg", quality=88
    )
    print("colours.jpg", flush=True)

    ratios = [(3.0, 1.0), (1.0, 1.0), (1.0, 3.0)]
    blends = [paint(content, [starry, glass], style_blend=r) for r in ratios]
    montage([starry, *blends, glass], ["style A", "75 % A", "50 / 50", "75 % B", "style B"]).save(
        args.folder / "blend.jpg", quality=88
    )
    print("blend.jpg", flush=True)

    strokes = [paint(content, starry, style_scale=s) for s in (0.5, 1.0, 2.0)]
    montage(strokes, ["stroke scale 0.5", "1 (default)", "2"]).save(args.folder / "strokes.jpg", quality=88)
    print("strokes.jpg", flush=True)

    explorer_screenshot(args.folder / "explorer.png")
    print("explorer.png")
    return 0


def explorer_screenshot(path: Path) -> None:
    from brushwork.gui.roles import CONTENT, STYLE

    from tests.tools.scratch_window import scratch_window

    loop, window = scratch_window("brushwork-explorer-")
    window.show()

    async def shoot() -> None:
        content_path, style_path = sample_images()
        await asyncio.gather(window.load_image_into(CONTENT, content_path), window.load_image_into(STYLE, style_path))
        explorer = window.open_layer_explorer()
        explorer.resize(1000, 560)
        explorer.layer.setCurrentText("conv2_1")
        while explorer.view is None or explorer.view.layer != "conv2_1":
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.2)
        explorer.grab().save(str(path))
        explorer.close()
        window.close()

    with loop:
        loop.run_until_complete(shoot())


if __name__ == "__main__":
    sys.exit(main())
