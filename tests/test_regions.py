"""Regions: each part of the picture takes its own style, the photo stays where asked, masks change live."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch
from brushwork.engine.cli import main as cli
from brushwork.engine.errors import ParamsError
from brushwork.engine.network.layers import DEFAULT_STYLE_WEIGHTS
from brushwork.engine.network.vgg19 import FeatureExtractor
from brushwork.engine.objective.guided_gram import guide_at, guided_grams, normalise_guides
from brushwork.engine.objective.loss_terms import gram_matrix
from brushwork.engine.objective.scale_objective import Objective
from brushwork.engine.objective.tiled_objective import TiledObjective
from brushwork.engine.pictures.images import to_tensor
from brushwork.engine.run.schedule import plan_stages
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.presets import Preset, parse_preset, preset_to_json
from brushwork.engine.settings.regions import (
    RegionError,
    RegionMasks,
    RegionSetting,
    colour_image_from_masks,
    masks_from_colour_image,
)
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image, ImageDraw

from tests.conftest import make_painting, make_photo

SIZE = (64, 48)


def checker(size: int = 56) -> Image.Image:
    """A painting as unlike ``make_painting``'s stripes as can be: a yellow and black checkerboard."""
    y, x = np.mgrid[0:size, 0:size]
    on = (np.sin(x / 1.5) * np.sin(y / 1.5) > 0).astype(float)
    return Image.fromarray((np.stack([0.9 * on, 0.9 * on, 0.2 + 0 * on], -1) * 255).astype(np.uint8))


