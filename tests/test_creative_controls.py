"""Colour control, style blends, stroke scale, the layer explorer and batch rendering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from brushwork.engine.cli import main as cli
from brushwork.engine.cli import picture_run
from brushwork.engine.cli.output import picture_outputs
from brushwork.engine.cli.painting_options import build_params
from brushwork.engine.errors import BrushworkError, ParamsError
from brushwork.engine.objective.colour_transfer import ColourView, luminance, match_colors, rgb_to_yiq, yiq_to_rgb
from brushwork.engine.objective.layer_explorer import gram_heatmap, look_at_layer, map_grid
from brushwork.engine.pictures.images import to_tensor
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

from tests.conftest import make_painting, make_photo

FAST = StyleParams(size=48, steps=16)


def _hue_chroma(picture: Image.Image) -> np.ndarray:
    return rgb_to_yiq(to_tensor(picture))[0, 1:].numpy()


def test_yiq_round_trip_and_luminance():
    x = torch.rand(1, 3, 8, 8)
    torch.testing.assert_close(yiq_to_rgb(rgb_to_yiq(x)), x, atol=1e-5, rtol=0)
    grey = torch.full((1, 3, 2, 2), 0.4)
    assert torch.allclose(luminance(grey), torch.full((1, 1, 2, 2), 0.4))
    assert rgb_to_yiq(grey)[:, 1:].abs().max() < 1e-6  # grey has no chroma


def test_colour_matching_moves_mean_and_covariance():
    gen = torch.Generator().manual_seed(0)
    source = torch.rand(1, 3, 32, 32, generator=gen) * torch.tensor([0.9, 0.2, 0.3]).view(1, 3, 1, 1)
    reference = 0.3 + 0.4 * torch.rand(1, 3, 32, 32, generator=gen) * torch.tensor([0.2, 0.5, 1.0]).view(1, 3, 1, 1)
    moved = match_colors(source, reference)
    flat_m, flat_r = moved[0].reshape(3, -1), reference[0].reshape(3, -1)
    torch.testing.assert_close(flat_m.mean(1), flat_r.mean(1), atol=0.02, rtol=0)
    torch.testing.assert_close(torch.cov(flat_m), torch.cov(flat_r), atol=0.003, rtol=0)


def test_luminance_view_puts_the_photos_chroma_back():
    content = to_tensor(make_photo(32, 24))
    view = ColourView("luminance", content, 1.0)
    canvas = view.to_canvas(content)
    assert canvas.shape[1] == 1 and view.to_network(canvas).shape[1] == 3
    torch.testing.assert_close(view.to_rgb(canvas), content.clamp(0, 1), atol=2e-3, rtol=0)
    view.strength = 0.0
    assert rgb_to_yiq(view.to_rgb(canvas))[:, 1:].abs().max() < 1e-3  # no chroma: grey


def _colour_distance(picture: Image.Image, photo: Image.Image) -> float:
    """How far the picture's colour statistics (mean and covariance) are from the photo's."""
    x = to_tensor(picture)[0].flatten(1)
    t = to_tensor(photo.resize(picture.size))[0].flatten(1)
    return float((x.mean(1) - t.mean(1)).norm() + (torch.cov(x) - torch.cov(t)).norm())


@pytest.mark.parametrize("mode", ["luminance", "match"])
def test_keeping_colours_keeps_the_photos_palette(photo, painting, mode):
    plain = StyleTransfer(photo, painting, FAST)
    list(plain.run())
    kept = StyleTransfer(photo, painting, FAST.replace(keep_colors=mode))
    list(kept.run())
    far = _colour_distance(plain.current_picture(), photo)
    near = _colour_distance(kept.current_picture(), photo)
    assert near < 0.6 * far, (near, far)


def test_luminance_transfer_keeps_each_pixels_hue(photo, painting):
    # Luminance-only transfer puts the photo's own chroma back pixel by pixel.
    plain = StyleTransfer(photo, painting, FAST)
    list(plain.run())
    kept = StyleTransfer(photo, painting, FAST.replace(keep_colors="luminance"))
    list(kept.run())
    target = _hue_chroma(photo.resize(kept.current_picture().size))
    far = np.abs(_hue_chroma(plain.current_picture()) - target).mean()
    near = np.abs(_hue_chroma(kept.current_picture()) - target).mean()
    assert near < 0.3 * far, (near, far)


def test_colour_strength_changes_live_without_new_targets(photo, painting):
    engine = StyleTransfer(photo, painting, FAST.replace(keep_colors="luminance"))
    saturation = []
    for p in engine.run():
        if p.step == 8:
            objective = engine._scale.objective
            engine.update(p.params.replace(color_strength=0.0))
        saturation.append(np.abs(_hue_chroma(engine.current_picture())).mean())
    assert engine._scale.objective is objective  # only what is shown changed
    assert saturation[-1] < 0.01 < saturation[7]


def test_two_styles_blend_their_grams(photo):
    stripes, dots = make_painting(48, 48, seed=1), make_painting(48, 48, seed=7).rotate(90)
    engine = StyleTransfer(photo, [stripes, dots], FAST.replace(style_blend=(1.0, 3.0)))
    list(engine.run())
    objective = engine._scale.objective
    grams = [{name: moments.second for name, moments in s.items()} for s in objective._summaries]
    blended = objective._style["conv3_1"][0]
    torch.testing.assert_close(blended, 0.25 * grams[0]["conv3_1"] + 0.75 * grams[1]["conv3_1"])


def test_blend_weights_change_live_and_only_remix(photo):
    styles = [make_painting(48, 48, seed=1), make_painting(48, 48, seed=7)]
    engine = StyleTransfer(photo, styles, FAST.replace(style_blend=(1.0, 0.0)))
    for p in engine.run():
        if p.step == 4:
            grams = engine._scale.objective._summaries
            engine.update(p.params.replace(style_blend=(0.0, 1.0)))
    assert engine._scale.objective._summaries is grams  # no new style targets, just a new mix
    torch.testing.assert_close(engine._scale.objective._style["conv2_1"][0], grams[1]["conv2_1"].second)


def test_stroke_scale_resizes_the_style_and_rebuilds_only_the_style_targets(photo, painting, monkeypatch):
    from brushwork.engine.run.scale_building import ScaleBuilder

    engine = StyleTransfer(photo, painting, FAST)
    sizes = []
    real = ScaleBuilder._style_tensors

    def spy(self, styles, boxes, style_dims, *rest, **kw):
        sizes.append(style_dims[0])
        return real(self, styles, boxes, style_dims, *rest, **kw)

    monkeypatch.setattr(ScaleBuilder, "_style_tensors", spy)
    for p in engine.run():
        if p.step == 4:
            content_target = engine._scale.objective._content[0]
            engine.update(p.params.replace(style_scale=2.0))
        if p.step == 10:
            engine.update(p.params.replace(style_scale=0.5))
    assert sizes == [(48, 48), (96, 96), (32, 32)]  # 0.5 x 48 is below the 32 px floor
    assert engine._scale.objective._content[0] is content_target  # the content targets stayed


def _style_grams(photo, painting, **changes) -> dict:
    engine = StyleTransfer(photo, painting, FAST.replace(steps=1, **changes))
    list(engine.run())
    return {name: moments.second for name, moments in engine._scale.objective._summaries[0].items()}


def test_the_paintings_frame_is_left_out_of_its_style(photo):
    inner = make_painting(94, 94)
    framed = Image.new("RGB", (100, 100), (0, 0, 0))  # a 3 px black frame: 3 % of each side
    framed.paste(inner, (3, 3))
    trimmed = _style_grams(photo, framed)
    whole = _style_grams(photo, framed, trim_frame=False)
    reference = _style_grams(photo, inner, trim_frame=False)
    for layer in ("conv1_1", "conv3_1", "conv5_1"):
        torch.testing.assert_close(trimmed[layer], reference[layer])
        assert not torch.allclose(whole[layer], reference[layer], rtol=0.02, atol=0)


def test_inner_box_keeps_at_least_32_px():
    from brushwork.engine.pictures.images import inner_box

    assert inner_box(752, 600, 0.03) == (23, 18, 729, 582)
    assert inner_box(34, 200, 0.03) == (1, 6, 33, 194)
    assert inner_box(200, 100, 0.0) == (0, 0, 200, 100)


def test_new_params_validate():
    with pytest.raises(ParamsError, match="keep_colors"):
        StyleParams(keep_colors="sepia")
    with pytest.raises(ParamsError, match="color_strength"):
        StyleParams(color_strength=1.5)
    with pytest.raises(ParamsError, match="style_scale"):
        StyleParams(style_scale=3.0)
    with pytest.raises(ParamsError, match=r"style_blend\[1\]"):
        StyleParams(style_blend=(1.0, -1.0))
    assert StyleParams(style_blend=(0, 0)).blend_weights(2) == [0.5, 0.5]
    assert StyleParams(style_blend=(3,)).blend_weights(2) == [0.75, 0.25]


def test_layer_explorer_sees_edges_early_and_parts_late(photo):
    early = look_at_layer(photo, "conv1_1", side=64)
    late = look_at_layer(photo, "conv5_1", side=64, count=16)
    assert early.channels == 64 and early.maps.shape == (64, 48, 64) and early.maps.dtype == np.uint8
    assert late.channels == 512 and late.maps.shape == (16, 3, 4)
    assert early.gram.shape == (64, 64) and np.allclose(early.gram, early.gram.T, atol=1e-3)
    # Maps are ordered by activity, and each uses its full range.
    assert list(early.energy[list(early.map_channels)]) == sorted(early.energy[list(early.map_channels)], reverse=True)
    assert early.maps[0].min() == 0 and early.maps[0].max() == 255
    grid, heat = map_grid(early), gram_heatmap(early, 128)
    assert grid.size == (8 * 64 + 7 * 2, 8 * 48 + 7 * 2) and heat.size == (128, 128)


def test_batch_renders_every_matching_photo(tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        make_photo(48 + 8 * i, 40).save(photos / f"p{i}.png")
    (photos / "notes.txt").write_text("not a photo")
    style = tmp_path / "style.png"
    make_painting().save(style)
    out = tmp_path / "out"
    code = cli.main([str(photos / "*.png"), "--style", str(style), "-o", str(out), "--size", "32", "--steps", "2"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png", "p2.png"]
    err = capsys.readouterr().err
    assert "[3/3] p2.png" in err and "batch: 3 of 3 pictures" in err


def test_batch_keeps_going_past_a_bad_file_and_reports_it(tmp_path, capsys):
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    make_photo().save(good)
    bad.write_text("nope")
    style = tmp_path / "style.png"
    make_painting().save(style)
    pattern = str(tmp_path / "new" / "{name}_styled.jpg")  # a folder that does not exist yet
    code = cli.main([str(bad), str(good), "-s", str(style), "-o", pattern, "--size", "32", "--steps", "2"])
    assert code == 1
    assert (tmp_path / "new" / "good_styled.jpg").exists() and not (tmp_path / "new" / "bad_styled.jpg").exists()
    err = capsys.readouterr().err
    assert "error: [1/2] bad.png is not an image" in err and "batch: 1 of 2 pictures" in err


def test_an_output_that_cannot_be_written_is_refused_before_painting(tmp_path, capsys, monkeypatch):
    content, style = tmp_path / "c.png", tmp_path / "s.png"
    make_photo().save(content)
    make_painting().save(style)
    painted = []
    monkeypatch.setattr(picture_run, "_render_one", lambda *args: painted.append(args))
    # A folder that exists but takes no new files, even for root (os.access says yes there).
    locked = Path("/proc") if Path("/proc/self").exists() else None
    if locked is not None:
        assert cli.main([str(content), str(style), "-o", str(locked / "o.png"), "-q"]) == 1
        assert "the folder is not writable" in capsys.readouterr().err
    assert cli.main([str(content), str(style), "-o", str(tmp_path / "o.gif"), "-q"]) == 1
    assert "use a .png, .jpg, .jpeg, .tif or .tiff" in capsys.readouterr().err
    if locked is not None:  # nor a time-lapse
        out = ["-o", str(tmp_path / "o.png"), "--timelapse", str(locked / "run.mp4"), "-q"]
        assert cli.main([str(content), str(style), *out]) == 1
        assert "the folder is not writable" in capsys.readouterr().err
    assert cli.main([str(content), str(style), "-o", str(tmp_path / "o.png"), "--timelapse-fps", "30", "-q"]) == 1
    assert "--timelapse-fps sets the time-lapse" in capsys.readouterr().err
    assert not painted  # nothing was painted only to be thrown away


def test_cli_blends_styles_and_keeps_colours(tmp_path):
    content = tmp_path / "c.png"
    make_photo().save(content)
    styles = []
    for i in range(2):
        styles.append(tmp_path / f"s{i}.png")
        make_painting(seed=i).save(styles[-1])
    out = tmp_path / "o.png"
    args = [str(content), "-s", *map(str, styles), "--blend", "1", "2", "--keep-colors", "match", "--style-scale",
            "0.5", "--color-strength", "0.7", "--no-stop-early", "-o", str(out), "--size", "32", "--steps", "2",
            "-q"]  # fmt: skip
    assert cli.main(args) == 0 and out.exists()
    parser = cli._parser()
    params = build_params(parser.parse_args(args))
    assert (params.style_blend, params.keep_colors, params.style_scale) == ((1.0, 2.0), "match", 0.5)
    assert (params.color_strength, params.stop_early, params.clean_edges) == (0.7, False, True)


def test_a_glob_that_finds_one_photo_is_still_a_batch_into_a_folder(tmp_path):
    photo = tmp_path / "photos" / "cat.jpg"
    assert picture_outputs([photo], str(tmp_path / "out") + "/", batch=True) == [tmp_path / "out" / "cat.png"]
    assert picture_outputs([photo], str(tmp_path / "out2"), batch=True) == [tmp_path / "out2" / "cat.png"]
    assert (tmp_path / "out2").is_dir()  # made before painting
    assert picture_outputs([photo], str(tmp_path / "one.png"), batch=True) == [tmp_path / "one.png"]
    with pytest.raises(BrushworkError, match=r"use a \.png"):  # one photo named plainly: a file name is needed
        picture_outputs([photo], str(tmp_path / "out3"))


def test_batch_outputs_never_collide(tmp_path):
    with pytest.raises(BrushworkError, match="same file"):
        picture_outputs([tmp_path / "a" / "x.png", tmp_path / "b" / "x.png"], str(tmp_path / "out"))
    with pytest.raises(BrushworkError, match="need a folder"):
        picture_outputs([tmp_path / "a.png", tmp_path / "b.png"], str(tmp_path / "out.png"))
