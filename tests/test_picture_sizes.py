"""Issue 29, finding 9: a photo too small to paint from, a large one without Pillow's warning, --help's formats."""

from __future__ import annotations

import logging
import warnings

import pytest
from brushwork.engine.cli import main as cli
from brushwork.engine.cli.output import SAVE_SUFFIXES
from brushwork.engine.errors import ImageLoadError
from brushwork.engine.pictures.images import check_photo_size, load_image, original_size
from PIL import Image

from tests.conftest import make_painting, make_photo


def test_a_photo_under_16_px_a_side_is_too_small():
    with pytest.raises(ImageLoadError, match=r"dot.png is 1 x 1 px, too small to paint from"):
        check_photo_size("dot.png", (1, 1))
    with pytest.raises(ImageLoadError, match="at least 16 px"):
        check_photo_size("strip.png", (400, 15))
    check_photo_size("small.png", (16, 16))  # the smallest that is painted


def test_a_large_picture_says_what_happens_instead_of_pillows_warning(tmp_path, monkeypatch, caplog, capsys):
    # A 12000 x 8000 photo (96 MP, over Pillow's 89 MP) printed Pillow's DecompressionBombWarning on the
    # terminal and on the command line's stderr. Pillow's limit is made small here, so that the files are too.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1500)  # warns from 1500 px, refuses from 3000
    photo, painting, mask = tmp_path / "photo.png", tmp_path / "painting.png", tmp_path / "mask.png"
    make_photo(48, 36).save(photo)  # 1728 px
    make_painting(32, 32).save(painting)
    Image.new("RGB", (48, 36), (255, 0, 0)).save(mask)
    caplog.set_level(logging.INFO, logger="brushwork.engine.pictures.images")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert load_image(photo).size == (48, 36)
        assert original_size(photo) == (48, 36)
        out = tmp_path / "out.png"
        args = [str(photo), "--regions", str(mask), "--region", f"red={painting}", "-o", str(out)]
        assert cli.main([*args, "--size", "32", "--steps", "1", "-q"]) == 0
    bombs = [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    assert bombs == []
    assert "DecompressionBomb" not in capsys.readouterr().err
    said = [r.getMessage() for r in caplog.records if "over Pillow's warning size" in r.getMessage()]
    assert any(m.startswith("photo.png is 48 x 36 px") for m in said)
    assert any(m.startswith("mask.png is 48 x 36 px") for m in said)


def test_render_help_names_every_output_format_it_writes(capsys):
    # --help said ".png or .jpg"; TIFF works too.
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(suffix in text for suffix in SAVE_SUFFIXES)
    assert ".png or .jpg" not in text