def half(left: bool) -> Image.Image:
    mask = np.zeros(SIZE[::-1], np.uint8)
    mask[:, : SIZE[0] // 2] = 255
    return Image.fromarray(mask if left else 255 - mask, "L")


def style_error(net: FeatureExtractor, picture: Image.Image, where: Image.Image, painting: Image.Image) -> float:
    """The default style term, taken over the part of ``picture`` that ``where`` covers, against ``painting``."""
    feats = net(to_tensor(picture), set(DEFAULT_STYLE_WEIGHTS))
    style_feats = net(to_tensor(painting.resize(picture.size)), set(DEFAULT_STYLE_WEIGHTS))
    mask = torch.from_numpy(np.asarray(where, np.float32) / 255)[None]
    total = 0.0
    for name, weight in DEFAULT_STYLE_WEIGHTS.items():
        grams, _ = guided_grams(feats[name], guide_at(mask, tuple(feats[name].shape[-2:])))
        target = gram_matrix(style_feats[name])[0]
        total += weight * float((grams[0] - target).pow(2).sum() / target.pow(2).sum())
    return total


def test_each_half_takes_its_own_style(oxford):
    photo, stripes, squares = make_photo(*SIZE), make_painting(), checker()
    params = StyleParams(
        size=64,
        steps=60,
        regions=(RegionSetting("red", style=(1, 0)), RegionSetting("blue", style=(0, 1))),
        outside_regions="photo",
    )
    engine = StyleTransfer(photo, [stripes, squares], params, masks=RegionMasks((half(True), half(False))))
    list(engine.run())
    picture = engine.result()
    net = FeatureExtractor(oxford, "conv5_1")
    left_own, left_other = (
        style_error(net, picture, half(True), stripes),
        style_error(net, picture, half(True), squares),
    )
    right_own = style_error(net, picture, half(False), squares)
    right_other = style_error(net, picture, half(False), stripes)
    assert left_own < 0.5 * left_other, (left_own, left_other)
    assert right_own < 0.5 * right_other, (right_own, right_other)


def _content_error(net: FeatureExtractor, picture: Image.Image, photo: Image.Image, where: Image.Image) -> float:
    """The content term (conv4_2) over the part ``where`` covers."""
    got, want = net(to_tensor(picture), {"conv4_2"})["conv4_2"], net(to_tensor(photo), {"conv4_2"})["conv4_2"]
    mask = torch.from_numpy(np.asarray(where, np.float32) / 255)[None, None]
    weight = torch.nn.functional.adaptive_avg_pool2d(mask, got.shape[-2:])
    return float(((got - want).pow(2) * weight).sum() / (want.pow(2) * weight).sum())


def test_a_photo_only_region_stays_the_photo(oxford):
    photo, painting = make_photo(*SIZE), make_painting()
    base = StyleParams(size=64, steps=40)
    plain = StyleTransfer(photo, painting, base)
    list(plain.run())
    regions = base.replace(regions=(RegionSetting("red", photo_only=True),))
    kept = StyleTransfer(photo, painting, regions, masks=RegionMasks((half(True),)))
    list(kept.run())
    net = FeatureExtractor(oxford, "conv4_2")
    inside_kept = _content_error(net, kept.result(), photo, half(True))
    inside_plain = _content_error(net, plain.result(), photo, half(True))
    styled_side = _content_error(net, kept.result(), photo, half(False))
    # The unstyled photo's own error is 0: the kept half stays far nearer it than a styled half does.
    assert inside_kept < 0.25 * inside_plain, (inside_kept, inside_plain)
    assert inside_kept < 0.25 * styled_side, (inside_kept, styled_side)


def test_a_pixel_held_by_half_moves_half_as_far_from_the_photo_as_the_styled_picture():
    """Issue 29: where two soft brush strokes met, a partly held dip showed one-pixel green and magenta lines.

    The network judged the blend with the photo, so the style term drove the
    painted picture 1 / (1 - h) times as far as its share to make the blend
    look painted. A mask of 0.5 everywhere is that dip over the whole picture.
    """
    photo, painting = make_photo(*SIZE), make_painting()
    base = StyleParams(size=64, steps=40)
    plain = StyleTransfer(photo, painting, base)
    list(plain.run())
    halfway = Image.new("L", SIZE, 128)
    held = StyleTransfer(
        photo, painting, base.replace(regions=(RegionSetting("red", photo_only=True),)), masks=RegionMasks((halfway,))
    )
    list(held.run())
    original = np.asarray(photo, np.float32)
    styled = np.abs(np.asarray(plain.result(), np.float32) - original).max(-1)
    kept = np.abs(np.asarray(held.result(), np.float32) - original).max(-1)
    share = 1 - 128 / 255
    # Not pixel for pixel (the two runs paint different strokes), but overall and in the most moved pixels.
    assert kept.mean() < 1.3 * share * styled.mean(), (kept.mean(), share * styled.mean())
    assert np.quantile(kept, 0.95) < 1.3 * share * np.quantile(styled, 0.95)


def test_one_region_over_everything_is_the_plain_style_term(oxford):
    photo, painting = to_tensor(make_photo(*SIZE)), to_tensor(make_painting())
    net = FeatureExtractor(oxford, "conv5_1")
    picture = photo + 0.05 * torch.randn_like(photo)
    plain = Objective(net, photo, painting, StyleParams())
    full = torch.ones((1, *photo.shape[-2:]))
    for params in (
        StyleParams(regions=(RegionSetting("red"),)),  # the region covers everything
        StyleParams(regions=(RegionSetting("red"),), outside_regions="style"),
    ):
        masks = full if params.outside_regions == "photo" else torch.zeros_like(full)
        guided = Objective(net, photo, painting, params, masks=masks)
        torch.testing.assert_close(guided(picture)[1], plain(picture)[1], rtol=1e-4, atol=1e-6)


def test_guides_share_every_pixel_and_the_rest_is_outside():
    a = torch.tensor([[1.0, 0.5, 0.0, 0.8]])
    b = torch.tensor([[1.0, 0.5, 0.0, 0.0]])
    guides = normalise_guides(torch.stack([a, b]), outside=True)
    torch.testing.assert_close(guides.sum(0), torch.ones_like(a))
    torch.testing.assert_close(guides[:, 0, 0], torch.tensor([0.5, 0.5, 0.0]))  # an overlap is shared
    torch.testing.assert_close(guides[:, 0, 2], torch.tensor([0.0, 0.0, 1.0]))  # nothing painted: outside


def test_a_mask_edit_reaches_the_very_next_step(photo, painting):
    params = StyleParams(size=48, steps=40, stop_early=False, regions=(RegionSetting("red"),), outside_regions="photo")
    engine = StyleTransfer(photo, painting, params, masks=RegionMasks((half(True).resize(photo.size),)))
    run = engine.run()
    assert next(run).losses.style > 0
    engine.update(masks=RegionMasks((Image.new("L", photo.size, 0),)))  # the artist erases the region
    assert next(run).losses.style == 0
    engine.update(masks=RegionMasks((Image.new("L", photo.size, 255),)))  # and fills the whole picture
    assert next(run).losses.style > 0
    engine.update(params.replace(regions=(RegionSetting("red", photo_only=True),)))  # then makes it the photo
    assert next(run).losses.style == 0
    engine.cancel()


def test_a_region_can_take_its_style_from_part_of_the_painting(oxford):
    """Gatys et al. 2017's matching of regions: the left of the photo from the right of the painting."""
    stripes, squares = np.asarray(make_painting(56, 56)), np.asarray(checker(56))
    painting = Image.fromarray(np.concatenate([stripes, squares], axis=1))  # stripes left, squares right
    right_of_painting = np.zeros((56, 112), np.uint8)
    right_of_painting[:, 56:] = 255
    params = StyleParams(size=64, steps=50, trim_frame=False, regions=(RegionSetting("red"),), outside_regions="photo")
    masks = RegionMasks((half(True),), (Image.fromarray(right_of_painting, "L"),))
    engine = StyleTransfer(make_photo(*SIZE), painting, params, masks=masks)
    list(engine.run())
    net = FeatureExtractor(oxford, "conv5_1")
    picture = engine.result()
    to_squares = style_error(net, picture, half(True), checker(56))
    to_stripes = style_error(net, picture, half(True), make_painting(56, 56))
    assert to_squares < 0.5 * to_stripes, (to_squares, to_stripes)


# -- the guided Gram's two rules (engine.objective.guided_gram) -------------------------------------
# Each rule was once changed in a copy of the code with every test still passing; each test here fails
# when its rule is broken. Rule 1: a pixel's weight in a region's Gram is its guide t, not the paper's t^2
# (with t^2 a soft edge shows a strip of photo where two regions fade into each other). Rule 2: a region's
# Gram is divided by its guide's mass, sum_p t(p), not by the picture's pixel count (which would shrink a
# region's Gram by its area share, so that no picture could match its painting's style there).


def _features(channels: int = 4, height: int = 6, width: int = 8) -> torch.Tensor:
    """(1, C, h, w) positive features (like ReLU outputs), the same every run."""
    return torch.rand(1, channels, height, width, generator=torch.Generator().manual_seed(0))


def _weighted_gram(features: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """sum_p weight(p) f_p f_p^T / sum_p weight(p), written out for (1, C, h, w) features and an (h, w) weight."""
    flat = features[0].flatten(1)
    w = weight.flatten()
    return (flat * w) @ flat.T / w.sum()


def _ramp(height: int, width: int) -> torch.Tensor:
    """A (1, H, W) mask fading from 0 on the left to 1 on the right: a soft edge as wide as the picture."""
    return torch.linspace(0, 1, width).expand(1, height, width).clone()


def test_a_soft_guide_weighs_each_position_by_t_not_t_squared():
    """Rule 1, directly: the guided Gram is the t-weighted mean of f f^T, t the mask averaged down to the layer."""
    features = _features()
    mask = _ramp(12, 16)  # the canvas is twice the layer's size: the guide is averaged over 2 x 2 pixels
    t = mask.reshape(6, 2, 8, 2).mean((1, 3))
    grams, mass = guided_grams(features, guide_at(mask, (6, 8)))
    torch.testing.assert_close(
        grams[0], _weighted_gram(features, t), msg=lambda m: f"the guided Gram is not weighted by t: {m}"
    )
    torch.testing.assert_close(mass[0], t.sum(), msg=lambda m: f"the guide's mass is not sum t: {m}")
    # The data tell the two rules apart: weighted by t^2 the Gram is far from this one.
    assert float((grams[0] - _weighted_gram(features, t**2)).abs().max()) > 1e-2


def test_two_regions_fading_into_each_other_give_every_pixel_its_full_weight():
    """Rule 1 as the seam it prevents: where t_a + t_b = 1, the two regions' Grams, weighted by their masses,
    add up to the whole picture's Gram, and their area shares to 1, in the fade as much as inside.

    With t^2 the middle of the fade would count t_a^2 + t_b^2 = 1/2: half the style of either side.
    """
    features = _features()
    fade = _ramp(6, 8)
    guides = normalise_guides(torch.cat([fade, 1 - fade]), outside=False)
    grams, mass = guided_grams(features, guide_at(guides, (6, 8)))
    torch.testing.assert_close(
        mass.sum(), torch.tensor(48.0), msg=lambda m: f"the regions' weights do not add up to 1 at every pixel: {m}"
    )
    torch.testing.assert_close(
        (mass.view(-1, 1, 1) * grams).sum(0),
        48 * gram_matrix(features)[0],
        msg=lambda m: f"the regions' Grams do not add up to the whole picture's: {m}",
    )


def test_a_regions_gram_is_the_mean_over_the_positions_it_covers_not_over_the_picture():
    """Rule 2, directly: a hard mask over the left quarter gives exactly the Gram of that quarter's features."""
    features = _features()
    mask = torch.zeros(1, 6, 8)
    mask[..., :2] = 1.0
    grams, mass = guided_grams(features, guide_at(mask, (6, 8)))
    torch.testing.assert_close(mass[0], torch.tensor(12.0))  # the guide's mass: the 12 positions it covers
    torch.testing.assert_close(
        grams[0],
        gram_matrix(features[..., :2])[0],  # not a quarter of it
        msg=lambda m: f"the region's Gram is not the mean over the 12 positions it covers: {m}",
    )


# Shallow layers keep these fast and keep the one column where a copy of the painting meets the rest of
# the picture (the 3 x 3 convolutions see across it) from mattering much: a few thousandths of error.
SHALLOW = {"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0}


def _shallow(**regions) -> StyleParams:
    return StyleParams(style_layers=SHALLOW, content_layer="conv3_2", **regions)


def _style_term(oxford, tiled: bool, picture, paintings, params, masks, style_masks=None) -> float:
    """The style term of ``picture`` by ``Objective`` or, on 32 px tiles, by ``TiledObjective``."""
    net = FeatureExtractor(oxford, "conv3_2")
    if tiled:
        objective = TiledObjective(net, picture, paintings, params, 32, masks=masks, style_masks=style_masks)
        return float(objective.loss_and_grad(picture)[1][1])
    return float(Objective(net, picture, paintings, params, masks=masks, style_masks=style_masks)(picture)[1][1])


@pytest.mark.parametrize("tiled", [False, True], ids=["whole", "tiled"])
def test_a_half_strength_mask_over_everything_gets_half_the_plain_style_term(oxford, tiled):
    """Rule 1 in the objective: a mask of 0.5 everywhere (the outside left to the photo) weighs every pixel 0.5,
    so the region's Gram is the plain one and its term exactly half the plain term (t^2 would make it a quarter)."""
    photo, painting = to_tensor(make_photo(64, 48)), to_tensor(make_painting(48, 48))
    picture = (photo + 0.05 * torch.randn(photo.shape, generator=torch.Generator().manual_seed(2))).clamp(0, 1)
    plain = _style_term(oxford, tiled, picture, painting, _shallow(), None)
    params = _shallow(regions=(RegionSetting("red"),), outside_regions="photo")
    half_everywhere = torch.full((1, 48, 64), 0.5)
    halved = _style_term(oxford, tiled, picture, painting, params, half_everywhere)
    assert halved == pytest.approx(0.5 * plain, rel=1e-4), f"{halved / plain:.4f} of the plain style term, not 0.5"


@pytest.mark.parametrize("tiled", [False, True], ids=["whole", "tiled"])
@pytest.mark.parametrize("rest", [32, 96], ids=["half", "quarter"])
def test_a_region_that_is_a_copy_of_the_painting_has_no_style_error_whatever_its_area(oxford, tiled, rest):
    """Rule 2 in the objective: the painting pasted into the left of the picture, a region over just that part.

    Its guided Gram is the painting's own Gram, whatever share of the picture the region is; divided by the
    pixel count it would be that share of it, an error of (1 - share)^2 = 0.25 for half, 0.56 for a quarter.
    """
    painting = to_tensor(make_painting(32, 48))
    picture = torch.cat([painting, to_tensor(make_photo(rest, 48))], -1)
    mask = torch.zeros(1, 48, 32 + rest)
    mask[..., :32] = 1.0
    params = _shallow(regions=(RegionSetting("red"),), outside_regions="photo")
    style = _style_term(oxford, tiled, picture, painting, params, mask)
    share = 32 / (32 + rest)
    error = style / (share * len(SHALLOW))  # the term is sum_l w_l * share * error_l; here each w_l is 1
    assert error < 0.03, f"a copy of the painting is {error:.3f} from its style (share {share:.2f})"


@pytest.mark.parametrize("tiled", [False, True], ids=["whole", "tiled"])
def test_a_region_takes_the_style_of_its_part_of_the_painting_at_full_strength(oxford, tiled):
    """Rule 2 on the painting's side: a style mask over the left half of a painting, and a picture that is that
    half. The target is that half's Gram, not half of it, so the style error is near 0, not about 1."""
    left = to_tensor(make_painting(32, 48))
    painting = torch.cat([left, to_tensor(make_photo(32, 48))], -1)
    on_painting = torch.zeros(1, 48, 64)
    on_painting[..., :32] = 1.0
    params = _shallow(regions=(RegionSetting("red"),), outside_regions="photo")
    everywhere = torch.ones(1, 48, 32)
    style = _style_term(oxford, tiled, left, painting, params, everywhere, {0: (0, on_painting)})
    error = style / len(SHALLOW)
    assert error < 0.03, f"the painting's own left half is {error:.3f} from that half's style"


# -- masks as files ----------------------------------------------------------------------


def test_a_colour_mask_decodes_soft_edges_and_ignores_other_colours():
    row = np.array(
        [[(255, 0, 0), (128, 0, 0), (0, 0, 0), (128, 0, 127), (0, 0, 255), (40, 200, 90)]], np.uint8
    )  # red, half red, none, red fading to blue, blue, an unlisted green
    red, blue = masks_from_colour_image(Image.fromarray(row), ["red", "blue"])
    red, blue = np.asarray(red) / 255, np.asarray(blue) / 255
    np.testing.assert_allclose(red[0], [1, 0.5, 0, 0.5, 0, 0], atol=0.01)
    np.testing.assert_allclose(blue[0], [0, 0, 0, 0.5, 1, 0], atol=0.01)


def test_transparency_is_no_region_and_export_reads_back():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:2, :, 3] = 255  # top half opaque red, bottom half transparent red
    (red,) = masks_from_colour_image(Image.fromarray(rgba, "RGBA"), ["red"])
    assert np.asarray(red)[:2].min() == 255 and np.asarray(red)[2:].max() == 0
    soft = Image.fromarray(np.tile(np.linspace(0, 255, 16).astype(np.uint8), (4, 1)), "L")
    exported = colour_image_from_masks([soft, Image.eval(soft, lambda v: 255 - v)], ["red", "#0080ff"])
    back = masks_from_colour_image(exported, ["red", "#0080ff"])
    np.testing.assert_allclose(np.asarray(back[0], float), np.asarray(soft, float), atol=2)


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (Image.new("RGB", (64, 48)), "empty"),
        (Image.new("RGB", (64, 48), "blue"), "no red pixels"),
    ],
)
def test_an_unusable_colour_mask_says_why(mask, message):
    with pytest.raises(RegionError, match=message):
        masks_from_colour_image(mask, ["red"])


