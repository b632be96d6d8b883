"""What every ``brushwork-render`` run paints: which photos (CONTENT, globs, ``--demo``), which paintings
(``--style``, ``--blend``) and with which settings (``--preset``, ``--size``, ``--beta`` ...), read into a ``Job``."""

from __future__ import annotations

import argparse
import glob
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BrushworkError
from ..files.bundled_files import sample_images
from ..network.layers import CONTENT_LAYER_CHOICES, CONV_LAYERS, DEFAULT_STYLE_WEIGHTS

# Only light modules here: --help and --version must answer without loading
# PyTorch. The engine proper is imported once there is work to do.
from ..settings.choices import COLOR_MODES, INITS, OPTIMIZERS, POOLINGS, PRECISIONS, STYLE_LOSSES
from ..settings.presets import find_preset
from ..settings.style_params import StyleParams
from .output import SAVE_SUFFIXES
from .region_options import RegionPlan, apply_regions, check_style_masks

if TYPE_CHECKING:
    from PIL import Image

# engine.video_io's, without importing FFmpeg for --help
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")

# StyleParams' fields that an option of the same name sets as it is.
PLAIN_SETTINGS = (
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
    "keep_colors",
    "color_strength",
    "style_scale",
    "style_loss",
    "precision",
    "stop_early",
    "clean_edges",
    "trim_frame",
    "tile",
    "memory_limit",
)


