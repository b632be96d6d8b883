"""``brushwork-render``: the engine without a window."""

from __future__ import annotations

import argparse
import glob
import logging
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BrushworkError, OutOfMemoryError
from ..files.bundled_files import sample_images
from ..network.layers import CONTENT_LAYER_CHOICES, CONV_LAYERS, DEFAULT_STYLE_WEIGHTS

# Only light modules here: --help and --version must answer without loading
# PyTorch. The engine proper is imported once there is work to do.
from ..settings.choices import COLOR_MODES, INITS, OPTIMIZERS, POOLINGS, PRECISIONS
from ..settings.presets import find_preset
from ..settings.style_params import StyleParams
from .clip_options import add_video_options, check_video_args, is_clip, render_clip, video_settings
from .cluster_options import add_cluster_options, check_cluster_args, render_clip_on_ray, render_on_ray
from .region_options import check_style_masks

if TYPE_CHECKING:
    from ..run.progress import Progress
    from ..run.style_transfer import StyleTransfer

# engine.export.EXPORT_FORMATS, without importing PyTorch for it
SAVE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("brushwork")
    except PackageNotFoundError:
        return "unknown (not installed)"


USAGE = """brushwork-render CONTENT STYLE -o OUT.png [options]
       brushwork-render CONTENT [CONTENT ...] --style STYLE [STYLE ...] -o OUT [options]
       brushwork-render --demo -o OUT.png
       brushwork-render CLIP.mp4 -s STYLE -o OUT.mp4
       brushwork-render CONTENT --regions MASK.png --region red=STYLE --region blue=photo -o OUT.png"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="brushwork-render",
        usage=USAGE,
        description="Paint CONTENT in the style of STYLE (Gatys et al. 2016 on the Oxford VGG19). "
        "With --style, every positional argument is a content image or a glob ('photos/*.jpg'), "
        "each painted with the same settings.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    p.add_argument("images", nargs="*", metavar="CONTENT", help="content photo(s), then STYLE unless --style")
    p.add_argument("-s", "--style", nargs="+", action="extend", metavar="STYLE", help="style painting(s) to blend")
    p.add_argument("--blend", nargs="+", type=float, metavar="W", help="blend weight of each --style (default equal)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output file (.png or .jpg); with several content images a folder, or a name "
        "containing {name} (e.g. 'out/{name}_starry.jpg')",
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
    regions = p.add_argument_group(
        "regions", "a different style in each part of the picture (Gatys et al. 2017), painted as a colour mask"
    )
    regions.add_argument(
        "--regions", metavar="MASK.png", help="the photo's regions, painted in region colours on black"
    )
    regions.add_argument(
        "--region",
        action="append",
        metavar="COLOUR=STYLE[@S]",
        help="what a mask colour gets: a painting's file, or 'photo' to keep the photo there; @S sets the "
        "strength, 0-4 (default 1). Colours: red, green, blue, yellow, cyan, magenta, orange, white or #rrggbb",
    )
    regions.add_argument(
        "--outside",
        choices=("style", "photo"),
        help="what the unpainted (black) part gets: the --style painting(s), or the photo (default: style "
        "with --style, else photo)",
    )
    regions.add_argument(
        "--style-regions",
        action="append",
        metavar="PAINTING=MASK.png",
        help="a mask on a region's painting, in the same colours: each region takes its style from its own "
        "colour's part of the painting (sky to sky)",
    )
    timelapse = p.add_argument_group("time-lapse", "a video of the run as it paints, sampled evenly over its time")
    timelapse.add_argument(
        "--timelapse",
        metavar="FILE",
        type=Path,
        help="write the run as FILE, an .mp4 (H.264) or a .gif; with several photos, each gets its own FILE-PHOTO.mp4",
    )
    timelapse.add_argument("--timelapse-seconds", type=float, metavar="S", help="its length (default 8)")
    timelapse.add_argument("--timelapse-fps", type=float, metavar="N", help="frames a second (default 15)")
    timelapse.add_argument(
        "--timelapse-size",
        type=int,
        metavar="PX",
        help="its long side (default: the picture's, up to 1280)",
    )
    add_video_options(p)
    add_cluster_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def _video_options_unused(args: argparse.Namespace) -> None:
    """Options for a clip given with pictures would be silently ignored: say so instead."""
    for flag in ("temporal_weight", "frame_steps", "independent_frames"):
        if getattr(args, flag):
            raise BrushworkError(f"--{flag.replace('_', '-')} is for a clip (.mp4, .mov, ...), not pictures")


# What --timelapse-seconds, --timelapse-fps and --timelapse-size mean when not given (size 0: the picture's).
TIMELAPSE_DEFAULTS = {"timelapse_seconds": 8.0, "timelapse_fps": 15.0, "timelapse_size": 0}


def _timelapse_options(args: argparse.Namespace):
    """The time-lapse's options, checked before any painting starts; None without --timelapse."""
    from ..video.timelapse import FORMATS, TimelapseOptions

    given = [flag for flag, value in TIMELAPSE_DEFAULTS.items() if getattr(args, flag) is not None]
    if args.timelapse is None:
        if given:
            option = "--" + given[0].replace("_", "-")
            raise BrushworkError(f"{option} sets the time-lapse: give --timelapse FILE.mp4 (or .gif) too")
        return None
    if args.timelapse.suffix.lower() not in FORMATS:
        raise BrushworkError(f"--timelapse writes an .mp4 or a .gif, not {args.timelapse.name}")
    chosen = {
        flag: default if getattr(args, flag) is None else getattr(args, flag)
        for flag, default in TIMELAPSE_DEFAULTS.items()
    }
    options = TimelapseOptions(chosen["timelapse_size"], chosen["timelapse_fps"], chosen["timelapse_seconds"])
    options.check()
    return options


