"""The one autosave store, for the live run and print renders: what it keeps side by side, replaces, and reads back."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from brushwork.engine.errors import ImageSaveError
from brushwork.engine.settings.presets import Preset, preset_to_json
from brushwork.engine.settings.regions import RegionMasks, RegionSetting
from brushwork.engine.settings.style_params import StyleParams
from brushwork.gui.persist import autosave as autosave_module
from brushwork.gui.persist.autosave import Autosave, PrintAutosave
from PIL import Image

RED, GREEN = (255, 0, 0), (0, 255, 0)


def photo(colour="red") -> Image.Image:
    return Image.new("RGB", (64, 48), colour)


def mask(value: int, size=(64, 48)) -> Image.Image:
    return Image.new("L", size, value)


def frame(value: int) -> np.ndarray:
    return np.full((48, 64, 3), value, np.uint8)


def test_a_live_autosave_and_a_kept_print_render_in_one_data_folder_each_recover_their_own(tmp_path):
    live, render = Autosave(tmp_path / "autosave"), PrintAutosave(tmp_path / "print_render")  # as the window has them
    live.begin_run(photo(), (photo("blue"),), None, (None,), StyleParams(size=64, steps=40), {RED: mask(255)})
    render.begin(photo("green"), (photo("white"), photo("black")), StyleParams(size=200, steps=10), tmp_path / "p.tif")
    live.save_picture(frame(10), _progress(12, StyleParams(size=64, steps=40)))
    render.save_picture(frame(200), 6)
    render.mark_stopped()

    session, kept = live.recover(), render.recover()
    assert session.info.step == 12 and session.picture.getpixel((0, 0)) == (10, 10, 10)
    assert session.content.getpixel((0, 0)) == (255, 0, 0) and len(session.styles) == 1 and RED in session.masks[0]
    assert kept.info.step == 6 and kept.picture.getpixel((0, 0)) == (200, 200, 200) and not kept.info.interrupted
    assert kept.content.getpixel((0, 0)) == (0, 128, 0) and len(kept.styles) == 2
    assert live.recoverable()
    render.discard()  # the render's file is written: the live run's work stays
    assert render.peek() is None and live.recoverable() and live.recover().info.step == 12


def test_a_new_render_replaces_the_kept_one_and_one_cut_off_while_written_is_not_offered(tmp_path, monkeypatch):
    store = PrintAutosave(tmp_path)
    regions = StyleParams(size=96, steps=10, regions=(RegionSetting("red"),))
    masks = RegionMasks((mask(255),), (mask(128, (40, 40)),))
    store.begin(photo(), (photo("blue"), photo("white")), regions, tmp_path / "a.png", masks, photo("black"), 4)
    assert store.peek().step == 4 and store.recover().masks.style[0] is not None

    store.begin(photo("green"), (photo("blue"),), StyleParams(size=96, steps=10), tmp_path / "b.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content.png", "state.json", "style0.png"]
    kept = store.recover()
    assert kept.info.output.name == "b.png" and kept.info.step == 0 and kept.picture is None
    assert len(kept.styles) == 1 and kept.masks.photo == kept.masks.style == ()

    def no_room(image, path, *args):
        raise ImageSaveError(f"Could not save {path.name}: no space left")

    monkeypatch.setattr(autosave_module, "save_image", no_room)
    with pytest.raises(ImageSaveError):
        store.begin(photo("white"), (photo("black"),), StyleParams(size=128, steps=20), tmp_path / "c.png")
    store.save_picture(frame(0), 3)  # the writer goes on after a failed write: nothing lands under another's state
    assert store.peek() is None


def test_autosaves_written_by_the_previous_version_are_recovered(tmp_path):
    """The state and file names as the two stores before this one wrote them (the live run kept no painting count)."""
    params = StyleParams(size=64, steps=40, regions=(RegionSetting("red"),))
    live_dir, print_dir = tmp_path / "autosave", tmp_path / "print_render"
    for folder in (live_dir, print_dir):
        folder.mkdir()
        photo().save(folder / "content.png")
        photo("blue").save(folder / "style0.png")
        photo("white").save(folder / "picture.png")
    photo("black").save(live_dir / "style1.png")
    mask(255).save(live_dir / "region-ff0000.png")
    mask(200, (40, 40)).save(live_dir / "painting-1-00ff00.png")
    _write(live_dir, {
        "clean_exit": False, "content_path": "/photos/cat.png", "style_paths": ["/paintings/starry.jpg", None],
        "preset": _preset("Autosave", params), "step": 12, "total_steps": 40, "saved_at": 1.0e9,
    })  # fmt: skip
    mask(255).save(print_dir / "mask0.png")
    mask(100, (40, 40)).save(print_dir / "painting-mask0.png")
    _write(print_dir, {
        "status": "running", "preset": _preset("Print render", params.replace(size=200, steps=10)), "styles": 1,
        "step": 6, "total_steps": 10, "output": "/prints/cat.tif", "width": 200, "height": 150, "saved_at": 1.0e9,
    })  # fmt: skip

    live = Autosave(live_dir)
    assert live.recoverable()
    session = live.recover()
    assert len(session.styles) == 2 and session.styles[1].getpixel((0, 0)) == (0, 0, 0)
    assert session.info.style_paths == (Path("/paintings/starry.jpg"), None)
    assert session.info.content_path == Path("/photos/cat.png") and session.info.step == 12
    assert set(session.masks[0]) == {RED} and session.masks[1][GREEN][0] == 1
    kept = PrintAutosave(print_dir).recover()
    assert kept.info.interrupted and kept.info.step == 6 and (kept.info.width, kept.info.height) == (200, 150)
    assert kept.info.output == Path("/prints/cat.tif") and kept.info.params.size == 200
    assert len(kept.masks.photo) == 1 and kept.masks.style[0].getpixel((0, 0)) == 100


def _preset(name: str, params: StyleParams) -> dict:
    return json.loads(preset_to_json(Preset(name, params)))


def _write(folder, state: dict) -> None:
    (folder / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")


def _progress(step: int, params: StyleParams) -> SimpleNamespace:
    """What ``Autosave.save_picture`` reads of an engine report."""
    return SimpleNamespace(step=step, total_steps=params.steps, params=params)
