"""Keep faces: each face found becomes a soft region with less style; a photo without a face is painted as before."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from brushwork.engine.cli import main as cli
from brushwork.engine.cli.region_options import regions_for_photo
from brushwork.engine.pictures import faces
from brushwork.engine.pictures.faces import KEEP_FACES_STRENGTH, face_regions, find_faces
from brushwork.engine.pictures.picture_metadata import read_preset_json
from brushwork.engine.run import style_transfer
from brushwork.engine.settings.presets import parse_preset
from brushwork.engine.settings.regions import RegionSetting
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

from tests.conftest import make_painting

# Eileen Collins, NASA's portrait as scikit-image ships it, 192 px (tests/data/PROVENANCE.md).
PORTRAIT = Path(__file__).parent / "data" / "astronaut_192.jpg"
FACE_CENTRE = (83, 46)  # between the eyes, in its pixels


def gradient(width: int = 64, height: int = 48) -> Image.Image:
    """A photo with no face: smooth colour ramps."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x / width, y / height, 0.5 + 0 * x], axis=-1)
    return Image.fromarray((rgb * 255).astype(np.uint8), "RGB")


def test_the_detector_finds_the_face_in_a_portrait_and_none_in_a_gradient():
    with Image.open(PORTRAIT) as photo:
        found = find_faces(photo)
    assert len(found) == 1
    face = found[0]
    centre = ((face.left + face.right) / 2, (face.top + face.bottom) / 2)
    assert abs(centre[0] - FACE_CENTRE[0]) < 10 and abs(centre[1] - FACE_CENTRE[1]) < 12, face
    assert 20 < face.width < 60  # a face, not the whole suit
    assert find_faces(gradient(640, 480)) == ()


def test_each_face_becomes_a_soft_region_with_the_strength_asked_in_a_free_colour():
    with Image.open(PORTRAIT) as photo:
        boxes = find_faces(photo)
    painted = (RegionSetting("red", "sky"),)
    found = face_regions(boxes, (192, 192), (96, 96), strength=0.4, taken=painted)
    assert [(r.name, r.colour, r.strength, r.face, r.photo_only) for r in found.regions] == [
        ("Face 1", "green", 0.4, True, False)
    ]
    mask = np.asarray(found.masks[0])
    assert mask.shape == (96, 96)
    cx, cy = FACE_CENTRE[0] // 2, FACE_CENTRE[1] // 2
    assert mask[cy, cx] == 255 and mask[cy + 8, cx] == 255  # the face, down to the mouth
    assert mask[cy - 12, cx] == 255  # the forehead, which the detector's box leaves out
    assert mask[90, 5] == 0 and mask[5, 5] == 0  # the rest of the picture is not the face's
    ring = mask[cy, cx:]
    assert ((ring > 0) & (ring < 255)).sum() >= 3  # a soft edge, not a cut
    # Outside "the photo", a face there stays the photo.
    assert face_regions(boxes, (192, 192), (96, 96), photo_only=True).regions[0].photo_only


def test_a_photo_without_a_face_keeps_the_settings_and_masks_it_had():
    params = StyleParams()
    assert regions_for_photo(gradient(), params, None, KEEP_FACES_STRENGTH) == (params, None)


def _render(tmp_path, photo: Path, name: str, *extra: str) -> Path:
    painting = tmp_path / "painting.png"
    if not painting.exists():
        make_painting(64, 64).save(painting)
    out = tmp_path / name
    assert cli.main([str(photo), str(painting), "-o", str(out), "--size", "64", "--steps", "20", "-q", *extra]) == 0
    return out