def _timelapse_path(args: argparse.Namespace, content_path: Path, batch: bool) -> Path:
    path = args.timelapse
    return path.with_name(f"{path.stem}-{content_path.stem}{path.suffix}") if batch else path


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
        "keep_colors",
        "color_strength",
        "style_scale",
        "precision",
        "stop_early",
        "clean_edges",
        "trim_frame",
        "tile",
        "memory_limit",
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


def _with_regions(args: argparse.Namespace, style_args: list[str], params: StyleParams):
    """The region plan, and the parameters with its regions (and what the unpainted part gets)."""
    from .region_options import plan_regions

    plan = plan_regions(args.regions, args.region or [], style_args, args.style_regions)
    outside = args.outside or ("style" if style_args else "photo")
    if outside == "style" and not style_args:
        raise BrushworkError("--outside style needs a --style painting for the unpainted part")
    changes = {"regions": plan.regions, "outside_regions": outside}
    if args.blend:
        # --blend weighs the --style paintings; the regions' own paintings stay out of the picture's blend.
        changes["style_blend"] = (*args.blend, *[0.0] * (len(plan.style_files) - len(args.blend)))
    elif len(plan.style_files) > len(style_args):
        changes["style_blend"] = tuple(1.0 if i < len(style_args) else 0.0 for i in range(len(plan.style_files)))
    return plan, params.replace(**changes)


