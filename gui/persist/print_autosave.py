"""A print render's autosave: all it needs to go on after a crash, a quit or a cancel.

A render at print size takes hours on a CPU, and one step at the top scale
minutes, so it must survive the process. The folder (``print_render`` in the
app-data folder) holds copies of the photo and paintings, the region masks
(in the order of the settings' regions), the latest picture and a
``state.json``: the settings (size, steps and tiles included), the step that
picture was taken at, where the file goes, and whether the render was
stopped on purpose. A render whose state still says ``running`` when no
render runs was cut off (a crash or a quit) and is offered at launch; one
the artist stopped is offered only in the print dialog.

Every file is written atomically, the picture before the state that names
its step, so a kill at any moment leaves a set that resumes: at worst a
picture a little newer than its step, which only repeats a few steps.
The methods that write run on the job's writer thread.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brushwork.engine.errors import BrushworkError
from brushwork.engine.pictures.images import fit_dims, load_image, save_image
from brushwork.engine.settings.presets import Preset, parse_preset, preset_to_json
from brushwork.engine.settings.regions import RegionMasks, open_mask_image
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

from .state_file import read_state, write_state

log = logging.getLogger(__name__)

RUNNING, STOPPED = "running", "stopped"


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


@dataclass(frozen=True, eq=False)
class KeptRender:
    """A kept render, read back: what a resumed run starts from."""

    info: KeptRenderInfo
    content: Image.Image
    styles: tuple[Image.Image, ...]
    picture: Image.Image | None
    masks: RegionMasks


class PrintAutosave:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._state: dict = {}

    @property
    def state_path(self) -> Path:
        return self.folder / "state.json"

    # -- while a render goes (on the writer thread) ----------------------------------

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
        """Copy what the render starts from; a picture it continues from counts as saved at ``start_step``."""
        if self.folder.exists():
            shutil.rmtree(self.folder)  # one render at a time: a new one replaces the one kept
        self.folder.mkdir(parents=True)
        save_image(content, self.folder / "content.png")
        for i, style in enumerate(styles):
            save_image(style, self.folder / f"style{i}.png")
        masks = masks or RegionMasks()
        for i, mask in enumerate(masks.photo):
            mask.save(self.folder / f"mask{i}.png")
        for i, mask in enumerate(masks.style):
            if mask is not None:
                mask.save(self.folder / f"painting-mask{i}.png")
        if start_picture is not None:
            save_image(start_picture, self.folder / "picture.png")
        height, width = fit_dims(*content.size, params.size)
        self._state = {
            "status": RUNNING,
            "preset": json.loads(preset_to_json(Preset("Print render", params))),
            "styles": len(styles),
            "step": start_step if start_picture is not None else 0,
            "total_steps": params.steps,
            "output": str(output),
            "width": width,
            "height": height,
            "saved_at": time.time(),
        }
        self._write_state()

    def save_picture(self, frame: np.ndarray, step: int) -> None:
        """The picture after ``step`` steps (at the size of the scale it was painted at)."""
        if not self._state:
            return
        save_image(Image.fromarray(frame), self.folder / "picture.png")
        self._state.update(step=step, saved_at=time.time())
        self._write_state()

    def mark_stopped(self) -> None:
        """The artist stopped it (or chose not to resume it at launch): offered in the dialog only."""
        self._set_status(STOPPED)

    def mark_running(self) -> None:
        """A kept render goes on: a crash from now on leaves it interrupted again."""
        self._set_status(RUNNING)

    def _set_status(self, status: str) -> None:
        state = self._state or self._read_state()
        if state:
            state["status"] = status
            self._state = state
            self._write_state()

    def discard(self) -> None:
        """The render is done (its file written) or unwanted: nothing is kept."""
        self._state = {}
        shutil.rmtree(self.folder, ignore_errors=True)

    def _write_state(self) -> None:
        write_state(self.state_path, self._state)

    # -- reading back (the GUI thread reads the state, a worker the pictures) --------------

    def _read_state(self) -> dict | None:
        return read_state(self.state_path)

    def peek(self) -> KeptRenderInfo | None:
        """The kept render, if there is a usable one (state only: cheap enough for the GUI thread)."""
        state = self._read_state()
        if not state or not (self.folder / "content.png").exists():
            return None
        try:
            params = parse_preset(json.dumps(state["preset"]), "the kept print render's settings").params
            return KeptRenderInfo(
                params=params,
                step=int(state["step"]),
                total_steps=int(state["total_steps"]),
                output=Path(state["output"]),
                width=int(state["width"]),
                height=int(state["height"]),
                interrupted=state.get("status") == RUNNING,
                saved_at=float(state.get("saved_at", 0.0)),
                has_picture=(self.folder / "picture.png").exists(),
            )
        except (KeyError, TypeError, ValueError, BrushworkError) as exc:
            log.warning("the kept print render cannot be resumed: %s", exc)
            return None

    def recover(self) -> KeptRender | None:
        """Everything a resumed render needs; None if it cannot be read (and that is logged)."""
        info = self.peek()
        if info is None:
            return None
        try:
            state = self._read_state() or {}
            content = load_image(self.folder / "content.png")
            styles = tuple(load_image(self.folder / f"style{i}.png") for i in range(int(state.get("styles", 1))))
            picture = load_image(self.folder / "picture.png") if info.has_picture else None
            regions = len(info.params.regions)
            photo = tuple(open_mask_image(self.folder / f"mask{i}.png").convert("L") for i in range(regions))
            style = tuple(
                open_mask_image(path).convert("L") if (path := self.folder / f"painting-mask{i}.png").exists() else None
                for i in range(regions)
            )
        except (OSError, ValueError, BrushworkError) as exc:
            log.warning("could not read the kept print render: %s", exc)
            return None
        masks = RegionMasks(photo, style if any(m is not None for m in style) else ())
        self._state = state  # a resumed render goes on writing this set
        return KeptRender(info, content, styles, picture, masks)
