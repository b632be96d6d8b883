"""Print size: the tiled objective is the untiled one, loss and gradient, to float rounding."""

from __future__ import annotations

import pytest
import torch
from brushwork.engine.network.vgg19 import FeatureExtractor
from brushwork.engine.objective.loss_terms import tv_energy
from brushwork.engine.objective.scale_objective import Objective
from brushwork.engine.objective.tiled_objective import TiledObjective, banded_tv_energy, halo_for, plan_tiles, reach
from brushwork.engine.pictures.images import to_tensor
from brushwork.engine.run.memory_plan import LBFGS_HISTORY, MIN_TILED_HISTORY, NARROW_STORE
from brushwork.engine.settings.regions import RegionSetting
from brushwork.engine.settings.style_params import StyleParams

from tests.conftest import make_painting, make_photo


def _both(oxford, size, tile, params, offset=(0, 0)):
    photo, painting = to_tensor(make_photo(*size)), to_tensor(make_painting(64, 64))
    net = FeatureExtractor(oxford, "conv5_1")
    objective = Objective(net, photo, painting, params)
    picture = (photo + 0.1 * torch.randn_like(photo, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    whole = picture.clone().requires_grad_(True)
    total, terms = objective(whole)
    total.backward()
    tiled = TiledObjective(net, photo, painting, params, tile)
    _, t_terms, t_grad = tiled.loss_and_grad(picture, offset)
    return picture, (terms, whole.grad), (t_terms, t_grad), tiled


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize("offset", [(0, 0), (16, 48)])
def test_tiles_give_the_untiled_loss_and_gradient_shallow_layers(oxford, offset):
    params = StyleParams(
        style_layers={"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6}, content_layer="conv3_2", tv_weight=0.5
    )
    _, (terms, grad), (t_terms, t_grad), tiled = _both(oxford, (96, 80), 16, params, offset)
    assert len(tiled.tiles(offset)) >= 20 and tiled.halo == 32
    # The tiles are a real split: no tile's box is the whole picture.
    assert all((t.by1 - t.by0, t.bx1 - t.bx0) != (80, 96) for t in tiled.tiles(offset))
    assert _relative(t_terms, terms) < 1e-4
    assert _relative(t_grad, grad) < 1e-3


def test_tiles_give_the_untiled_loss_and_gradient_default_layers(oxford):
    _, (terms, grad), (t_terms, t_grad), tiled = _both(oxford, (288, 224), 144, StyleParams())
    assert tiled.halo == halo_for(["conv5_1"]) == 96
    assert any(t.bx1 - t.bx0 < 288 for t in tiled.tiles())
    assert _relative(t_terms, terms) < 1e-4
    assert _relative(t_grad, grad) < 1e-3


@pytest.mark.parametrize("outside", ["style", "photo"])
def test_regions_tiled_give_the_untiled_loss_and_gradient(oxford, outside):
    """Guided Grams are weighted sums over positions too: soft masks, two paintings, a mask on one of them."""
    width, height = 96, 80
    photo = to_tensor(make_photo(width, height))
    paintings = [to_tensor(make_painting(64, 64)), to_tensor(make_painting(48, 64, seed=3))]
    y, x = torch.meshgrid(torch.arange(height) / height, torch.arange(width) / width, indexing="ij")
    masks = torch.stack([
        (1.5 - 3 * x).clamp(0, 1),  # the left third, fading out
        ((x - 0.7) ** 2 + (y - 0.5) ** 2 < 0.05).float(),  # a disc on the right
        ((y - 0.85).abs() < 0.1).float() * 0.7,  # a band at the bottom, held to the photo, overlapping
    ])  # fmt: skip
    on_painting = torch.zeros(1, 64, 48)
    on_painting[:, :32] = 1.0  # the disc takes its style from the top half of the second painting
    params = StyleParams(
        style_layers={"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6},
        content_layer="conv3_2",
        regions=(
            RegionSetting("red", style=(1, 0), strength=2.0),
            RegionSetting("blue", style=(0, 1)),
            RegionSetting("green", photo_only=True),
        ),
        outside_regions=outside,
    )
    net = FeatureExtractor(oxford, "conv5_1")
    picture = (photo + 0.1 * torch.randn_like(photo, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    style_masks = {1: (1, on_painting)}
    whole = picture.clone().requires_grad_(True)
    objective = Objective(net, photo, paintings, params, masks=masks, style_masks=style_masks)
    total, terms = objective(whole)
    total.backward()
    tiled = TiledObjective(net, photo, paintings, params, 16, masks=masks, style_masks=style_masks)
    _, t_terms, t_grad = tiled.loss_and_grad(picture, (16, 48))
    assert tiled._regions is not None and len(tiled.tiles((16, 48))) >= 20
    assert _relative(t_terms, terms) < 1e-4
    assert _relative(t_grad, whole.grad) < 1e-3
    # The region terms matter: without them the style term would differ.
    plain = TiledObjective(net, photo, paintings, params.replace(regions=()), 16)
    assert _relative(plain.loss_and_grad(picture)[1], terms) > 1e-2


def test_a_halo_narrower_than_the_reach_is_not_exact(oxford):
    """The halo is needed: without it the tiles' own padding shows in the gradient."""
    params = StyleParams(style_layers={"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6}, content_layer="conv3_2")
    picture, (_, grad), _, tiled = _both(oxford, (96, 80), 16, params)
    tiled.halo = 0
    _, _, t_grad = tiled.loss_and_grad(picture)
    assert _relative(t_grad, grad) > 1e-2


@pytest.mark.parametrize("band", [1, 5, 23, 256])
def test_the_smoothness_term_in_bands_is_the_whole_one(monkeypatch, band):
    # 23 rows: bands of 5 leave a last band of 3; a band of 23 or more is the whole picture.
    monkeypatch.setattr("brushwork.engine.objective.tiled_objective.TV_BAND", band)
    picture = torch.rand(1, 3, 23, 17, generator=torch.Generator().manual_seed(2))
    whole = picture.clone().requires_grad_(True)
    energy = tv_energy(whole)
    (2.5 * energy).backward()
    grad = torch.full_like(picture, 1.0)  # the banded term adds to what is there
    banded = banded_tv_energy(picture, grad, 2.5)
    torch.testing.assert_close(banded, energy.detach(), rtol=1e-6, atol=0)
    torch.testing.assert_close(grad - 1.0, whole.grad, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(banded_tv_energy(picture), energy.detach(), rtol=1e-6, atol=0)


def test_tiles_cover_each_pixel_once_and_start_on_the_pooling_grid():
    tiles = plan_tiles(100, 130, 32, 16, offset=(16, 48))
    covered = torch.zeros(100, 130, dtype=torch.int32)
    for t in tiles:
        covered[t.y0 : t.y1, t.x0 : t.x1] += 1
        assert t.y0 % 16 == 0 and t.x0 % 16 == 0 and t.by0 % 16 == 0 and t.bx0 % 16 == 0
    assert bool((covered == 1).all())
    assert reach("conv1_1") < reach("conv3_1") < reach("conv5_1") <= 96


@pytest.mark.parametrize("regions", [False, True])
def test_a_tiled_scale_takes_the_same_step_as_a_whole_one(regions):
    """The engine paints a scale above ``tile`` tile by tile, and its step is the whole picture's.

    With regions too: a soft-edged region on the left, and one held to the photo at the bottom.
    The first step is a gradient step, so the pictures after it must agree;
    the second step's loss is the objective at that picture, with the tile grid
    moved. Later steps use curvature pairs, which amplify float rounding (and
    the tiled optimiser keeps a narrower history, tests/test_lbfgs.py).
    """
    from brushwork.engine.run.schedule import plan_stages
    from brushwork.engine.run.style_transfer import StyleTransfer
    from brushwork.engine.settings.regions import RegionMasks
    from PIL import Image, ImageDraw, ImageFilter

    photo, painting = make_photo(192, 144), make_painting(64, 64)
    params = StyleParams(
        size=192, steps=40, style_layers={"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6}, content_layer="conv3_2"
    )
    masks = RegionMasks()
    if regions:
        left, bottom = Image.new("L", photo.size), Image.new("L", photo.size)
        ImageDraw.Draw(left).rectangle((0, 0, 90, 144), fill=255)
        ImageDraw.Draw(bottom).rectangle((0, 110, 192, 144), fill=255)
        masks = RegionMasks(photo=(left.filter(ImageFilter.GaussianBlur(8)), bottom))
        params = params.replace(
            regions=(RegionSetting("red", strength=2.0), RegionSetting("blue", photo_only=True)),
            outside_regions="style",
        )
    top = plan_stages(params.size, params.steps)[-1].first_step
    pictures, totals = [], []
    for tile in (0, 64):
        engine = StyleTransfer(photo, painting, params.replace(tile=tile), start_step=top, masks=masks)
        run = engine.run()
        next(run)
        pictures.append(engine._scale.visible().detach().clone())
        totals.append(next(run).losses.total)
        engine.cancel()
        assert isinstance(engine._scale.objective, TiledObjective) == bool(tile)
    assert float((pictures[0] - pictures[1]).abs().max()) < 1e-4
    assert abs(totals[0] - totals[1]) < 1e-4 * totals[0]


@pytest.mark.parametrize(
    ("free_gib", "history", "store"), [(None, MIN_TILED_HISTORY, NARROW_STORE), (64, LBFGS_HISTORY, torch.float32)]
)
def test_a_tiled_scale_keeps_the_curvature_pairs_its_memory_holds(monkeypatch, free_gib, history, store):
    """Memory unknown: the few narrow pairs that bound it; ample: a whole scale's full float32 history."""
    from brushwork.engine.run import scale_building
    from brushwork.engine.run import style_transfer as transfer
    from brushwork.engine.run.schedule import plan_stages

    monkeypatch.setattr(scale_building, "available_bytes", lambda device: free_gib and free_gib * 2**30)
    params = StyleParams(size=128, steps=40, tile=64, style_layers={"conv1_1": 1.0}, content_layer="conv3_2")
    top = plan_stages(params.size, params.steps)[-1].first_step
    engine = transfer.StyleTransfer(make_photo(128, 96), make_painting(64, 64), params, start_step=top)
    next(engine.run())
    engine.cancel()
    assert isinstance(engine._scale.objective, TiledObjective)
    assert (engine._scale.optimizer.history, engine._scale.optimizer.store) == (history, store)


def test_the_seam_ratio_sees_a_step_along_tile_lines_and_nothing_on_noise():
    from collections import Counter

    import numpy as np
    from PIL import Image

    from tests.benchmarks.bench_tile_parity import seam_ratio

    noise = np.random.default_rng(0).uniform(120, 136, (96, 96))  # fine grain, as a finished picture has
    lines = Counter({32: 2, 64: 1}), Counter({48: 1})
    plain = seam_ratio(Image.fromarray(noise.astype(np.uint8)), *lines)
    seamed = noise.copy()
    seamed[:, 32:] += 8  # a faint step, 8 levels of 255, at one boundary column
    seamed[48:, :] -= 8
    stepped = seam_ratio(Image.fromarray(seamed.clip(0, 255).astype(np.uint8)), *lines)
    assert 0.8 < plain < 1.2
    assert stepped > 1.5 * plain


def test_a_tiled_float16_gradient_is_loss_scaled_like_a_whole_one(oxford):
    """float16 convolutions flush a normalised loss's activation gradients to zero unless the loss is
    scaled (engine.objective.loss_scaling); a tiled step backpropagates tile by tile and must scale each."""
    from brushwork.engine.objective.loss_scaling import LossScaler

    photo, painting = to_tensor(make_photo(96, 80)), to_tensor(make_painting(64, 64))
    # Our losses are size-free, so gradients shrink with the pixel count: alpha and beta at 1/16 of the
    # defaults give this picture the gradients of one 4 times as large (as test_live_engine does).
    params = StyleParams(alpha=1 / 16, beta=10 / 16)
    picture = (photo + 0.1 * torch.randn_like(photo, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    net32 = FeatureExtractor(oxford, "conv5_1")
    net16 = FeatureExtractor(oxford, "conv5_1", dtype=torch.float16)
    reference = TiledObjective(net32, photo, painting, params, 32).loss_and_grad(picture)[2]

    whole = picture.clone().requires_grad_(True)
    LossScaler.for_dtype(torch.float16).backward(lambda: Objective(net16, photo, painting, params)(whole), whole)
    scaler = LossScaler.for_dtype(torch.float16)
    tiled16 = TiledObjective(net16, photo, painting, params, 32)
    assert len(tiled16.tiles()) == 9
    _, terms, grad = tiled16.loss_and_grad(picture, scaler=scaler)
    # Measured on an AVX-512 BF16/AMX CPU, against float32: whole 2.9 %; tiled 89 % unscaled, 2.9 % scaled
    # (float16's rounding in the forward pass, as whole).
    assert _relative(whole.grad, reference) < 0.05
    assert _relative(grad, reference) < 1.1 * _relative(whole.grad, reference)
    assert torch.isfinite(terms).all() and scaler.scale == 2.0**24
