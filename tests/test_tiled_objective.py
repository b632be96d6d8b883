"""Print size: the tiled objective is the untiled one, loss and gradient, to float rounding."""

from __future__ import annotations

import pytest
import torch

from engine.images import to_tensor
from engine.losses import tv_energy
from engine.network import FeatureExtractor
from engine.objective import Objective
from engine.params import StyleParams
from engine.tiled_objective import TiledObjective, banded_tv_energy, halo_for, plan_tiles, reach
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
    monkeypatch.setattr("engine.tiled_objective.TV_BAND", band)
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


def test_a_tiled_scale_takes_the_same_step_as_a_whole_one():
    """The engine paints a scale above ``tile`` tile by tile, and its step is the whole picture's."""
    from engine.schedule import plan_stages
    from engine.transfer import StyleTransfer

    photo, painting = make_photo(192, 144), make_painting(64, 64)
    params = StyleParams(
        size=192, steps=40, style_layers={"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6}, content_layer="conv3_2"
    )
    top = plan_stages(params.size, params.steps)[-1].first_step
    pictures = []
    for tile in (0, 64):
        engine = StyleTransfer(photo, painting, params.replace(tile=tile), start_step=top)
        run = engine.run()
        for _ in range(2):
            next(run)
        engine.cancel()
        pictures.append(engine._visible().detach())
        assert isinstance(engine._objective, TiledObjective) == bool(tile)
    assert float((pictures[0] - pictures[1]).abs().max()) < 1e-3


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
