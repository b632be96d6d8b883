"""The command line's regions: ``--regions MASK.png --region red=starry.jpg --region blue=photo``, and
``--keep-faces [STRENGTH]``.

A region spec is ``COLOUR=STYLE[@STRENGTH]``: COLOUR a palette name or
``#rrggbb`` as painted in the mask, STYLE a painting's file or ``photo`` (the
photo as it is there), STRENGTH a multiplier of beta inside the region (0-4,
default 1). ``--keep-faces`` adds, for each photo, a soft region with less
style around each face found in it (``engine.pictures.faces``).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..errors import BrushworkError
from ..pictures.faces import KEEP_FACES_STRENGTH, check_strength, detector_problem, face_regions, find_faces
from ..settings.regions import (
    MAX_REGIONS,
    PALETTE,
    RegionError,
    RegionMasks,
    RegionSetting,
    check_shape,
    colours_present,
    fit_mask,
    masks_from_colour_image,
    open_mask_image,
    parse_colour,
)
from ..settings.style_params import StyleParams

PHOTO = "photo"
MAX_FACE_MASK_SIDE = 2048  # as the window's masks (gui.regions.region_masks.MAX_MASK_SIDE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    regions = parser.add_argument_group(
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
    regions.add_argument(
        "--keep-faces",
        nargs="?",
        const=KEEP_FACES_STRENGTH,
        type=face_strength,
        metavar="STRENGTH",
        help="find the faces in each photo and give each a soft region with less style, so that a face keeps its "
        f"features: STRENGTH times beta, 0 (the photo's face) to 1 (default {KEEP_FACES_STRENGTH:g}). Put it after "
        "the pictures, or write --keep-faces=0.1",
    )


def face_strength(text: str) -> float:
    """``--keep-faces STRENGTH``: a number from 0 to 1, with a word for anything else."""
    try:
        value = float(text)
    except ValueError:
        # argparse gives an optional value whatever follows the flag, a picture's name too.
        raise argparse.ArgumentTypeError(
            f"the strength after --keep-faces is a number from 0 to 1, not {text!r} (put --keep-faces after the "
            "pictures, or write --keep-faces=0.1)"
        ) from None
    try:
        return check_strength(value)
    except BrushworkError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Every region option says something about a mask: without --regions it would go unheard. --keep-faces
    needs its detector: said before any photo is painted, not once per photo."""
    if args.keep_faces is not None:
        problem = detector_problem()
        if problem is not None:
            raise BrushworkError(f"--keep-faces: {problem}")
    if args.regions:
        return
    if args.region:
        parser.error("--region maps the colours of a mask: give the mask with --regions MASK.png")
    for flag, given in (("--outside", args.outside), ("--style-regions", args.style_regions)):
        if given:
            parser.error(f"{flag} is about the parts of a mask: give the mask with --regions MASK.png")


def apply_regions(
    args: argparse.Namespace, style_files: list[str], params: StyleParams
) -> tuple[RegionPlan | None, StyleParams]:
    """The region plan (None without --regions), and the parameters with its regions and what the unpainted part
    gets. A preset's regions without a mask are dropped, with a word: they say what each region gets, but where
    the regions are is a mask of one photo."""
    if not args.regions:
        if not params.regions:
            return None, params
        faces = [r for r in params.regions if r.face]
        found_again = bool(faces) and args.keep_faces is None and detector_problem() is None
        if found_again:
            # A face region was placed by Keep faces around a face of the preset's photo: each photo's own
            # faces are found again, with its strength (a portrait repainted from its picture kept losing
            # its faces' protection without a word).
            args.keep_faces = faces[0].strength
            print(
                f"brushwork-render: the preset keeps faces: looking for them in each photo "
                f"(as --keep-faces {args.keep_faces:g})",
                file=sys.stderr,
            )
        if not found_again or len(faces) < len(params.regions):
            print(
                "brushwork-render: the preset's regions need a mask (--regions MASK.png); painting without them",
                file=sys.stderr,
            )
        faces_only = found_again and len(faces) == len(params.regions)
        return None, params.replace(regions=(), outside_regions=params.outside_regions if faces_only else "style")
    outside = args.outside or ("style" if style_files else "photo")
    if outside == "style" and not style_files:
        raise BrushworkError("--outside style needs a --style painting for the unpainted part")
    plan = plan_regions(args.regions, args.region or [], style_files, args.style_regions)
    for colour in plan.unmapped:
        print(
            f"brushwork-render: the mask also holds {colour}, which no --region names: it counts as unpainted",
            file=sys.stderr,
        )
    changes = {"regions": plan.regions, "outside_regions": outside}
    if args.blend:
        # --blend weighs the --style paintings; the regions' own paintings stay out of the picture's blend.
        changes["style_blend"] = (*args.blend, *[0.0] * (len(plan.style_files) - len(args.blend)))
    elif len(plan.style_files) > len(style_files):
        changes["style_blend"] = tuple(1.0 if i < len(style_files) else 0.0 for i in range(len(plan.style_files)))
    return plan, params.replace(**changes)


