"""A picture keeps the settings that made it, and --preset PICTURE remakes it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine import cli
from engine.errors import PresetError
from engine.export import ExportOptions, export_picture
from engine.images import save_image
from engine.params import StyleParams
from engine.presets import Preset, find_preset, preset_to_json
from tests.conftest import make_painting, make_photo

PARAMS = StyleParams(beta=42.0, size=48, steps=6, style_scale=1.5)
SETTINGS = preset_to_json(Preset("Picture", PARAMS))


@pytest.mark.parametrize(("name", "bits"), [("p.png", 8), ("p16.png", 16), ("p.tif", 8)])
def test_png_and_tiff_keep_the_settings(tmp_path, name, bits):
    picture = np.asarray(make_photo())
    export_picture(picture, tmp_path / name, ExportOptions(64, bits=bits), None, SETTINGS)
    assert find_preset(str(tmp_path / name)).params == PARAMS
    with Image.open(tmp_path / name) as image:  # still an ordinary picture for every other program
        assert image.size == (64, 48)


def test_a_saved_png_keeps_them_and_a_jpeg_or_a_foreign_png_says_it_has_none(tmp_path):
    save_image(make_photo(), tmp_path / "saved.png", SETTINGS)
    assert find_preset(str(tmp_path / "saved.png")).params == PARAMS
    save_image(make_photo(), tmp_path / "plain.png")
    with pytest.raises(PresetError, match="carries no Brushwork settings"):
        find_preset(str(tmp_path / "plain.png"))
    (tmp_path / "fake.png").write_text("not a picture")
    with pytest.raises(PresetError, match="not a picture"):
        find_preset(str(tmp_path / "fake.png"))


def test_cli_remakes_a_picture_from_its_own_file(tmp_path):
    photo, painting = tmp_path / "photo.png", tmp_path / "painting.png"
    make_photo().save(photo)
    make_painting().save(painting)
    first, again = tmp_path / "first.png", tmp_path / "again.png"
    common = [str(photo), str(painting), "-q"]
    assert cli.main([*common, "--size", "48", "--steps", "6", "--beta", "42", "-o", str(first), "--depth", "16"]) == 0
    assert find_preset(str(first)).params.beta == 42.0
    assert cli.main([*common, "--preset", str(first), "-o", str(again)]) == 0
    assert find_preset(str(again)).params == find_preset(str(first)).params
    with Image.open(again) as image:
        assert image.size == (48, 36)
