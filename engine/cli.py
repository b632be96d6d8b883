"""``brushwork-render``: the engine without a window."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from pathlib import Path

from .errors import BrushworkError
from .images import load_image, save_image
from .layers import CONTENT_LAYER_CHOICES, CONV_LAYERS, DEFAULT_STYLE_WEIGHTS
from .params import INITS, OPTIMIZERS, POOLINGS, StyleParams
from .presets import find_preset
from .progress import Progress, format_duration
from .resources import sample_images
from .transfer import StyleTransfer

# Images are decoded at most this large; the engine never needs more than the
# output size, and a 100-megapixel photo would otherwise cost gigabytes.
MAX_DECODE_SIDE = 4096


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="brushwork-render",
        description="Paint CONTENT in the style of STYLE (Gatys et al. 2016 on the Oxford VGG19).",
    )
    p.add_argument("content", nargs="?", help="content photo")
    p.add_argument("style", nargs="?", help="style painting")
    p.add_argument("-o", "--output", required=True, help="output file (.png or .jpg)")
    p.add_argument("--demo", action="store_true", help="use the bundled sample photo and painting")
    p.add_argument("--preset", help="built-in preset name or a preset .json file")
    p.add_argument("--size", type=int, help="long side of the output in pixels (default 512)")
    p.add_argument("--steps", type=int, help="optimisation steps over all scales (default 300)")
    p.add_argument("--alpha", type=float, help="content weight (default 1)")
    p.add_argument("--beta", type=float, help="style weight (default 10)")
    p.add_argument(
        "--layer-weights",
        nargs="+",
        metavar="W",
        help="style layer weights: numbers for conv1_1..conv5_1 in order, or LAYER=W pairs "
        "(default 1.0 0.8 0.6 0.4 0.3)",
    )
    p.add_argument("--content-layer", choices=CONTENT_LAYER_CHOICES, help="default conv4_2")
    p.add_argument("--tv-weight", type=float, help="total-variation smoothing (default 0)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="default lbfgs")
    p.add_argument("--init", metavar="content|noise|FILE", help="starting picture (default content)")
    p.add_argument("--pooling", choices=POOLINGS, help="default max")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--device", help="auto, cpu, mps, cuda or cuda:N (default auto)")
    p.add_argument("--weights", metavar="oxford|torchvision|FILE", help="VGG19 weights (default oxford)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def _layer_weights(values: list[str]) -> dict[str, float]:
    if all("=" in v for v in values):
        pairs = [v.split("=", 1) for v in values]
        return {name.strip(): float(w) for name, w in pairs}
    if any("=" in v for v in values):
        raise ValueError("give either plain numbers or LAYER=W pairs, not both")
    layers = list(DEFAULT_STYLE_WEIGHTS)
    if len(values) > len(layers):
        raise ValueError(f"at most {len(layers)} plain weights ({', '.join(layers)}); use LAYER=W for others")
    return {layer: float(w) for layer, w in zip(layers, values, strict=False)}


def build_params(args: argparse.Namespace) -> StyleParams:
    """The preset (or defaults) with the command line's options on top."""
    params = find_preset(args.preset).params if args.preset else StyleParams()
    changes = {}
    for name in (
        "size",
        "steps",
        "alpha",
        "beta",
        "content_layer",
        "tv_weight",
        "optimizer",
        "pooling",
        "seed",
        "device",
        "weights",
    ):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.layer_weights:
        try:
            changes["style_layers"] = _layer_weights(args.layer_weights)
        except ValueError as exc:
            raise BrushworkError(f"--layer-weights: {exc}") from None
        unknown = [k for k in changes["style_layers"] if k not in CONV_LAYERS]
        if unknown:
            raise BrushworkError(f"--layer-weights: unknown layer {unknown[0]!r}; use conv1_1 ... conv5_4")
    if args.init:
        if args.init in INITS and args.init != "image":
            changes["init"] = args.init
        else:
            changes.update(init="image", init_image=args.init)
    return params.replace(**changes)


class ProgressBar:
    """One status line on stderr: redrawn in place on a terminal, every few seconds in a log."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_print = 0.0
        self._rate_mark: tuple[int, float] | None = None

    def update(self, p: Progress) -> None:
        now = time.monotonic()
        if not (self.tty or p.finished or p.scale_finished or now - self._last_print >= 5.0):
            return
        self._last_print = now
        width = 24
        filled = round(width * p.fraction)
        bar = "#" * filled + "-" * (width - filled)
        rate = p.step / p.elapsed if p.elapsed > 0 else 0.0
        left = format_duration(p.seconds_left())
        losses = " ".join(
            f"{name} {value:.3g}"
            for name, value in (("content", p.losses.content), ("style", p.losses.style), ("total", p.losses.total))
            if not math.isnan(value)
        )
        line = (
            f"[{bar}] {p.step}/{p.total_steps} scale {p.scale + 1}/{p.scales} ({p.width}x{p.height}) "
            f"{losses} | {rate:.1f} steps/s, {left} left"
        )
        if self.tty:
            self.stream.write("\r" + line[: os.get_terminal_size(self.stream.fileno()).columns - 1] + "\x1b[K")
            if p.finished:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.demo:
        if args.content or args.style:
            parser.error("--demo uses the bundled samples; do not give CONTENT or STYLE")
        content_path, style_path = sample_images()
    elif not (args.content and args.style):
        parser.error("give CONTENT and STYLE images, or --demo")
    else:
        content_path, style_path = Path(args.content), Path(args.style)
    out = Path(args.output)
    engine = None
    try:
        params = build_params(args)
        if out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise BrushworkError(f"Cannot save {out.name}: use a .png, .jpg or .jpeg file name")
        content = load_image(content_path, MAX_DECODE_SIDE)
        style = load_image(style_path, MAX_DECODE_SIDE)
        engine = StyleTransfer(content, style, params)
        bar = None if args.quiet else ProgressBar()
        for progress in engine.run():
            if bar:
                bar.update(progress)
        save_image(engine.result(), out)
    except BrushworkError as exc:
        print(f"brushwork-render: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Keep what was painted so far rather than throwing it away.
        picture = engine.result() if engine is not None else None
        if picture is not None:
            try:
                save_image(picture, out)
                print(f"\nbrushwork-render: interrupted; saved the picture so far to {out}", file=sys.stderr)
            except BrushworkError as exc:
                print(f"\nbrushwork-render: interrupted; could not save: {exc}", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"saved {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
