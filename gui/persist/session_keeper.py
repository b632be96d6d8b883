"""What the studio restores at launch (crash recovery first, then the last session) and keeps at close.

At close: the settings, the layout, the regions' masks, the picture on screen
with what painted it (``last_picture.json``: its settings and which photo
and paintings, so that the next launch can tell whether it is stale), and
the history strip (``gui.persist.history_store``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Protocol

import numpy as np
from brushwork.engine.errors import BrushworkError
from brushwork.engine.pictures.images import load_image, save_image
from brushwork.engine.settings.presets import Preset, parse_preset, preset_to_json
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

from ..image_inputs import prepare
from ..regions.painting_masks import PaintingMask
from ..roles import CONTENT, STYLE
from ..run.shown_picture import Inputs, PaintedFrom
from .autosave import Autosave
from .history_store import HistoryStore
from .mask_store import read_masks, read_painting_masks, write_masks, write_painting_masks
from .session_store import SessionStore
from .state_file import write_state

log = logging.getLogger(__name__)


class Studio(Protocol):
    """The parts of the window a session is restored into (``StudioWindow`` provides them)."""

    session: SessionStore
    autosave: Autosave
    dialogs: object
    inputs: object  # gui.image_inputs.ImageInputs
    presets: object  # gui.preset_actions.PresetActions
    mask_doc: object  # gui.region_masks.RegionMaskDocument
    splitter: object
    history: object  # gui.panels.history_strip.HistoryStripWidget
    live_run: object  # gui.run.live_run_actions.LiveRunActions: its canvas knows what painted the picture
    picture: np.ndarray | None
    picture_saved: bool

    def set_params(self, params: StyleParams, *, undoable: bool = True) -> None: ...
    def show_picture(self, frame: np.ndarray, saved: bool, painted: PaintedFrom | None = None) -> None: ...
    def show_error(self, text: str, action_text: str | None = None, action=None) -> None: ...
    def offer(self, text: str, action_text: str, action) -> None: ...
    def continue_from_picture(self, size: int | None = None, step: int = 0) -> None: ...
    def spawn(self, coro) -> asyncio.Task: ...
    def restoreGeometry(self, geometry) -> bool: ...
    def restoreState(self, state) -> bool: ...
    def saveGeometry(self): ...
    def saveState(self): ...


class SessionKeeper:
    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self.history = HistoryStore(studio.session.data_dir / "history")

    @property
    def last_picture_path(self) -> Path:
        return self.studio.session.data_dir / "last_picture.png"

    @property
    def painted_path(self) -> Path:
        """What painted the last picture: its settings, photo and paintings."""
        return self.studio.session.data_dir / "last_picture.json"

    @property
    def masks_folder(self) -> Path:
        return self.studio.session.data_dir / "masks"

    # -- at launch -----------------------------------------------------------------

    def restore(self) -> None:
        for snapshot in self.history.read():
            self.studio.history.add(snapshot)
        if self._offer_recovery():
            return
        studio, session = self.studio, self.studio.session
        params, warning = session.load_params()
        studio.set_params(params, undoable=False)
        studio.presets.select_matching(params, session.preset_name())
        if warning:
            studio.show_error(warning)
        # Before the photo: when it arrives, masks of its shape are kept (gui.regions.region_masks).
        studio.mask_doc.restore(read_masks(self.masks_folder))
        state = session.layout_state()
        if "geometry" in state:
            studio.restoreGeometry(state["geometry"])
        if "state" in state:
            studio.restoreState(state["state"])
        if "splitter" in state:
            studio.splitter.restoreState(state["splitter"])
        loads = []
        for role in (CONTENT, STYLE):
            path = session.image_path(role)
            if path is not None and path.exists():
                loads.append(studio.inputs.load_into(role, path))
        extra = [path for path in session.extra_style_paths() if path.exists()]
        on_paintings = read_painting_masks(self.masks_folder)
        if extra or on_paintings:
            studio.spawn(self._restore_paintings([task for task in loads if task is not None], extra, on_paintings))
        self._restore_last_picture()

    async def _restore_paintings(self, loads: list[asyncio.Task], paths: list[Path], on_paintings: dict) -> None:
        """The paintings added for blending, in order, once the Style well's is in; then the masks on them.

        The masks on the paintings wait for every painting: each is kept only
        if its painting is there again, with its shape (``gui.regions.painting_masks``).
        """
        await asyncio.gather(*loads, return_exceptions=True)
        for path in paths:
            await self.studio.inputs.add_style_image(path)
        if on_paintings:
            self.studio.mask_doc.painting_masks.restore(_painting_masks(on_paintings))

    def _offer_recovery(self) -> bool:
        """After a crash: offer the autosaved images, settings and picture. True if restored."""
        studio, autosave = self.studio, self.studio.autosave
        if not autosave.recoverable():
            return False
        if not studio.dialogs.confirm(
            "Restore your work?",
            "Brushwork did not close properly last time. Restore the images, settings and the picture it was painting?",
        ):
            autosave.mark_clean_exit()
            return False
        found = autosave.recover()
        if found is None:
            studio.show_error("The autosaved work could not be read; starting afresh.")
            return False
        info, (masks, on_paintings) = found.info, found.masks
        studio.set_params(info.params, undoable=False)
        studio.mask_doc.restore(masks)
        inputs = studio.inputs
        inputs.set_image(inputs.content_well, prepare(found.content, found.content.size), info.content_path)
        inputs.extra_styles = list(zip(info.style_paths[1:], found.styles[1:], strict=False))
        inputs.set_image(inputs.style_well, prepare(found.styles[0], found.styles[0].size), info.style_paths[0])
        if on_paintings:  # once the paintings are in: each mask is kept only beside its painting
            studio.mask_doc.painting_masks.restore(_painting_masks(on_paintings))
        if found.picture is not None:  # painted from the inputs just restored, with the settings autosaved beside it
            studio.show_picture(np.asarray(found.picture).copy(), saved=False, painted=PaintedFrom(info.params))
            studio.offer(
                f"Restored the picture from step {info.step} of {info.total_steps}.",
                "Continue the run",
                lambda: studio.continue_from_picture(step=info.step),
            )
        return True

    def _restore_last_picture(self) -> None:
        """The picture on screen when the window last closed, as it was left (saved or not)."""
        if not self.last_picture_path.exists():
            return
        try:
            picture = load_image(self.last_picture_path)
        except BrushworkError as exc:
            log.warning("could not restore the last picture: %s", exc)
            return
        saved = self.studio.session.last_picture_saved()
        self.studio.show_picture(np.asarray(picture).copy(), saved, self._read_painted())

    def _read_painted(self) -> PaintedFrom | None:
        """What painted the last picture, if it was kept (a picture kept before it was is taken as not stale)."""
        try:
            found = json.loads(self.painted_path.read_text(encoding="utf-8"))
            params = parse_preset(json.dumps(found["preset"]), "the last picture's settings").params
            inputs = Inputs(found.get("photo"), found.get("paintings"), str(found.get("photo_name", "another photo")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, BrushworkError) as exc:
            log.info("the last picture's settings are not known: %s", exc)
            return None
        return PaintedFrom(params, inputs)

    # -- at close --------------------------------------------------------------------

    def keep_at_quit(self, params: StyleParams, keep_picture: bool) -> None:
        """Everything the next launch restores, then the mark that this session closed properly.

        A part that fails is logged, and the others are still kept.
        """
        parts = (
            ("the session", lambda: self.keep(params, keep_picture)),
            ("the history", lambda: self.history.write(self.studio.history.snapshots)),
            ("the clean exit", self.studio.autosave.mark_clean_exit),
        )
        for what, keep in parts:
            try:
                keep()
            except (OSError, BrushworkError) as exc:
                log.warning("could not keep %s: %s", what, exc)

    def keep(self, params: StyleParams, keep_picture: bool) -> None:
        """Settings, layout, the regions' masks and (unless there is none or the artist discarded it) the picture."""
        studio, session = self.studio, self.studio.session
        session.save_params(params)
        self._keep_masks(params)
        session.set_layout_state(
            geometry=studio.saveGeometry(), state=studio.saveState(), splitter=studio.splitter.saveState()
        )
        session.sync()
        kept = studio.live_run.canvas.run_picture()  # never a frame with the loupe's square
        if kept is None or not keep_picture:
            self.last_picture_path.unlink(missing_ok=True)
            self.painted_path.unlink(missing_ok=True)
            return
        session.data_dir.mkdir(parents=True, exist_ok=True)
        save_image(Image.fromarray(kept.frame), self.last_picture_path)
        session.set_last_picture_saved(studio.picture_saved)
        self._keep_painted(kept.painted)

    def _keep_painted(self, painted: PaintedFrom) -> None:
        if painted.params is None:
            self.painted_path.unlink(missing_ok=True)
            return
        inputs = painted.inputs
        found = {
            "preset": json.loads(preset_to_json(Preset("Picture", painted.params))),
            "photo": inputs.photo,
            "paintings": inputs.paintings,
            "photo_name": inputs.photo_name,
        }
        write_state(self.painted_path, found)

    def _keep_masks(self, params: StyleParams) -> None:
        """The masks of the regions there are (none left behind for regions removed), and those on the paintings."""
        colours = [region.rgb for region in params.regions]
        try:
            write_masks(self.masks_folder, self.studio.mask_doc.images(colours))
            write_painting_masks(self.masks_folder, self.studio.mask_doc.painting_masks.files(colours))
        except OSError as exc:  # the rest of the session is still worth keeping
            log.warning("could not keep the region masks: %s", exc)


def _painting_masks(files: dict) -> dict:
    """What ``mask_store.read_painting_masks`` gives, as ``PaintingMasks.restore`` takes it."""
    return {colour: PaintingMask(index, image) for colour, (index, image) in files.items()}