def test_cli_keep_faces_paints_the_face_with_less_style(tmp_path, capsys):
    plain = np.asarray(Image.open(_render(tmp_path, PORTRAIT, "plain.png")), float)
    kept_file = _render(tmp_path, PORTRAIT, "kept.png", "--keep-faces", "0")
    assert "1 face found" in capsys.readouterr().err
    kept = np.asarray(Image.open(kept_file), float)
    photo = np.asarray(Image.open(PORTRAIT).convert("RGB").resize((64, 64), Image.Resampling.LANCZOS), float)
    face = (slice(10, 21), slice(23, 33))  # around the eyes and nose at 64 px
    away = (slice(44, 64), slice(0, 64))  # the suit
    departure = {name: np.abs(picture - photo) for name, picture in (("plain", plain), ("kept", kept))}
    # Not the photo's face even at 0: at 64 px the deep layers' view of the painted rest reaches across it.
    assert departure["kept"][face].mean() < 0.75 * departure["plain"][face].mean(), {
        k: v[face].mean() for k, v in departure.items()
    }
    assert departure["kept"][away].mean() > 0.7 * departure["plain"][away].mean()  # the rest is still painted
    # The picture's settings say how it was painted: the face's region, at the strength asked.
    regions = parse_preset(read_preset_json(kept_file)).params.regions
    assert [(r.name, r.strength, r.face) for r in regions] == [("Face 1", 0.0, True)]


def test_a_dry_run_with_keep_faces_says_the_faces_it_would_keep_and_paints_nothing(tmp_path, capsys):
    painting = tmp_path / "painting.png"
    make_painting(64, 64).save(painting)
    out = tmp_path / "never.png"
    args = [str(PORTRAIT), str(painting), "-o", str(out), "--size", "64", "--keep-faces", "--dry-run"]
    assert cli.main(args) == 0
    printed = capsys.readouterr()
    assert "1 face found" in printed.err and "estimate:" in printed.out
    assert not out.exists()


def test_cli_a_photo_without_a_face_is_painted_from_exactly_what_it_is_without_the_flag(tmp_path, capsys, monkeypatch):
    given = []

    class Recorded(style_transfer.StyleTransfer):
        def __init__(self, content, styles, params, **kwargs):
            given.append((content.tobytes(), [s.tobytes() for s in styles], params, kwargs))
            super().__init__(content, styles, params, **kwargs)

    monkeypatch.setattr(style_transfer, "StyleTransfer", Recorded)
    photo = tmp_path / "gradient.png"
    gradient().save(photo)
    _render(tmp_path, photo, "plain.png")
    _render(tmp_path, photo, "kept.png", "--keep-faces")
    assert "gradient.png: no face found" in capsys.readouterr().err
    # The same photo, paintings, settings and (no) masks: the run is the one without the flag. (Two runs are not
    # compared byte for byte: the engine's own picture varies a little from run to run with this machine's load.)
    assert len(given) == 2 and given[0] == given[1]
    assert given[0][3]["masks"] is None


def test_keep_faces_takes_an_optional_strength_and_refuses_a_bad_one(capsys):
    parser = cli._parser()
    out = ["-o", "x.png"]
    assert parser.parse_args(["a", "b", *out, "--keep-faces"]).keep_faces == KEEP_FACES_STRENGTH
    assert parser.parse_args(["a", "b", *out, "--keep-faces", "0.5"]).keep_faces == 0.5
    assert parser.parse_args(["--keep-faces=0", "a", "b", *out]).keep_faces == 0.0
    assert parser.parse_args(["a", "b", *out]).keep_faces is None
    for value, message in (
        ("1.5", "from 0 (the photo's face) to 1"),
        ("-0.1", "from 0 (the photo's face) to 1"),
        ("nan", "from 0 (the photo's face) to 1"),
        ("photo.jpg", "put --keep-faces after the pictures"),
    ):
        with pytest.raises(SystemExit) as stopped:
            cli.main(["--keep-faces", value, "b.jpg", "-o", "out.png"])
        assert stopped.value.code == 2
        assert message in capsys.readouterr().err


def test_keep_faces_is_refused_for_a_clip(tmp_path, capsys):
    painting = tmp_path / "painting.png"
    make_painting().save(painting)
    code = cli.main([str(tmp_path / "clip.mp4"), str(painting), "-o", str(tmp_path / "out.mp4"), "--keep-faces"])
    assert code == 1 and "--keep-faces is for pictures, not clips" in capsys.readouterr().err


def test_without_dlib_keep_faces_says_what_to_install_before_painting(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)  # what an import of a missing package finds
    monkeypatch.setattr(faces, "_detector", None)
    out = tmp_path / "out.png"
    code = cli.main([str(PORTRAIT), str(PORTRAIT), "-o", str(out), "--keep-faces"])
    assert code == 1 and not out.exists()
    assert "--keep-faces: Keep faces needs the dlib-bin package" in capsys.readouterr().err  # once, before painting
    with pytest.raises(faces.FaceDetectorMissing, match="dlib-bin"):
        find_faces(gradient())


