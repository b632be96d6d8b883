"""Keeping the artist's work safe while a run goes, and finding it again after a crash.

The folder holds copies of the two input images, the latest picture, the
region masks (one PNG per region, and the masks on the paintings, see
``mask_store``) and a ``state.json``
(parameters, where the inputs came from, how far the run got).
Every file is written atomically, so a crash or a kill at any moment leaves
the previous complete set. ``clean_exit`` is false from the first write of a
session until the window closes normally: finding it false at launch means the
last session ended without closing the window.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from brushwork.engine.errors import BrushworkError
from brushwork.engine.pictures.images import load_image, save_image
from brushwork.engine.run.progress import Progress
from brushwork.engine.settings.presets import Preset, parse_preset, preset_to_json
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

from ..regions.region_masks import Colour
from .mask_store import read_masks, read_painting_masks, write_masks, write_painting_masks
from .state_file import read_state, write_state

log = logging.getLogger(__name__)

INTERVAL = 30.0  # seconds between picture saves within a scale


def _preset_doc(params: StyleParams) -> dict:
    """The parameters in the preset file format, so that recovery validates them like a preset."""
    return json.loads(preset_to_json(Preset("Autosave", params)))


@dataclass(frozen=True, eq=False)
class RecoveredSession:
    """What an interrupted session left behind."""

    content: Image.Image
    styles: tuple[Image.Image, ...]
    content_path: Path | None
    style_paths: tuple[Path | None, ...]
    params: StyleParams
    picture: Image.Image | None
    step: int
    total_steps: int
    masks: dict[Colour, Image.Image] = field(default_factory=dict)  # by region colour
    on_paintings: dict[Colour, tuple[int, Image.Image]] = field(default_factory=dict)  # (painting index, mask)


class Autosave:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._last_write = 0.0
        self._state: dict = {}
        self._written: tuple | None = None  # the input images the folder holds copies of
        self._masks_written: dict[str, Image.Image] = {}  # the masks it holds by file name, as handed over

    @property
    def state_path(self) -> Path:
        return self.folder / "state.json"

    # -- during a session (these run on a worker thread) -------------------------

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
        """Copy the inputs: the originals may move, or may have been pasted.

        Runs restarted on the same images (the usual case while tuning) reuse
        the copies already written instead of encoding them again.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        inputs = (content, *styles)
        if not self._same_inputs(inputs):
            self._written = None
            save_image(content, self.folder / "content.png")
            for old in self.folder.glob("style*.png"):
                old.unlink()
            for i, style in enumerate(styles):
                save_image(style, self.folder / f"style{i}.png")
            self._written = inputs
        (self.folder / "picture.png").unlink(missing_ok=True)
        write_masks(self.folder, masks or {}, self._masks_written)
        write_painting_masks(self.folder, on_paintings or {}, self._masks_written)
        self._state = {
            "clean_exit": False,
            "content_path": str(content_path) if content_path else None,
            "style_paths": [str(p) if p else None for p in style_paths],
            "preset": _preset_doc(params),
            "step": 0,
            "total_steps": params.steps,
            "saved_at": time.time(),
        }
        self._write_state()
        self._last_write = time.monotonic()

    def _same_inputs(self, inputs: tuple[Image.Image, ...]) -> bool:
        written = self._written
        return (
            written is not None
            and len(written) == len(inputs)
            and all(a is b for a, b in zip(written, inputs, strict=True))
            and (self.folder / "content.png").exists()
        )

    def due(self, progress: Progress) -> bool:
        """At each scale's end, at the run's end, and at most every INTERVAL seconds."""
        return (
            progress.preview is not None
            and bool(self._state)
            and (progress.scale_finished or progress.finished or time.monotonic() - self._last_write >= INTERVAL)
        )

    def save_picture(self, frame: np.ndarray, progress: Progress) -> None:
        self._last_write = time.monotonic()
        save_image(Image.fromarray(frame), self.folder / "picture.png")
        self._state.update(
            step=progress.step,
            total_steps=progress.total_steps,
            preset=_preset_doc(progress.params),
            saved_at=time.time(),
        )
        self._write_state()

    def save_masks(
        self, masks: dict[Colour, Image.Image], on_paintings: dict[Colour, tuple[int, Image.Image]] | None = None
    ) -> None:
        """The region masks after an edit; only once a run has begun (before it, there is nothing to recover)."""
        if self._state:
            write_masks(self.folder, masks, self._masks_written)
            write_painting_masks(self.folder, on_paintings or {}, self._masks_written)

    def mark_clean_exit(self) -> None:
        if self.state_path.exists():
            state = self._read_state() or {}
            state["clean_exit"] = True
            write_state(self.state_path, state)

    def _write_state(self) -> None:
        write_state(self.state_path, self._state)

    # -- at launch ---------------------------------------------------------------

    def _read_state(self) -> dict | None:
        return read_state(self.state_path)

    def recoverable(self) -> bool:
        """True if the last session ended without a clean close and left work behind."""
        state = self._read_state()
        return bool(state) and not state.get("clean_exit", True) and (self.folder / "content.png").exists()

    def recover(self) -> RecoveredSession | None:
        """Read back what was saved; None if it is unusable (and then it is logged)."""
        state = self._read_state()
        if not state:
            return None
        try:
            params = parse_preset(json.dumps(state["preset"]), "autosaved settings").params
            content = load_image(self.folder / "content.png")
            count = len(state.get("style_paths") or [None])
            styles = tuple(load_image(self.folder / f"style{i}.png") for i in range(count))
            picture_path = self.folder / "picture.png"
            picture = load_image(picture_path) if picture_path.exists() else None
            masks = read_masks(self.folder)
            on_paintings = read_painting_masks(self.folder)
        except (KeyError, TypeError, BrushworkError) as exc:  # PresetError and ImageLoadError included
            log.warning("could not recover the autosaved session: %s", exc)
            return None

        def path(value) -> Path | None:
            return Path(value) if isinstance(value, str) else None

        return RecoveredSession(
            content=content,
            styles=styles,
            content_path=path(state.get("content_path")),
            style_paths=tuple(path(p) for p in state.get("style_paths") or [None]),
            params=params,
            picture=picture,
            step=int(state.get("step", 0)),
            total_steps=int(state.get("total_steps", params.steps)),
            masks=masks,
            on_paintings=on_paintings,
        )