def test_masks_of_another_shape_or_count_are_refused():
    masks = RegionMasks((Image.new("L", (100, 20)),))
    with pytest.raises(RegionError, match=r"100 x 20 px but the photo is 64 x 48 px"):
        masks.check(1, SIZE)
    with pytest.raises(RegionError, match="one mask per region"):
        masks.check(2, SIZE)
    RegionMasks((Image.new("L", (128, 96)),)).check(1, SIZE)  # a scaled copy is fine
    with pytest.raises(RegionError, match="greyscale"):
        RegionMasks((Image.new("RGB", SIZE),))


# -- settings ------------------------------------------------------------------------------


def test_presets_keep_the_region_settings_not_the_masks():
    params = StyleParams(
        regions=(RegionSetting("red", "sky", (0.0, 1.0), strength=2.0), RegionSetting("#00ff00", photo_only=True)),
        outside_regions="photo",
    )
    back = parse_preset(preset_to_json(Preset("Sky", params)))
    assert back.params == params
    assert "mask" not in preset_to_json(Preset("Sky", params)).lower()


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        ([{"colour": "mauve"}], "not a region colour"),
        ([{"colour": "red"}, {"colour": "#FF0000"}], "same colour"),
        ([{"colour": "red", "strength": 9}], "strength"),
        ([{"colour": "red", "style": [0, 0]}], "all 0"),
        ([{"colour": "red", "shape": "round"}], "unknown region field"),
        (
            [
                {"colour": c}
                for c in ["red", "green", "blue", "yellow", "cyan", "magenta", "orange", "white", "#123456"]
            ],
            "at most 8",
        ),
    ],
)
def test_bad_region_settings_say_what_is_wrong(regions, message):
    with pytest.raises(ParamsError, match=message):
        StyleParams.from_dict({"regions": regions})