def test_a_picture_that_kept_faces_keeps_them_when_it_is_the_preset_of_another_run(tmp_path, capsys):
    """The user trial: repainting a portrait from its picture (--preset picture.png) dropped the face regions
    with 'the preset's regions need a mask'; they are found again in the photo, with their strength."""
    kept_file = _render(tmp_path, PORTRAIT, "kept.png", "--keep-faces", "0")
    capsys.readouterr()
    again = _render(tmp_path, PORTRAIT, "again.png", "--preset", str(kept_file))
    said = capsys.readouterr().err
    assert "the preset keeps faces" in said and "1 face found" in said and "need a mask" not in said
    regions = parse_preset(read_preset_json(again)).params.regions
    assert [(r.name, r.strength, r.face) for r in regions] == [("Face 1", 0.0, True)]


# -- A face in the picture's statistic (engine.objective.guided_gram's note on faces) --------------------------


def _face_setup(oxford, width: int = 96, height: int = 80):
    """A photo, two paintings, a soft elliptic face mask and a picture near the photo, as tensors."""
    import torch
    from brushwork.engine.network.vgg19 import FeatureExtractor
    from brushwork.engine.pictures.images import to_tensor

    from tests.conftest import make_photo

    photo = to_tensor(make_photo(width, height))
    paintings = [to_tensor(make_painting(64, 64)), to_tensor(make_painting(48, 64, seed=3))]
    y, x = torch.meshgrid(torch.arange(height) / height, torch.arange(width) / width, indexing="ij")
    distance = (((x - 0.4) / 0.25) ** 2 + ((y - 0.45) / 0.35) ** 2).sqrt()
    face = ((1.35 - distance) / 0.35).clamp(0, 1).unsqueeze(0)  # full inside, feathered to none at 1.35
    noise = torch.randn(photo.shape, generator=torch.Generator().manual_seed(1))
    picture = (photo + 0.1 * noise).clamp(0, 1)
    return FeatureExtractor(oxford, "conv5_1"), photo, paintings, face, picture


def _loss_and_grad(objective, picture):
    whole = picture.clone().requires_grad_(True)
    total, terms = objective(whole)
    total.backward()
    return terms, whole.grad


