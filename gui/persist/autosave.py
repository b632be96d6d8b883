"""Autosaves: the live run's and a print render's, kept by one store and found again after a crash, a quit or a cancel.

A store is a folder holding copies of the photo and the paintings
(``content.png``, ``style0.png``, ...: the originals may move, or may have
been pasted), the region masks, the latest picture (``picture.png``) and a
``state.json`` (``state_file``): the settings as a preset, how many
paintings, the step the picture was taken at and when. A kind adds fields
to that state and names its mask files:

- ``Autosave``, the live run's (``autosave`` in the app-data folder): masks
  named by colour (``mask_store``), where the inputs came from, and
  ``clean_exit``, false from the first write of a session until the window
  closes normally; finding it false at launch means the last session ended
  without closing the window.
- ``PrintAutosave``, a print render's (``print_render``): a render takes hours
  on a CPU, so it must survive the process. Masks in the order of the
  settings' regions (``mask0.png``, ``painting-mask0.png``), where the file
  goes, its size, and whether the render was stopped on purpose. A render
  whose state still says ``running`` when none runs was cut off (a crash or
  a quit) and is offered at launch; one the artist stopped only in the dialog.

Each kind has its own folder, so neither clobbers the other. Every file is
written atomically, and the state last, after the picture whose step it
names: a kill at any moment leaves a complete set (at worst a picture a
little newer than its step, which only repeats a few steps). A new set
begins by removing the state, so a set cut off half-written is never read
back as the old settings beside the new images. The methods that write run
on one writer thread per store; ``peek`` decodes no picture, so the GUI
thread may call it.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
from brushwork.engine.errors import BrushworkError
from brushwork.engine.pictures.images import fit_dims, load_image, save_image
from brushwork.engine.run.progress import Progress
from brushwork.engine.settings.presets import Preset, parse_preset, preset_to_json
from brushwork.engine.settings.regions import RegionMasks, open_mask_image
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

from ..regions.region_colour import Colour
from .mask_store import (
    PAINTING_FILES,
    REGION_FILES,
    painting_mask_files,
    read_masks,
    read_painting_masks,
    region_mask_files,
    write_mask_files,
)
from .state_file import read_state, write_state

log = logging.getLogger(__name__)

INTERVAL = 30.0  # seconds between the live run's picture saves within a scale
RUNNING, STOPPED = "running", "stopped"  # a print render's status
CONTENT, PICTURE = "content.png", "picture.png"

Info = TypeVar("Info")
Masks = TypeVar("Masks")


def _style_file(index: int) -> str:
    return f"style{index}.png"


@dataclass(frozen=True)
class Saved:
    """What ``state.json`` says, read without decoding a picture: the fields every kind has, and all of it."""

    state: Mapping[str, object]  # the kind's own fields among the rest
    params: StyleParams
    step: int  # steps done when the picture was saved
    total_steps: int
    styles: int  # how many paintings
    saved_at: float  # seconds since the epoch
    has_picture: bool


@dataclass(frozen=True, eq=False)
class Recovered(Generic[Info, Masks]):
    """A set read back: what its kind makes of the state, the images, and of the mask files."""

    info: Info
    content: Image.Image
    styles: tuple[Image.Image, ...]
    picture: Image.Image | None
    masks: Masks


class AutosaveStore(Generic[Info, Masks]):
    """One folder's set. A kind names itself (``what``, for the log), its mask files, and reads its own fields."""

    what = "the autosave"
    mask_patterns: tuple[str, ...] = ()

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._state: dict = {}  # what state.json holds while this store writes a set; empty before one begins
        self._inputs: tuple | None = None  # the input images the folder holds copies of
        self._masks_written: dict[str, Image.Image] = {}  # the masks it holds by file name, as handed over

    @property
    def state_path(self) -> Path:
        return self.folder / "state.json"

    @property
    def has_inputs(self) -> bool:
        return (self.folder / CONTENT).exists()

    # -- writing (on the writer thread) ---------------------------------------------------

    def start(
        self,
        content: Image.Image,
        styles: tuple[Image.Image, ...],
        params: StyleParams,
        fields: dict,
        masks: dict[str, Image.Image],
        picture: Image.Image | None = None,
        step: int = 0,
    ) -> None:
        """A new set: the inputs, ``masks`` by file name, ``picture`` (taken at ``step``), the kind's ``fields``.

        Inputs handed over again (the very same images: a run restarted while
        tuning) are not encoded again.
        """
        self._state = {}  # if this fails half-way, no picture is saved under the old set's state
        self.state_path.unlink(missing_ok=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write_inputs((content, *styles))
        (self.folder / PICTURE).unlink(missing_ok=True)
        self.write_masks(masks)
        self._state = {**fields, "styles": len(styles)}
        self.write_picture(picture, step if picture is not None else 0, params, params.steps)

    def _write_inputs(self, inputs: tuple[Image.Image, ...]) -> None:
        written = self._inputs
        if written is not None and len(written) == len(inputs) and self.has_inputs:
            if all(a is b for a, b in zip(written, inputs, strict=True)):
                return
        self._inputs = None  # until the set is whole again
        save_image(inputs[0], self.folder / CONTENT)
        for old in self.folder.glob("style*.png"):
            old.unlink()
        for i, style in enumerate(inputs[1:]):
            save_image(style, self.folder / _style_file(i))
        self._inputs = inputs

    def write_masks(self, files: dict[str, Image.Image]) -> None:
        """The kind's masks by file name; its other mask files go (one set per folder)."""
        write_mask_files(self.folder, files, self.mask_patterns, self._masks_written)

    def write_picture(
        self,
        picture: np.ndarray | Image.Image | None,
        step: int,
        params: StyleParams | None = None,
        total_steps: int | None = None,
    ) -> None:
        """The picture after ``step`` steps (if any), then the state that names its step (and settings, if given)."""
        if not self._state:
            return
        if picture is not None:
            image = picture if isinstance(picture, Image.Image) else Image.fromarray(picture)
            save_image(image, self.folder / PICTURE)
        self._state.update(step=step, saved_at=time.time())
        if params is not None:  # as a preset file holds them, so that reading them back validates them like one
            self._state["preset"] = json.loads(preset_to_json(Preset("Autosave", params)))
        if total_steps is not None:
            self._state["total_steps"] = total_steps
        self._write_state()

    def update(self, **fields) -> None:
        """Change the kind's own fields, of the set this store writes or, before it writes one, the set on disk."""
        state = self._state or self._read_state()
        if state:
            state.update(fields)
            self._state = state  # a set taken up from disk goes on being written (a resumed render)
            self._write_state()

    def discard(self) -> None:
        """Nothing is kept."""
        self._state, self._inputs = {}, None
        self._masks_written.clear()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _write_state(self) -> None:
        write_state(self.state_path, self._state)

    # -- reading back ----------------------------------------------------------------------

    def _read_state(self) -> dict | None:
        return read_state(self.state_path)

    def _info(self, saved: Saved) -> Info:
        """The kind's reading of the state; KeyError, TypeError or ValueError: unusable."""
        raise NotImplementedError

    def _read_masks(self, saved: Saved) -> Masks:
        raise NotImplementedError

    def peek(self) -> Info | None:
        """The set kept, if there is a usable one (state only: cheap enough for the GUI thread)."""
        found = self._peek()
        return found[1] if found is not None else None

    def _peek(self) -> tuple[Saved, Info] | None:
        state = self._read_state()
        if not state or not self.has_inputs:
            return None
        try:
            params = parse_preset(json.dumps(state["preset"]), f"{self.what}'s settings").params
            # A live run's autosave written before the count was kept has one path per painting.
            styles = state.get("styles", len(state.get("style_paths") or [None]))
            saved = Saved(
                state=state,
                params=params,
                step=int(state.get("step", 0)),
                total_steps=int(state.get("total_steps", params.steps)),
                styles=int(styles),
                saved_at=float(state.get("saved_at", 0.0)),
                has_picture=(self.folder / PICTURE).exists(),
            )
            return saved, self._info(saved)
        except (KeyError, TypeError, ValueError, BrushworkError) as exc:  # PresetError included
            log.warning("%s cannot be recovered: %s", self.what, exc)
            return None

    def recover(self) -> Recovered[Info, Masks] | None:
        """Everything the set holds; None if it cannot be read (and that is logged)."""
        found = self._peek()
        if found is None:
            return None
        saved, info = found
        try:
            content = load_image(self.folder / CONTENT)
            styles = tuple(load_image(self.folder / _style_file(i), keep_alpha=True) for i in range(saved.styles))
            picture = load_image(self.folder / PICTURE) if saved.has_picture else None
            masks = self._read_masks(saved)
        except (OSError, ValueError, BrushworkError) as exc:  # ImageLoadError and RegionError included
            log.warning("could not read %s: %s", self.what, exc)
            return None
        return Recovered(info, content, styles, picture, masks)


# -- the live run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInfo:
    """What the state says of an interrupted session."""

    params: StyleParams
    content_path: Path | None
    style_paths: tuple[Path | None, ...]
    step: int
    total_steps: int


SessionMasks = tuple[dict[Colour, Image.Image], dict[Colour, tuple[int, Image.Image]]]  # by colour; on paintings
RecoveredSession = Recovered[SessionInfo, SessionMasks]


def _path(value) -> Path | None:
    return Path(value) if isinstance(value, str) else None


class Autosave(AutosaveStore[SessionInfo, SessionMasks]):
    what = "the autosaved session"
    mask_patterns = (REGION_FILES, PAINTING_FILES)

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self._last_write = 0.0

    def begin_run(
        self,
        content: Image.Image,
        styles: tuple[Image.Image, ...],
        content_path: Path | None,
        style_paths: tuple[Path | None, ...],
        params: StyleParams,
        masks: dict[Colour, Image.Image] | None = None,
        on_paintings: dict[Colour, tuple[int, Image.Image]] | None = None,
    ) -> None:
        fields = {
            "clean_exit": False,
            "content_path": str(content_path) if content_path else None,
            "style_paths": [str(p) if p else None for p in style_paths],
        }
        self.start(content, styles, params, fields, self._mask_files(masks, on_paintings))
        self._last_write = time.monotonic()

    def due(self, progress: Progress) -> bool:
        """At each scale's end, at the run's end, and at most every INTERVAL seconds."""
        return (
            progress.preview is not None
            and progress.loupe is None  # a frame with the loupe's square is no picture to recover
            and bool(self._state)
            and (progress.scale_finished or progress.finished or time.monotonic() - self._last_write >= INTERVAL)
        )

    def save_picture(self, frame: np.ndarray, progress: Progress) -> None:
        self._last_write = time.monotonic()
        self.write_picture(frame, progress.step, progress.params, progress.total_steps)

    def save_masks(
        self, masks: dict[Colour, Image.Image], on_paintings: dict[Colour, tuple[int, Image.Image]] | None = None
    ) -> None:
        """The region masks after an edit; only once a run has begun (before it, there is nothing to recover)."""
        if self._state:
            self.write_masks(self._mask_files(masks, on_paintings))

    @staticmethod
    def _mask_files(masks: dict | None, on_paintings: dict | None) -> dict[str, Image.Image]:
        return {**region_mask_files(masks or {}), **painting_mask_files(on_paintings or {})}

    def mark_clean_exit(self) -> None:
        self.update(clean_exit=True)

    def recoverable(self) -> bool:
        """True if the last session ended without a clean close and left work behind."""
        state = self._read_state()
        return bool(state) and not state.get("clean_exit", True) and self.has_inputs

    def _info(self, saved: Saved) -> SessionInfo:
        paths = saved.state.get("style_paths") or [None]
        content = _path(saved.state.get("content_path"))
        return SessionInfo(saved.params, content, tuple(_path(p) for p in paths), saved.step, saved.total_steps)

    def _read_masks(self, saved: Saved) -> SessionMasks:
        return read_masks(self.folder), read_painting_masks(self.folder)


# -- a print render ------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptRenderInfo:
    """What ``state.json`` says of a kept render (read without decoding a picture)."""

    params: StyleParams
    step: int  # steps done when the picture was saved
    total_steps: int
    output: Path
    width: int
    height: int
    interrupted: bool  # cut off by a crash or a quit, not stopped by the artist
    saved_at: float  # seconds since the epoch
    has_picture: bool


KeptRender = Recovered[KeptRenderInfo, RegionMasks]  # what a resumed render starts from


class PrintAutosave(AutosaveStore[KeptRenderInfo, RegionMasks]):
    what = "the kept print render"
    mask_patterns = ("mask*.png", "painting-mask*.png")

    def begin(
        self,
        content: Image.Image,
        styles: tuple[Image.Image, ...],
        params: StyleParams,
        output: Path,
        masks: RegionMasks | None = None,
        start_picture: Image.Image | None = None,
        start_step: int = 0,
    ) -> None:
        """Keep what the render starts from, in place of the render kept; a picture it continues from
        counts as saved at ``start_step``."""
        masks = masks or RegionMasks()
        files = {f"mask{i}.png": mask for i, mask in enumerate(masks.photo)}
        files.update((f"painting-mask{i}.png", mask) for i, mask in enumerate(masks.style) if mask is not None)
        height, width = fit_dims(*content.size, params.size)
        fields = {"status": RUNNING, "output": str(output), "width": width, "height": height}
        self.start(content, styles, params, fields, files, start_picture, start_step)

    def save_picture(self, frame: np.ndarray, step: int) -> None:
        """The picture after ``step`` steps (at the size of the scale it was painted at)."""
        self.write_picture(frame, step)

    def mark_stopped(self) -> None:
        """The artist stopped it (or chose not to resume it at launch): offered in the dialog only."""
        self.update(status=STOPPED)

    def mark_running(self) -> None:
        """A kept render goes on (after ``recover``, this takes its set up): a crash leaves it interrupted again."""
        self.update(status=RUNNING)

    def _info(self, saved: Saved) -> KeptRenderInfo:
        state = saved.state
        return KeptRenderInfo(
            params=saved.params,
            step=saved.step,
            total_steps=saved.total_steps,
            output=Path(state["output"]),
            width=int(state["width"]),
            height=int(state["height"]),
            interrupted=state.get("status") == RUNNING,
            saved_at=saved.saved_at,
            has_picture=saved.has_picture,
        )

    def _read_masks(self, saved: Saved) -> RegionMasks:
        regions = range(len(saved.params.regions))
        photo = tuple(open_mask_image(self.folder / f"mask{i}.png").convert("L") for i in regions)
        style = tuple(
            open_mask_image(path).convert("L") if (path := self.folder / f"painting-mask{i}.png").exists() else None
            for i in regions
        )
        return RegionMasks(photo, style if any(m is not None for m in style) else ())