# -- the command line -------------------------------------------------------------------------


def _mask_file(tmp_path, size=SIZE, colour="red"):
    mask = Image.new("RGB", size)
    mask.paste(colour, (0, 0, size[0] // 2, size[1]))
    path = tmp_path / "mask.png"
    mask.save(path)
    return path


def test_cli_paints_a_region_and_keeps_the_photo_elsewhere(tmp_path):
    photo, painting = tmp_path / "photo.png", tmp_path / "painting.png"
    make_photo(*SIZE).save(photo)
    checker().save(painting)
    out = tmp_path / "out.png"
    args = [str(photo), "--regions", str(_mask_file(tmp_path)), "--region", f"red={painting}@2", "-o", str(out)]
    assert cli.main([*args, "--size", "64", "--steps", "30", "-q"]) == 0
    result = np.asarray(Image.open(out), float)
    original = np.asarray(make_photo(*SIZE), float)
    # Nothing painted on the right: it stays the photo (outside defaults to the photo without --style).
    left, right = (np.abs(result - original)[:, s].mean() for s in (slice(0, 24), slice(40, 64)))
    assert right < 0.3 * left, (left, right)


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        ("notimage", "not an image"),
        ("wrong_size", "shape"),
        ("black", "empty"),
        ("other_colour", "no red pixels"),
    ],
)
def test_cli_explains_a_malformed_mask(tmp_path, capsys, mask, message):
    photo, painting = tmp_path / "photo.png", tmp_path / "painting.png"
    make_photo(*SIZE).save(photo)
    make_painting().save(painting)
    path = tmp_path / "mask.png"
    if mask == "notimage":
        path.write_text("not a picture")
    elif mask == "wrong_size":
        _mask_file(tmp_path, size=(90, 20))
    elif mask == "black":
        Image.new("RGB", SIZE).save(path)
    else:
        _mask_file(tmp_path, colour="blue")
    code = cli.main(
        [
            str(photo),
            "-s",
            str(painting),
            "--regions",
            str(path),
            "--region",
            "red=photo",
            "-o",
            str(tmp_path / "out.png"),
            "--size",
            "48",
            "--steps",
            "2",
            "-q",
        ]
    )
    assert code == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.png").exists()