class ProgressBar:
    """One status line on stderr: redrawn in place on a terminal, every few seconds in a log."""

    def __init__(self, stream=None, prefix: str = "", first_step: int = 0) -> None:
        self.prefix = prefix
        self.first_step = first_step  # a clip's later frame starts near the plan's end: count from there
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_print = 0.0
        self._rate_mark: tuple[int, float] | None = None
        self._time_left = None  # engine.progress.TimeLeft, made on the first report (it needs PyTorch)

    def update(self, p: Progress) -> None:
        from ..run.progress import TimeLeft, format_duration

        if self._time_left is None:
            self._time_left = TimeLeft()
        now = time.monotonic()
        if not (self.tty or p.finished or p.scale_finished or now - self._last_print >= 5.0):
            return
        self._last_print = now
        width = 24
        step, total = p.step - self.first_step, p.total_steps - self.first_step
        filled = round(width * step / total) if total > 0 else width
        bar = "#" * filled + "-" * (width - filled)
        rate = step / p.elapsed if p.elapsed > 0 else 0.0
        self._time_left.add(p)
        left = format_duration(self._time_left.seconds())
        losses = " ".join(
            f"{name} {value:.3g}"
            for name, value in (("content", p.losses.content), ("style", p.losses.style), ("total", p.losses.total))
            if not math.isnan(value)
        )
        size = f"{p.width}x{p.height}, in {p.tile} px tiles" if p.tile else f"{p.width}x{p.height}"
        line = (
            f"{self.prefix}[{bar}] {step}/{total} scale {p.scale + 1}/{p.scales} ({size}) "
            f"{losses} | {rate:.1f} steps/s, {left} left"
        )
        if self.tty:
            self.stream.write("\r" + line[: os.get_terminal_size(self.stream.fileno()).columns - 1] + "\x1b[K")
            if p.finished:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _save_partial(engine: StyleTransfer, out: Path) -> bool:
    """Save the picture painted so far (if any); never raises."""
    from ..pictures.images import save_image

    picture = engine.result()
    if picture is None:
        return False
    try:
        save_image(picture, out)
    except BrushworkError as exc:
        print(f"\nbrushwork-render: could not save the picture so far: {exc}", file=sys.stderr)
        return False
    return True


def _refuse_web_addresses(args: list[str]) -> None:
    from ..pictures.images import is_web_address

    for arg in args:
        if is_web_address(arg):
            raise BrushworkError(f"{arg[:80]} is a web address; download the image first and give its file")