def regions_for_photo(
    content: Image.Image, params: StyleParams, plan: RegionPlan | None, keep_faces: float | None, name: str = ""
) -> tuple[StyleParams, RegionMasks | None]:
    """The settings and masks one photo is painted with: the plan's regions fitted to it and, with
    ``--keep-faces``, a region per face found in it. A photo without a face is painted exactly as without
    the flag (the same settings and masks), and the run says so."""
    masks = plan.masks_for(content.size) if plan is not None else None
    if keep_faces is None:
        return params, masks
    started = time.monotonic()
    boxes = find_faces(content)
    seconds = time.monotonic() - started
    # The masks at most MAX_FACE_MASK_SIDE long: the engine brings them to each scale, and a feathered
    # ellipse loses nothing by being enlarged for a print.
    scale = min(1.0, MAX_FACE_MASK_SIDE / max(content.size))
    mask_size = (max(1, round(content.width * scale)), max(1, round(content.height * scale)))
    found = face_regions(
        boxes, content.size, mask_size, keep_faces, params.regions, photo_only=params.outside_regions == "photo"
    )
    label = f"brushwork-render: {name}: " if name else "brushwork-render: "
    if not found.regions:
        said = f"{len(boxes)} face(s) found, but no room for their regions (at most {MAX_REGIONS})" if boxes else ""
        print(f"{label}{said or 'no face found'}; painted as without --keep-faces", file=sys.stderr)
        return params, masks
    faces = len(found.regions)
    how = "kept as the photo" if found.regions[0].photo_only else f"painted with {keep_faces:g} of the style"
    more = f"; {found.left_out} more had no room (at most {MAX_REGIONS} regions)" if found.left_out else ""
    print(f"{label}{faces} face{'s' if faces != 1 else ''} found in {seconds:.2f} s, {how}{more}", file=sys.stderr)
    photo_masks = masks.photo if masks is not None else ()
    style_masks = masks.style if masks is not None else ()
    return (
        params.replace(regions=(*params.regions, *found.regions)),
        RegionMasks(photo=(*photo_masks, *found.masks), style=style_masks),
    )


@dataclass(frozen=True)
class RegionSpec:
    """One ``--region`` argument, parsed."""

    colour: str
    style: str | None  # a painting's file; None for the photo
    strength: float


def parse_region(text: str) -> RegionSpec:
    """``red=starry.jpg@0.8`` -> RegionSpec; a ``BrushworkError`` that quotes the argument otherwise."""
    colour, sep, rest = text.partition("=")
    if not sep or not colour.strip() or not rest.strip():
        raise BrushworkError(f"--region {text!r}: write COLOUR=STYLE or COLOUR=photo, e.g. red=starry.jpg")
    strength = 1.0
    target, at, amount = rest.rpartition("@")
    if at:
        try:
            strength = float(amount)
        except ValueError:
            if not Path(rest).exists():  # else an @ that is part of the file name
                raise BrushworkError(
                    f"--region {text!r}: the strength after @ must be a number (0-4), not {amount!r}"
                ) from None
        else:
            rest = target
    try:
        parse_colour(colour)
    except RegionError as exc:
        raise BrushworkError(f"--region {text!r}: {exc}") from None
    style = None if rest.strip().lower() == PHOTO else rest.strip()
    return RegionSpec(colour.strip().lower(), style, strength)


def parse_style_mask(text: str) -> tuple[str, str]:
    """``--style-regions starry.jpg=starry_mask.png`` -> (painting, mask file)."""
    painting, sep, mask = text.partition("=")
    if not sep or not painting.strip() or not mask.strip():
        raise BrushworkError(f"--style-regions {text!r}: write PAINTING=MASK.png, e.g. starry.jpg=starry_regions.png")
    return painting.strip(), mask.strip()


