"""A painting's transparent parts are no part of its style (issue 29): they once became white and were painted."""

from __future__ import annotations

import numpy as np
import pytest
from brushwork.engine.cli import main as cli
from brushwork.engine.errors import ImageLoadError
from brushwork.engine.network.vgg19 import FeatureExtractor
from brushwork.engine.objective.scale_objective import Objective
from brushwork.engine.pictures.images import load_image, to_tensor
from brushwork.engine.pictures.transparency import painting_tensors
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

from tests.conftest import make_painting, make_photo


def cut_out(under=(255, 255, 255)) -> Image.Image:
    """The stripes in a disc, transparent around it (with ``under`` as the colour the file keeps there)."""
    paint = np.asarray(make_painting(56, 56)).copy()
    y, x = np.mgrid[0:56, 0:56]
    opaque = np.hypot(x - 28, y - 28) <= 18
    paint[~opaque] = under
    return Image.fromarray(np.dstack([paint, np.where(opaque, 255, 0).astype(np.uint8)]), "RGBA")


def white_share(picture: Image.Image) -> float:
    return float((np.asarray(picture).min(-1) > 215).mean())


def test_a_painting_cut_out_on_transparency_paints_no_white(tmp_path):
    photo, painting, out = tmp_path / "photo.png", tmp_path / "cut.png", tmp_path / "out.png"
    make_photo(64, 48).save(photo)
    cut_out().save(painting)
    assert cli.main([str(photo), str(painting), "-o", str(out), "--size", "64", "--steps", "40", "-q"]) == 0
    # Composited onto white, the transparent two thirds of the painting were style: 30 % of the picture was white.
    assert white_share(Image.open(out)) < 0.01


def test_a_half_transparent_painting_has_the_style_of_its_opaque_half(oxford):
    net = FeatureExtractor(oxford, "conv5_1")
    photo = to_tensor(make_photo(64, 48))
    stripes = np.asarray(make_painting(112, 56)).copy()
    opaque = np.zeros((56, 112), np.uint8)
    opaque[:, :56] = 255
    stripes[:, 56:] = 255  # white under the transparent half, as many files keep it

    def style_error(painting: Image.Image) -> float:
        colours, coverage = painting_tensors(painting, painting.height, painting.width)
        return float(Objective(net, photo, colours, StyleParams(), coverage=[coverage])(photo)[1][1])

    half = style_error(Image.fromarray(np.dstack([stripes, opaque]), "RGBA"))
    # 3.45 against 3.31 (the edge of the opaque half differs); with the transparent half as style, 6.9.
    assert half == pytest.approx(style_error(Image.fromarray(stripes[:, :56])), rel=0.1)


def test_a_painting_keeps_its_transparency_and_a_photo_is_put_on_white(tmp_path):
    path = tmp_path / "cut.png"
    cut_out(under=(0, 0, 0)).save(path)
    assert load_image(path, keep_alpha=True).mode == "RGBA"
    photo = load_image(path)
    assert photo.mode == "RGB" and photo.getpixel((0, 0)) == (255, 255, 255)
    opaque = tmp_path / "opaque.png"
    make_painting().convert("RGBA").save(opaque)
    assert load_image(opaque, keep_alpha=True).mode == "RGB"  # nothing transparent: nothing to leave out


def test_a_painting_transparent_all_over_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "empty.png"
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(path)
    with pytest.raises(ImageLoadError, match="transparent all over"):
        load_image(path, keep_alpha=True)