def test_cli_says_a_presets_regions_need_a_mask_and_paints_the_whole_picture(tmp_path, capsys):
    from brushwork.engine.settings.presets import save_preset

    photo, painting = tmp_path / "photo.png", tmp_path / "painting.png"
    make_photo(*SIZE).save(photo)
    checker().save(painting)
    preset = save_preset(
        Preset("Sky", StyleParams(regions=(RegionSetting("red", photo_only=True),), outside_regions="photo")),
        tmp_path / "sky.json",
    )
    out = tmp_path / "out.png"
    code = cli.main(
        [
            str(photo),
            "-s",
            str(painting),
            "--preset",
            str(preset),
            "-o",
            str(out),
            "--size",
            "48",
            "--steps",
            "20",
            "-q",
        ]
    )
    assert code == 0
    assert "need a mask" in capsys.readouterr().err
    styled = np.abs(np.asarray(Image.open(out), float) - np.asarray(make_photo(*SIZE).resize((48, 36)), float))
    assert styled[:, :24].mean() > 10 and styled[:, 24:].mean() > 10  # styled everywhere, not held to the photo


def test_cli_reads_content_style_with_regions_and_warns_of_colours_no_region_names(tmp_path, capsys):
    photo, painting = tmp_path / "photo.png", tmp_path / "painting.png"
    make_photo(*SIZE).save(photo)
    checker().save(painting)
    mask = Image.new("RGB", SIZE)
    mask.paste("red", (0, 0, 20, 48))
    mask.paste("blue", (40, 0, 64, 48))
    mask.save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    code = cli.main(
        [
            str(photo),
            str(painting),
            "--regions",
            str(tmp_path / "mask.png"),
            "--region",
            "red=photo",
            "-o",
            str(out),
            "--size",
            "48",
            "--steps",
            "4",
            "-q",
        ]
    )
    assert code == 0 and out.exists()  # CONTENT STYLE, as the first usage line, with regions
    assert "holds blue, which no --region names" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "red=photo"], "--region maps the colours of a mask"),
        (["--regions", "MASK", "--region", "red=painting.png@abc"], "strength after @ must be a number"),
    ],
)
def test_cli_region_mistakes_get_their_own_message(tmp_path, capsys, args, message):
    photo = tmp_path / "photo.png"
    make_photo(*SIZE).save(photo)
    make_painting().save(tmp_path / "painting.png")
    args = [
        a.replace("MASK", str(_mask_file(tmp_path))).replace("painting.png", str(tmp_path / "painting.png"))
        for a in args
    ]
    with pytest.raises(SystemExit) if message.startswith("--region maps") else contextlib.nullcontext():
        code = cli.main([str(photo), *args, "-o", str(tmp_path / "out.png"), "-q"])
        assert code == 1
    assert message in capsys.readouterr().err