@dataclass(frozen=True)
class RegionPlan:
    """What the regions add to a run: the paintings to load, the settings, and the masks per photo."""

    style_files: tuple[str, ...]  # every painting, the --style ones first
    regions: tuple[RegionSetting, ...]
    mask_image: Image.Image
    style_masks: tuple[Image.Image | None, ...]
    unmapped: tuple[str, ...] = ()  # palette colours in the mask that no region names

    def masks_for(self, photo_size: tuple[int, int]) -> RegionMasks:
        """The masks fitted to one photo (a ``RegionError`` if the mask has another shape)."""
        colours = [r.colour for r in self.regions]
        check_shape(self.mask_image.size, photo_size, "region mask")
        photo = tuple(fit_mask(m, photo_size) for m in masks_from_colour_image(self.mask_image, colours))
        return RegionMasks(photo, self.style_masks)


def plan_regions(
    mask_path: str, specs: list[str], style_files: list[str], style_mask_args: list[str] | None
) -> RegionPlan:
    """Read ``--regions``, ``--region`` and ``--style-regions`` into a ``RegionPlan``.

    Paintings named by regions are added after the ``--style`` ones (each file
    once); a region's style is that painting alone.
    """
    if not specs:
        raise BrushworkError("--regions needs at least one --region COLOUR=STYLE (or COLOUR=photo)")
    parsed = [parse_region(s) for s in specs]
    colours = [parse_colour(p.colour) for p in parsed]
    if len(set(colours)) != len(colours):
        raise BrushworkError("two --region arguments name the same colour")
    files = list(dict.fromkeys(style_files))
    for spec in parsed:
        if spec.style is not None and spec.style not in files:
            files.append(spec.style)
    regions = []
    for spec in parsed:
        weights = () if spec.style is None else tuple(1.0 if f == spec.style else 0.0 for f in files)
        name = Path(spec.style).stem if spec.style else PHOTO
        try:
            regions.append(
                RegionSetting(spec.colour, name, weights, photo_only=spec.style is None, strength=spec.strength)
            )
        except RegionError as exc:
            raise BrushworkError(f"--region {spec.colour}: {exc}") from None
    mask = open_mask_image(mask_path)
    # Every colour must be found in the mask now, not after the first photo is painted.
    masks_from_colour_image(mask, [r.colour for r in regions])
    style_masks = _style_masks(parsed, regions, style_mask_args or [])
    named = {r.rgb for r in regions}
    present = colours_present(mask, [rgb for rgb in PALETTE.values() if rgb not in named])
    unmapped = tuple(name for name, rgb in PALETTE.items() if rgb in present)
    return RegionPlan(tuple(files), tuple(regions), mask, style_masks, unmapped)


def _style_masks(
    parsed: list[RegionSpec], regions: list[RegionSetting], args: list[str]
) -> tuple[Image.Image | None, ...]:
    """Per region, the part of its painting its style comes from (same colours as the photo's mask)."""
    by_painting = dict(parse_style_mask(a) for a in args)
    if not by_painting:
        return ()
    known = {p.style for p in parsed if p.style}
    unknown = [p for p in by_painting if p not in known]
    if unknown:
        raise BrushworkError(f"--style-regions names {unknown[0]}, which no --region uses")
    out: list[Image.Image | None] = []
    decoded: dict[str, dict[str, Image.Image]] = {}
    for spec, region in zip(parsed, regions, strict=True):
        mask_file = by_painting.get(spec.style) if spec.style else None
        if mask_file is None:
            out.append(None)
            continue
        if spec.style not in decoded:
            colours = [p.colour for p in parsed if p.style == spec.style]
            image = open_mask_image(mask_file)
            try:
                decoded[spec.style] = dict(zip(colours, masks_from_colour_image(image, colours), strict=True))
            except RegionError as exc:
                raise BrushworkError(f"--style-regions {mask_file}: {exc}") from None
        out.append(decoded[spec.style][region.colour])
    return tuple(out)


def check_style_masks(plan: RegionPlan, styles: list[Image.Image]) -> None:
    """Each mask on a painting must have that painting's shape."""
    for region, mask in zip(plan.regions, plan.style_masks, strict=False):
        if mask is None:
            continue
        index = region.style.index(1.0)
        name = Path(plan.style_files[index]).name
        check_shape(mask.size, styles[index].size, f"mask on {name}", name)