def _expand(patterns: list[str]) -> list[Path]:
    """Content arguments as files: globs expanded (also on shells that do not), order kept, no repeats."""
    found: list[Path] = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?[") and not Path(pattern).exists():
            matches = sorted(Path(p) for p in glob.glob(pattern))
            if not matches:
                raise BrushworkError(f"No files match {pattern!r}")
            found.extend(matches)
        else:
            found.append(Path(pattern))
    return list(dict.fromkeys(found))


def _outputs(contents: list[Path], output: str, batch: bool = False) -> list[Path]:
    """Where each content image's picture goes; names from the user are never trusted as paths.

    ``batch``: the content was given as a glob, so ``-o`` names a folder even
    when the glob finds one photo (``-o out/`` or ``-o out``). Every output is
    checked, and its folder made, before anything is painted: a batch must not
    spend an hour and then fail to save.
    """
    as_folder = output.endswith(("/", os.sep)) or Path(output).is_dir()
    if len(contents) == 1 and "{name}" not in output and not as_folder:
        if not (batch and not Path(output).suffix):
            return _ready_to_write([Path(output)])
    if "{name}" in output:
        paths = [Path(output.replace("{name}", c.stem)) for c in contents]
    else:
        folder = Path(output)
        if folder.suffix.lower() in SAVE_SUFFIXES and not as_folder:
            raise BrushworkError(
                f"{len(contents)} content images need a folder or a name with {{name}} for -o, not {output!r}"
            )
        paths = [folder / f"{c.stem}.png" for c in contents]
    if len(set(paths)) != len(paths):
        raise BrushworkError("two content images would be written to the same file; rename one of them")
    return _ready_to_write(paths)


def _ready_to_write(paths: list[Path]) -> list[Path]:
    for path in paths:
        if path.suffix.lower() not in SAVE_SUFFIXES:
            raise BrushworkError(f"Cannot save {path.name}: use a .png, .jpg, .jpeg, .tif or .tiff file name")
        _writable_folder(path)
    return paths


def _writable_folder(path: Path) -> None:
    """Make ``path``'s folder and try writing there: a picture or time-lapse must not fail after the painting."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BrushworkError(f"Cannot create the output folder {folder}: {exc.strerror or exc}") from None
    # Try it: os.access says yes to root for any folder, /proc included,
    # and a file that cannot be saved is found out only after painting.
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".brushwork-", suffix=path.suffix):
            pass
    except OSError as exc:
        raise BrushworkError(f"Cannot save into {folder}: the folder is not writable ({exc.strerror or exc})") from None


def _render_one(
    content_path: Path,
    styles,
    params: StyleParams,
    out: Path,
    args,
    label: str = "",
    region_plan=None,
    timelapse=None,
    timelapse_path: Path | None = None,
) -> None:
    """Paint one picture (continuing at a smaller size on out-of-memory if allowed), and its time-lapse if asked."""
    from ..pictures.images import MAX_DECODE_SIDE, load_image
    from ..run.style_transfer import StyleTransfer
    from ..video.timelapse import TimelapseRecorder

    content = load_image(content_path, MAX_DECODE_SIDE)
    masks = region_plan.masks_for(content.size) if region_plan is not None else None
    engine = StyleTransfer(content, styles, params, masks=masks)
    bar = None if args.quiet else ProgressBar(prefix=label)
    recorder = TimelapseRecorder() if timelapse is not None else None
    try:
        while True:
            try:
                for progress in engine.run():
                    if bar:
                        bar.update(progress)
                    if recorder:
                        recorder.add(progress)
                break
            except OutOfMemoryError as exc:
                if not args.shrink_on_oom or exc.suggested_size >= params.size:
                    kept = f" The picture so far is in {out}." if _save_partial(engine, out) else ""
                    raise BrushworkError(f"{exc} (or pass --shrink-on-oom).{kept}") from None
                print(
                    f"\nbrushwork-render: out of memory at {exc.failed_size} px; continuing at {exc.suggested_size} px",
                    file=sys.stderr,
                )
                params = params.replace(size=exc.suggested_size)
                if recorder:
                    recorder.begin(continuing=True)
                engine = StyleTransfer(
                    content, styles, params, start_picture=engine.current_picture(), start_step=exc.step, masks=masks
                )
    except KeyboardInterrupt:
        # Keep what was painted so far rather than throwing it away, and say what it is.
        painted = engine.current_picture()
        if _save_partial(engine, out):
            final = engine.result()
            how = (
                f"painted at {painted.width} x {painted.height} px (an earlier scale), enlarged to "
                f"{final.width} x {final.height} px"
                if painted.size != final.size
                else f"{final.width} x {final.height} px"
            )
            print(f"\nbrushwork-render: interrupted; saved the picture so far ({how}) to {out}", file=sys.stderr)
        if recorder and recorder.frames:
            try:
                _write_timelapse(recorder, timelapse, timelapse_path, quiet=False)
            except BrushworkError as exc:
                print(f"brushwork-render: {exc}", file=sys.stderr)
        raise
    _write(engine, progress, params, out, args.depth)
    if recorder:
        _write_timelapse(recorder, timelapse, timelapse_path, args.quiet)


def _write_timelapse(recorder, options, path: Path, quiet: bool) -> None:
    from ..video.timelapse import write_timelapse

    written = write_timelapse(recorder.recording(), path, options)
    if not quiet:
        print(
            f"saved time-lapse {path} ({written.frames} frames, {written.width}x{written.height}, "
            f"{written.seconds:.1f} s)",
            file=sys.stderr,
        )


def _write(engine: StyleTransfer, last: Progress, params: StyleParams, out: Path, depth: int) -> None:
    """The finished picture, with the settings that made it inside a PNG or TIFF (``--preset PICTURE.png``)."""
    import numpy as np

    picture = np.asarray(engine.result())
    # The run's own 16-bit picture when it is at the output size; else the 8-bit one, widened.
    picture16 = last.picture16 if last.picture16 is not None and last.picture16.shape == picture.shape else None
    _write_picture(picture, picture16, params, out, depth)


def _write_picture(picture, picture16, params: StyleParams, out: Path, depth: int) -> None:
    from ..pictures.picture_export import ExportOptions, export_picture
    from ..settings.presets import Preset, preset_to_json

    settings = preset_to_json(Preset(out.stem, params, "the settings this picture was painted with"))
    export_picture(picture, out, ExportOptions(max(picture.shape[:2]), bits=depth), picture16, settings)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.demo:
        if args.images or args.style:
            parser.error("--demo uses the bundled samples; do not give CONTENT or STYLE")
        content_path, style_path = sample_images()
        content_args, style_args = [str(content_path)], [str(style_path)]
    elif args.region and not args.regions:
        parser.error("--region maps the colours of a mask: give the mask with --regions MASK.png")
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
    from ..pictures.images import MAX_DECODE_SIDE, load_image
    from ..run.progress import format_duration

    failures = 0
    region_plan = None
    try:
        _refuse_web_addresses([*content_args, *style_args])
        params = build_params(args)
        if args.regions:
            region_plan, params = _with_regions(args, style_args, params)
            style_args = list(region_plan.style_files)
            for colour in region_plan.unmapped:
                print(
                    f"brushwork-render: the mask also holds {colour}, which no --region names: it counts as unpainted",
                    file=sys.stderr,
                )
        elif params.regions:
            # A preset's regions say what each region gets; where they are is a mask of one photo.
            print(
                "brushwork-render: the preset's regions need a mask (--regions MASK.png); painting without them",
                file=sys.stderr,
            )
            params = params.replace(regions=(), outside_regions="style")
        if not style_args:
            raise BrushworkError("no painting to take a style from: give --style, or a --region COLOUR=PAINTING")
        for style_arg in style_args:
            if is_clip(Path(style_arg)):
                raise BrushworkError(
                    f"{Path(style_arg).name} is a video clip: a clip can be the content; a style is a still image"
                )
        styles = [load_image(p, MAX_DECODE_SIDE) for p in style_args]
        if region_plan is not None:
            check_style_masks(region_plan, styles)
        contents = _expand(content_args)
        clip = check_video_args(args, contents) if any(is_clip(c) for c in contents) else None
        check_cluster_args(args, clip is not None)
        if clip is None:
            _video_options_unused(args)
            globbed = any(any(ch in pattern for ch in "*?[") and not Path(pattern).exists() for pattern in content_args)
            outputs = _outputs(contents, args.output, batch=globbed)
            if args.depth == 16 and any(out.suffix.lower() in (".jpg", ".jpeg") for out in outputs):
                raise BrushworkError("--depth 16 needs a .png or .tif output: JPEG has 8 bits per channel")
            timelapse = _timelapse_options(args)
            if timelapse is not None:
                for content_path in contents:
                    _writable_folder(_timelapse_path(args, content_path, len(contents) > 1))
        else:
            clip_settings = video_settings(args)
    except BrushworkError as exc:
        print(f"brushwork-render: error: {exc}", file=sys.stderr)
        return 1
    if clip is not None:
        try:
            if args.ray:
                return render_clip_on_ray(clip, styles, params, clip_settings, args)
            return render_clip(clip, styles, params, clip_settings, args)
        except BrushworkError as exc:
            print(f"brushwork-render: error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130
    if args.ray:
        try:
            return render_on_ray(contents, outputs, styles, params, args, region_plan)
        except BrushworkError as exc:
            print(f"brushwork-render: error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130
    started = time.monotonic()
    for index, (content_path, out) in enumerate(zip(contents, outputs, strict=True), start=1):
        label = f"[{index}/{len(contents)}] {content_path.name} " if len(contents) > 1 else ""
        try:
            path = _timelapse_path(args, content_path, len(contents) > 1) if timelapse else None
            _render_one(content_path, styles, params, out, args, label, region_plan, timelapse, path)
        except BrushworkError as exc:
            failures += 1
            where = f"[{index}/{len(contents)}] " if len(contents) > 1 else ""  # the message names the file
            print(f"brushwork-render: error: {where}{exc}", file=sys.stderr)
            continue
        except KeyboardInterrupt:
            return 130
        if not args.quiet:
            print(f"{label}saved {out}", file=sys.stderr)
    if len(contents) > 1 and not args.quiet:
        done = len(contents) - failures
        print(
            f"batch: {done} of {len(contents)} pictures in {format_duration(time.monotonic() - started)}"
            + (f", {failures} failed" if failures else ""),
            file=sys.stderr,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