def is_clip(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def _listed(suffixes: tuple[str, ...]) -> str:
    """'.png, .jpg or .tif': the help names every suffix the output check takes, from the same list."""
    return ", ".join(suffixes[:-1]) + " or " + suffixes[-1]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    p = parser
    p.add_argument("images", nargs="*", metavar="CONTENT", help="content photo(s), then STYLE unless --style")
    p.add_argument("-s", "--style", nargs="+", action="extend", metavar="STYLE", help="style painting(s) to blend")
    p.add_argument("--blend", nargs="+", type=float, metavar="W", help="blend weight of each --style (default equal)")
    p.add_argument(
        "-o",
        "--output",
        help=f"output file ({_listed(SAVE_SUFFIXES)}); with several content images a folder, or a name "
        "containing {name} (e.g. 'out/{name}_starry.jpg'); not needed with --dry-run",
    )
    p.add_argument("--demo", action="store_true", help="use the bundled sample photo and painting")
    p.add_argument("--preset", help="a preset's name (yours from the studio, or built in) or a preset .json file")
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
    p.add_argument("--keep-colors", choices=COLOR_MODES, help="keep the photo's colours (default off)")
    p.add_argument("--color-strength", type=float, help="how much of the photo's colour to keep, 0-1 (default 1)")
    p.add_argument("--style-scale", type=float, help="stroke scale: style size relative to the output, 0.25-2")
    p.add_argument(
        "--style-loss",
        choices=STYLE_LOSSES,
        help="the texture statistic matched: gram (Gatys et al., the default), w2 (the features' mean and "
        "covariance: fuller colour and contrast) or sliced (their whole distribution, sliced Wasserstein)",
    )
    p.add_argument("--precision", choices=PRECISIONS, help="convolution precision (default auto)")
    p.add_argument(
        "--depth",
        type=int,
        choices=(8, 16),
        default=8,
        help="bits per channel of a PNG or TIFF output (16 keeps the optimiser's own precision, for print)",
    )
    p.add_argument(
        "--tile",
        type=int,
        metavar="N",
        help="paint scales larger than N px tile by tile (same picture, bounded memory); "
        "default: only scales that would not fit in memory",
    )
    p.add_argument(
        "--memory-limit",
        type=float,
        metavar="GIB",
        help="tile any scale that would need more than GIB GiB, not only those that would not fit "
        "(e.g. 3 keeps a 4096 px render under about 3 GiB, more slowly)",
    )
    switches = (
        ("--stop-early", "end a scale once the picture stops changing visibly"),
        ("--clean-edges", "paint on a slightly larger canvas so the borders carry no frame"),
        ("--trim-frame", "leave the painting's outer 3%% (its frame or canvas edge) out of the style"),
    )
    for flag, text in switches:
        p.add_argument(flag, action=argparse.BooleanOptionalAction, help=f"{text} (default on)")
    p.add_argument(
        "--shrink-on-oom",
        action="store_true",
        help="if a scale runs out of memory, continue from the picture so far at a size that fits",
    )


@dataclass(frozen=True)
class Inputs:
    """The positional arguments, read: what the checks after this one and every mode's run go by."""

    contents: list[Path]  # globs expanded, order kept, no repeats
    style_files: list[str]  # --style's, or STYLE after CONTENT (the regions add theirs in the Job)
    globbed: bool  # a content argument was a glob: -o then names a folder even for one match

    @property
    def clip(self) -> bool:
        return any(is_clip(c) for c in self.contents)


def check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Read the positional arguments as CONTENT STYLE, CONTENT... --style STYLE... or --demo into
    ``args.inputs`` (an ``Inputs``), or stop with the usage; no file is opened yet."""
    if args.output is None and not getattr(args, "dry_run", False):
        # Not argparse's required=True: a dry run paints nothing, so it has nowhere to write.
        parser.error("the following arguments are required: -o/--output")
    if args.demo:
        if args.images or args.style:
            parser.error("--demo uses the bundled samples; do not give CONTENT or STYLE")
        content_path, style_path = sample_images()
        content_args, style_args = [str(content_path)], [str(style_path)]
    elif args.regions and not args.style and len(args.images) == 2:
        content_args, style_args = args.images[:1], args.images[1:]  # CONTENT STYLE, as the first usage line
    elif args.style or args.regions:
        if not args.images:
            parser.error("give at least one CONTENT image before or after --style")
        content_args, style_args = args.images, args.style or []
    elif len(args.images) == 2:
        content_args, style_args = args.images[:1], args.images[1:]
    else:
        parser.error("give CONTENT and STYLE images, CONTENT... --style STYLE..., or --demo")
    _refuse_web_addresses([*content_args, *style_args])
    globbed = any(_is_glob(pattern) for pattern in content_args)
    args.inputs = Inputs(_expand(content_args), style_args, globbed)


def _refuse_web_addresses(args: list[str]) -> None:
    from ..pictures.images import is_web_address

    for arg in args:
        if is_web_address(arg):
            raise BrushworkError(f"{arg[:80]} is a web address; download the image first and give its file")


def _is_glob(pattern: str) -> bool:
    """A pattern the shell left unexpanded (or one that does not expand them); a file of that name is a file."""
    return any(ch in pattern for ch in "*?[") and not Path(pattern).exists()


def _expand(patterns: list[str]) -> list[Path]:
    """Content arguments as files: globs expanded (also on shells that do not), order kept, no repeats."""
    found: list[Path] = []
    for pattern in patterns:
        if _is_glob(pattern):
            matches = sorted(Path(p) for p in glob.glob(pattern))
            if not matches:
                raise BrushworkError(f"No files match {pattern!r}")
            found.extend(matches)
        else:
            found.append(Path(pattern))
    return list(dict.fromkeys(found))


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
    changes = {name: getattr(args, name) for name in PLAIN_SETTINGS if getattr(args, name) is not None}
    if args.layer_weights:
        try:
            changes["style_layers"] = _layer_weights(args.layer_weights)
        except ValueError as exc:
            raise BrushworkError(f"--layer-weights: {exc}") from None
        unknown = [k for k in changes["style_layers"] if k not in CONV_LAYERS]
        if unknown:
            raise BrushworkError(f"--layer-weights: unknown layer {unknown[0]!r}; use conv1_1 ... conv5_4")
    if args.blend:
        styles = len(args.style or []) or 1
        if len(args.blend) != styles:
            raise BrushworkError(
                f"--blend has {len(args.blend)} weight(s) for {styles} style image(s); give one weight per --style"
            )
        changes["style_blend"] = tuple(args.blend)
    if args.init:
        if args.init in INITS and args.init != "image":
            changes["init"] = args.init
        else:
            changes.update(init="image", init_image=args.init)
    return params.replace(**changes)


@dataclass(frozen=True)
class Job:
    """What a mode paints: the content files, the paintings (decoded), the settings and the regions' plan."""

    contents: list[Path]
    styles: list[Image.Image]
    params: StyleParams
    region_plan: RegionPlan | None


def prepare(args: argparse.Namespace) -> Job:
    """The settings built and the paintings read: every mistake there is found before any painting starts."""
    from ..pictures.images import MAX_DECODE_SIDE, load_image

    inputs: Inputs = args.inputs
    region_plan, params = apply_regions(args, inputs.style_files, build_params(args))
    style_files = list(region_plan.style_files) if region_plan is not None else inputs.style_files
    if not style_files:
        raise BrushworkError("no painting to take a style from: give --style, or a --region COLOUR=PAINTING")
    for style_file in style_files:
        if is_clip(Path(style_file)):
            raise BrushworkError(
                f"{Path(style_file).name} is a video clip: a clip can be the content; a style is a still image"
            )
    styles = [load_image(p, MAX_DECODE_SIDE, keep_alpha=True) for p in style_files]  # transparency is no style
    if region_plan is not None:
        check_style_masks(region_plan, styles)
    return Job(inputs.contents, styles, params, region_plan)
