"""A picture keeps the settings that made it, and --preset PICTURE remakes it."""

from __future__ import annotations

import numpy as np
import pytest
from brushwork.engine.cli import main as cli
from brushwork.engine.errors import PresetError
from brushwork.engine.pictures.images import save_image
from brushwork.engine.pictures.picture_export import ExportOptions, export_picture
from brushwork.engine.settings.presets import Preset, find_preset, preset_to_json
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

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


def test_a_16_bit_tiff_holds_every_bit_and_opens_elsewhere(tmp_path):
    import struct
    import zlib

    rng = np.random.default_rng(0)
    deep = rng.integers(0, 65536, (30, 40, 3), dtype=np.uint16)
    path = export_picture(
        (deep >> 8).astype(np.uint8), tmp_path / "deep.tif", ExportOptions(40, bits=16), deep, SETTINGS
    )
    with Image.open(path) as image:  # an ordinary TIFF to other readers
        assert image.size == (40, 30) and image.tag_v2[258] == (16, 16, 16)
        offset, length = image.tag_v2[273][0], image.tag_v2[279][0]
    raw = path.read_bytes()
    assert struct.unpack("<2s", raw[:2])[0] == b"II"
    pixels = np.frombuffer(zlib.decompress(raw[offset : offset + length]), "<u2").reshape(30, 40, 3)
    np.testing.assert_array_equal(pixels, deep)
    assert find_preset(str(path)).params == PARAMS


def test_cli_writes_16_bits_to_png_and_tiff_but_not_jpeg(tmp_path, capsys):
    photo, painting = tmp_path / "photo.png", tmp_path / "painting.png"
    make_photo().save(photo)
    make_painting().save(painting)
    common = [str(photo), str(painting), "--size", "48", "--steps", "4", "--depth", "16", "-q"]
    assert cli.main([*common, "-o", str(tmp_path / "deep.tif")]) == 0
    with Image.open(tmp_path / "deep.tif") as image:
        assert image.tag_v2[258] == (16, 16, 16)
    assert cli.main([*common, "-o", str(tmp_path / "deep.jpg")]) == 1
    assert "needs a .png or .tif output" in capsys.readouterr().err