@pytest.mark.parametrize("statistic", ["gram", "w2", "sliced"])
def test_a_face_at_full_strength_is_exactly_the_plain_style_term(oxford, statistic):
    """A face counts in the picture's statistic: at strength 1 it is as if there were no face region at all.
    (As a region of its own it matched the painting by itself, a different objective.)"""
    import torch
    from brushwork.engine.objective.scale_objective import Objective

    net, photo, paintings, face, picture = _face_setup(oxford)
    plain_params = StyleParams(style_loss=statistic, style_layers={"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6})
    params = plain_params.replace(regions=(RegionSetting("red", strength=1.0, face=True),))
    terms, grad = _loss_and_grad(Objective(net, photo, paintings[0], params, masks=face), picture)
    plain_terms, plain_grad = _loss_and_grad(Objective(net, photo, paintings[0], plain_params), picture)
    torch.testing.assert_close(terms, plain_terms, rtol=1e-4, atol=1e-7)
    torch.testing.assert_close(grad, plain_grad, rtol=1e-3, atol=1e-9)
    # An ordinary region at full strength is no such thing: it matches the painting on its own.
    ordinary = params.replace(regions=(RegionSetting("red", strength=1.0),))
    assert abs(float(Objective(net, photo, paintings[0], ordinary, masks=face)(picture)[1][1] - plain_terms[1])) > 1e-4


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_a_faces_statistic_counts_it_half_way_and_its_gradient_at_its_strength(oxford, precision):
    """The Gram over the picture with the face weighted (1 + s) / 2, and a gradient whose share at each position
    is (1 - t + s t) / (1 - t + (1 + s) / 2 t): against a direct computation, at one layer. In bfloat16 too,
    where holding the gradient back must not round the features it holds."""
    import torch
    import torch.nn.functional as F
    from brushwork.engine.network.vgg19 import FeatureExtractor
    from brushwork.engine.objective.loss_terms import inverse_energy
    from brushwork.engine.objective.scale_objective import Objective
    from brushwork.engine.objective.texture_statistics import STYLE_SCALE

    net, photo, paintings, face, picture = _face_setup(oxford)
    if precision == "bfloat16":
        net = FeatureExtractor(oxford, "conv5_1", dtype=torch.bfloat16)
    strength, beta = 0.2, 10.0
    params = StyleParams(
        alpha=0.0,
        beta=beta,
        style_layers={"conv1_1": 1.0},
        regions=(RegionSetting("red", strength=strength, face=True),),
    )
    _, grad = _loss_and_grad(Objective(net, photo, paintings[0], params, masks=face), picture)
    with torch.no_grad():
        total = Objective(net, photo, paintings[0], params, masks=face)(picture)[0]

    # Directly: the painting's Gram, the weighted Gram of the picture, the loss and the held-back gradient.
    with torch.no_grad():
        style = net(paintings[0], {"conv1_1"})["conv1_1"][0].flatten(1).float()
        target = style @ style.T / style.shape[1]
    t = F.adaptive_avg_pool2d(face.unsqueeze(0), (80, 96)).flatten()
    weight = (1 - t) + (1 + strength) / 2 * t
    held = (1 - t) + strength * t
    x = picture.clone().requires_grad_(True)
    f = net(x, {"conv1_1"})["conv1_1"][0].flatten(1).float()
    gram = (f * weight) @ f.T / weight.sum()
    scale = float(inverse_energy(target)) * STYLE_SCALE["gram"]
    loss = beta * (weight.sum() / weight.numel()) * (gram - target).pow(2).sum() * scale
    assert float(total) == pytest.approx(float(loss.detach()), rel=2e-5)
    # The gradient of sum_p h_p <D, f_p f_p^T> / sum w, with D the loss's gradient in the Gram held fixed.
    upstream = torch.autograd.grad(loss, gram, retain_graph=True)[0].detach()
    surrogate = ((f * held) @ f.T / weight.sum() * upstream).sum()
    (direct,) = torch.autograd.grad(surrogate, x, retain_graph=True)
    torch.testing.assert_close(grad, direct, rtol=1e-3, atol=1e-9)
    # Not the gradient of the loss itself: the face is held back.
    (full,) = torch.autograd.grad(loss, x)
    assert float((full - grad).norm() / full.norm()) > 0.05


@pytest.mark.parametrize("statistic", ["gram", "w2", "sliced"])
def test_a_face_tiled_gives_the_untiled_loss_and_gradient(oxford, statistic):
    """A face beside an ordinary region with another painting, and the outside: tiles sum to the whole."""
    import torch
    from brushwork.engine.objective.scale_objective import Objective
    from brushwork.engine.objective.tiled_objective import TiledObjective

    net, photo, paintings, face, picture = _face_setup(oxford)
    band = torch.zeros_like(face)
    band[:, 60:] = 1.0
    params = StyleParams(
        style_loss=statistic,
        style_layers={"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6},
        content_layer="conv3_2",
        regions=(RegionSetting("red", strength=0.05, face=True), RegionSetting("blue", style=(0, 1))),
    )
    masks = torch.cat([face, band])
    terms, grad = _loss_and_grad(Objective(net, photo, paintings, params, masks=masks), picture)
    tiled = TiledObjective(net, photo, paintings, params, 16, masks=masks)
    _, t_terms, t_grad = tiled.loss_and_grad(picture, (16, 48))
    assert len(tiled.tiles((16, 48))) >= 20
    assert float((t_terms - terms).norm() / terms.norm()) < 1e-4
    assert float((t_grad - grad).norm() / grad.norm()) < 1e-3
    # The face is held back in the tiled gradient too: inside it the style moves the picture less.
    styled = params.replace(regions=(RegionSetting("red", strength=1.0, face=True), params.regions[1]))
    free = TiledObjective(net, photo, paintings, styled.replace(alpha=0.0), 16, masks=masks).loss_and_grad(picture)[2]
    held = TiledObjective(net, photo, paintings, params.replace(alpha=0.0), 16, masks=masks).loss_and_grad(picture)[2]
    inside = face[0] > 0.99
    assert float(held[..., inside].abs().mean()) < 0.5 * float(free[..., inside].abs().mean())
