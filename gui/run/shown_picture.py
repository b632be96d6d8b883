"""The picture on the canvas, what painted it, and where it falls short of the settings and inputs now.

Stale marking: whenever the picture does not match the current settings,
photo or paintings (a change not yet painted, an old photo's picture after a
new photo, a picture from an earlier scale, a change shown only in the
loupe's square), the canvas says so, and Save and Export ask before writing
it (``gui.save_and_quit``). This module holds no Qt: it compares and words.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

import numpy as np
from brushwork.engine.pictures.images import fit_dims
from brushwork.engine.run.progress import LoupeFrame
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

# Fields that change how a picture is computed, not how it looks: a change of them leaves it up to date.
TECHNICAL = frozenset({"device", "precision", "tile", "memory_limit"})
# How the notes name a field (the rest by their own name).
FIELD_NAMES = {
    "style_layers": "the style layer weights",
    "content_layer": "the content layer",
    "tv_weight": "smoothing",
    "size": "the size",
    "steps": "the steps",
    "optimizer": "the optimiser",
    "init": "the start picture",
    "init_image": "the start image",
    "seed": "the seed",
    "weights": "the weights",
    "stop_early": "stopping early",
    "clean_edges": "clean edges",
    "keep_colors": "the colours",
    "color_strength": "the colour strength",
    "style_scale": "the stroke scale",
    "style_blend": "the blend",
    "style_loss": "the texture statistic",
    "trim_frame": "the painting's frame",
    "regions": "the regions",
    "outside_regions": "outside the regions",
}
RUNNING, PAUSED, IDLE = "running", "paused", "idle"  # what the live run is doing


def fingerprint(*images: Image.Image | None) -> str | None:
    """Which images these are, by their pixels: the same photo loaded again (or restored) gives the same one.

    A sample of 64 x 64 pixels and the size: cheap enough for a 4096 px
    photo on the GUI thread, and two photos an artist would tell apart differ.
    """
    if not images or any(image is None for image in images):
        return None
    digest = hashlib.blake2b(digest_size=12)
    for image in images:
        digest.update(repr(image.size).encode())
        digest.update(image.resize((64, 64), Image.Resampling.NEAREST).convert("RGB").tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Inputs:
    """The photo and the paintings a picture is painted from, by fingerprint, and the photo's name for notes."""

    photo: str | None = None
    paintings: str | None = None
    photo_name: str = "another photo"
    photo_size: tuple[int, int] | None = None  # (width, height): the size the settings paint is the photo's shape


@dataclass(frozen=True)
class PaintedFrom:
    """What made a picture: its settings (None: not known) and its inputs."""

    params: StyleParams | None = None
    inputs: Inputs = Inputs()


@dataclass(frozen=True, eq=False)
class ShownPicture:
    """A frame of the live run (or a restored or chosen picture) and what painted it.

    With ``loupe``, only the square shows ``loupe_params``; ``painted`` is
    what the rest of the picture shows.
    """

    frame: np.ndarray
    painted: PaintedFrom
    loupe: LoupeFrame | None = None
    loupe_params: StyleParams | None = None
    step: int = 0
    total_steps: int = 0


@dataclass(frozen=True)
class Note:
    """One way the picture falls short: ``kind`` is photo, paintings, settings, loupe or scale."""

    kind: str
    text: str


def changed_settings(painted: StyleParams, current: StyleParams) -> list[str]:
    """The names of the settings that differ and change the look, in the order of ``StyleParams``."""
    return [
        FIELD_NAMES.get(f.name, f.name)
        for f in fields(StyleParams)
        if f.name not in TECHNICAL and getattr(painted, f.name) != getattr(current, f.name)
    ]


def _changed(names: list[str]) -> str:
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (said[0].upper() + said[1:]) + " changed"


def stale_notes(shown: ShownPicture, now: PaintedFrom, phase: str) -> tuple[Note, ...]:
    """How ``shown`` falls short of ``now`` (the settings and inputs in force), while the run is ``phase``."""
    notes = []
    painted, current = shown.painted, now.params
    was, new = painted.inputs, now.inputs
    if was.photo is not None and new.photo is not None and was.photo != new.photo:
        if phase == IDLE:
            notes.append(Note("photo", f"Painted from {was.photo_name}, not from {new.photo_name}"))
        else:
            notes.append(Note("photo", f"New photo ({new.photo_name}): still the last photo's picture"))
    if was.paintings is not None and new.paintings is not None and was.paintings != new.paintings:
        notes.append(Note("paintings", "Painted with other paintings than those loaded now"))
    changes = changed_settings(painted.params, current) if painted.params is not None and current else []
    if changes and shown.loupe is not None:
        notes.append(Note("loupe", f"{_changed(changes)}: shown in the square, the whole picture follows"))
    elif changes and phase == RUNNING:
        notes.append(Note("settings", f"{_changed(changes)}: not painted yet, the next steps show it"))
    elif changes:
        notes.append(Note("settings", f"{_changed(changes)} since this picture was painted"))
    if phase != RUNNING and current is not None and (painted.params is None or painted.params.size == current.size):
        height, width = shown.frame.shape[:2]
        target = _target(shown, current, now.inputs.photo_size)
        if target is not None and width < target[0]:
            notes.append(Note("scale", f"From an earlier scale: {width} x {height} of {target[0]} x {target[1]} px"))
    return tuple(notes)


def _target(
    shown: ShownPicture, params: StyleParams, photo_size: tuple[int, int] | None = None
) -> tuple[int, int] | None:
    """(width, height) the settings paint the photo (or, not known, this picture's shape) at.

    The photo's own shape: a coarse scale's rounding (256 x 170 of a 451 x 300 photo) would give 512 x 340
    where the run paints 512 x 341 (user trial).
    """
    height, width = shown.frame.shape[:2]
    if not height or not width:
        return None
    if photo_size is not None:
        width, height = photo_size
    target_h, target_w = fit_dims(width, height, params.size)
    return target_w, target_h


def canvas_text(notes: tuple[Note, ...], phase: str) -> str | None:
    """What the canvas says of ``notes``, with what brings the picture up to date; None when it is."""
    if not notes:
        return None
    text = "\n".join(note.text for note in notes)
    if any(note.kind != "scale" for note in notes):
        if phase == IDLE:
            text += "\nPress Start to paint it anew; Save asks first."
        elif phase == PAUSED:
            text += "\nResume to paint it; Save asks first."
    return text