def test_a_region_run_takes_no_wild_step():
    """A soft region from a photo start: L-BFGS once stepped from a total of 16 to 4e8 here.

    The first curvature pairs of a photo start are flat or negative; without
    Powell's damping (engine.optimisers.lbfgs) a pair of tiny curvature threw the next
    step 150 pixel values along it, and the artist saw one frame of noise.
    """
    from PIL import ImageFilter

    photo, painting = make_photo(192, 144), make_painting(64, 64)
    params = StyleParams(
        size=192,
        steps=40,
        stop_early=False,
        style_layers={"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6},
        content_layer="conv3_2",
        regions=(RegionSetting("red"),),
        outside_regions="style",
    )
    left = Image.new("L", photo.size)
    ImageDraw.Draw(left).rectangle((0, 0, 90, 144), fill=255)
    masks = RegionMasks(photo=(left.filter(ImageFilter.GaussianBlur(8)),))
    top = plan_stages(params.size, params.steps)[-1].first_step
    engine = StyleTransfer(photo, painting, params, start_step=top, masks=masks)
    run = engine.run()
    totals = [next(run).losses.total for _ in range(10)]
    engine.cancel()
    assert max(totals) < 2 * totals[0], totals
    assert totals[-1] < 0.7 * totals[0], totals  # and it gets somewhere
