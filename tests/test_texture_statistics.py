"""Issue 30, item 1: the texture statistic (gram, w2, sliced), each against a direct computation, tiled against
whole, with regions, blends, a change mid-run, presets and the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from brushwork.engine.cli import main as cli
from brushwork.engine.cli.painting_options import build_params
from brushwork.engine.errors import PresetError
from brushwork.engine.network.vgg19 import FeatureExtractor
from brushwork.engine.objective.scale_objective import Objective
from brushwork.engine.objective.texture_statistics import (
    STYLE_SCALE,
    W2_EPS,
    GramStatistic,
    SlicedStatistic,
    W2Statistic,
    quantile_table,
)
from brushwork.engine.objective.tiled_objective import TiledObjective
from brushwork.engine.pictures import images
from brushwork.engine.run.memory_plan import peak_bytes
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.presets import Preset, parse_preset, preset_to_json
from brushwork.engine.settings.regions import RegionSetting
from brushwork.engine.settings.style_params import StyleParams

from tests.conftest import make_painting, make_photo

STATISTICS = ("gram", "w2", "sliced")
SHALLOW = {"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6}


def _features(oxford, layer: str, image, side: int, noise: float = 0.0) -> torch.Tensor:
    net = FeatureExtractor(oxford, layer)
    tensor = images.to_tensor(images.resize(image, *images.fit_dims(*image.size, side)))
    if noise:
        # The photo's flat shapes give many positions the very same features: ties, whose order a sort
        # may choose either way (the loss is the same, each position's share of the gradient is not).
        tensor = (tensor + noise * torch.randn_like(tensor, generator=torch.Generator().manual_seed(4))).clamp(0, 1)
    with torch.no_grad():
        return net(tensor, {layer})[layer].float()


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


# -- each statistic against a direct computation -----------------------------------------------------------


def _w2_reference(picture: torch.Tensor, painting: torch.Tensor) -> torch.Tensor:
    """The normalised W2 term in float64, every square root by an eigendecomposition (differentiable)."""

    def sqrtm(m: torch.Tensor) -> torch.Tensor:
        values, vectors = torch.linalg.eigh(m)
        return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T

    def stats(f: torch.Tensor):
        flat = f.reshape(f.shape[1], -1).double()
        mean = flat.mean(1)
        second = flat @ flat.T / flat.shape[1]
        return mean, second - torch.outer(mean, mean), second

    mean, cov, _ = stats(picture)
    mean_t, cov_t, second_t = stats(painting)
    c = cov.shape[0]
    eps = W2_EPS * torch.trace(cov_t).item() / c
    eye = torch.eye(c, dtype=torch.float64)
    cov, cov_t = cov + eps * eye, cov_t + eps * eye
    root = sqrtm(cov_t)
    cross = torch.trace(sqrtm(root @ cov @ root))
    distance = (mean - mean_t).pow(2).sum() + torch.trace(cov) + torch.trace(cov_t) - 2 * cross
    return STYLE_SCALE["w2"] * distance / torch.trace(second_t)


@pytest.mark.parametrize("layer", ["conv1_1", "conv2_1"])
def test_w2_loss_and_gradient_match_an_eigendecomposition_reference(oxford, layer):
    painting = _features(oxford, layer, make_painting(64, 64), 64)
    picture = _features(oxford, layer, make_photo(64, 48), 64)
    statistic = W2Statistic()
    target = statistic.target(layer, statistic.summary(layer, painting))
    ours = picture.clone().requires_grad_(True)
    loss = statistic.errors(layer, ours, None, [target])[0]
    loss.backward()
    reference_input = picture.double().requires_grad_(True)
    reference = _w2_reference(reference_input, painting)
    reference.backward()
    assert 0.05 < reference.item() < 5  # a real difference, not a match
    assert loss.item() == pytest.approx(reference.item(), rel=1e-4)
    assert _relative(ours.grad.double(), reference_input.grad) < 1e-3
    # A match is 0, whatever the eps.
    assert statistic.errors(layer, painting, None, [target])[0].item() == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize(("painting_side", "layer"), [(64, "conv1_1"), (48, "conv1_1"), (80, "conv2_1")])
def test_sliced_loss_and_gradient_match_a_direct_sort(oxford, painting_side, layer):
    """Same size: sorted against sorted. Another size: the target's sorted values interpolated to the
    picture's levels (i + 1/2) / N, as in numpy's interp."""
    painting = _features(oxford, layer, make_painting(painting_side, painting_side), painting_side)
    picture = _features(oxford, layer, make_photo(64, 64), 64, noise=0.05)
    statistic = SlicedStatistic(seed=5)
    target = statistic.target(layer, statistic.summary(layer, painting))
    ours = picture.clone().requires_grad_(True)
    loss = statistic.errors(layer, ours, None, [target])[0]
    loss.backward()

    directions = statistic.directions(layer, picture.shape[1], picture.device).double()
    assert torch.allclose(directions.T @ directions, torch.eye(len(directions), dtype=torch.float64), atol=1e-5)
    reference_input = picture.double().requires_grad_(True)
    projected = directions.T @ reference_input.reshape(picture.shape[1], -1)
    target_sorted = (directions.T @ painting.double().reshape(painting.shape[1], -1)).sort(dim=1).values
    n, n_t = projected.shape[1], target_sorted.shape[1]
    levels = (np.arange(n) + 0.5) / n
    target_levels = (np.arange(n_t) + 0.5) / n_t
    at_levels = torch.tensor(np.stack([np.interp(levels, target_levels, row) for row in target_sorted.numpy()]))
    difference = (projected.sort(dim=1).values - at_levels).pow(2).mean()
    reference = STYLE_SCALE["sliced"] * difference / target_sorted.pow(2).mean()
    reference.backward()
    assert 0.05 < reference.item() < 5
    assert loss.item() == pytest.approx(reference.item(), rel=1e-4)
    assert _relative(ours.grad.double(), reference_input.grad) < 1e-4


def test_gram_is_still_the_papers_relative_error(oxford):
    painting = _features(oxford, "conv2_1", make_painting(64, 64), 64)
    picture = _features(oxford, "conv2_1", make_photo(64, 48), 64).requires_grad_(True)
    statistic = GramStatistic()
    target = statistic.target("conv2_1", statistic.summary("conv2_1", painting))
    loss = statistic.errors("conv2_1", picture, None, [target])[0]

    def gram(f):
        flat = f.reshape(f.shape[1], -1)
        return flat @ flat.T / flat.shape[1]

    reference = STYLE_SCALE["gram"] * (gram(picture) - gram(painting)).pow(2).sum() / gram(painting).pow(2).sum()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-5)
    (grad,) = torch.autograd.grad(loss, picture)
    (reference_grad,) = torch.autograd.grad(reference, picture)
    assert _relative(grad, reference_grad) < 1e-5


# -- tiled against whole, regions ------------------------------------------------------------------------


def _picture(photo: torch.Tensor) -> torch.Tensor:
    return (photo + 0.1 * torch.randn_like(photo, generator=torch.Generator().manual_seed(1))).clamp(0, 1)


@pytest.mark.parametrize("style_loss", STATISTICS)
def test_tiles_give_the_whole_loss_and_gradient_for_each_statistic(oxford, style_loss):
    params = StyleParams(style_layers=SHALLOW, content_layer="conv3_2", tv_weight=0.5, style_loss=style_loss)
    photo, painting = images.to_tensor(make_photo(96, 80)), images.to_tensor(make_painting(64, 64))
    net = FeatureExtractor(oxford, "conv5_1")
    picture = _picture(photo)
    whole = picture.clone().requires_grad_(True)
    total, terms = Objective(net, photo, painting, params)(whole)
    total.backward()
    tiled = TiledObjective(net, photo, painting, params, 16)
    _, t_terms, t_grad = tiled.loss_and_grad(picture, (16, 48))
    assert len(tiled.tiles((16, 48))) >= 20
    assert _relative(t_terms, terms) < 1e-4
    assert _relative(t_grad, whole.grad) < 1e-3
    # The painting's summaries are taken tile by tile too (a 64 px painting in 16 px tiles).
    assert tiled._statistic.name == style_loss


def _regions_case():
    width, height = 96, 80
    y, x = torch.meshgrid(torch.arange(height) / height, torch.arange(width) / width, indexing="ij")
    masks = torch.stack([
        (1.5 - 3 * x).clamp(0, 1),  # the left third, fading out
        ((x - 0.7) ** 2 + (y - 0.5) ** 2 < 0.05).float(),  # a disc on the right
    ])  # fmt: skip
    on_painting = torch.zeros(1, 64, 48)
    on_painting[:, :32] = 1.0  # the disc takes its style from the top half of the second painting
    regions = (RegionSetting("red", style=(1, 0), strength=2.0), RegionSetting("blue", style=(0, 1)))
    paintings = [images.to_tensor(make_painting(64, 64)), images.to_tensor(make_painting(48, 64, seed=3))]
    return images.to_tensor(make_photo(width, height)), paintings, masks, regions, {1: (1, on_painting)}


@pytest.mark.parametrize("style_loss", STATISTICS)
def test_regions_tiled_give_the_whole_loss_and_gradient_for_each_statistic(oxford, style_loss):
    photo, paintings, masks, regions, style_masks = _regions_case()
    params = StyleParams(style_layers=SHALLOW, content_layer="conv3_2", regions=regions, style_loss=style_loss)
    net = FeatureExtractor(oxford, "conv5_1")
    picture = _picture(photo)
    whole = picture.clone().requires_grad_(True)
    total, terms = Objective(net, photo, paintings, params, masks=masks, style_masks=style_masks)(whole)
    total.backward()
    tiled = TiledObjective(net, photo, paintings, params, 16, masks=masks, style_masks=style_masks)
    _, t_terms, t_grad = tiled.loss_and_grad(picture, (16, 48))
    assert tiled._regions is not None
    assert _relative(t_terms, terms) < 1e-4
    assert _relative(t_grad, whole.grad) < 1e-3
    # The regions count: without them the style term differs.
    plain = Objective(net, photo, paintings, params.replace(regions=()))
    assert _relative(plain(picture)[1], terms) > 1e-2


@pytest.mark.parametrize("style_loss", STATISTICS)
def test_one_region_over_everything_is_the_plain_term(oxford, style_loss):
    photo, paintings = images.to_tensor(make_photo(64, 48)), [images.to_tensor(make_painting(56, 56))]
    params = StyleParams(style_layers=SHALLOW, content_layer="conv3_2", style_loss=style_loss)
    net = FeatureExtractor(oxford, "conv4_2")
    picture = _picture(photo)
    plain_picture, region_picture = picture.clone().requires_grad_(True), picture.clone().requires_grad_(True)
    plain_total, plain_terms = Objective(net, photo, paintings, params)(plain_picture)
    everything = torch.ones(1, 48, 64)
    guided = params.replace(regions=(RegionSetting("red", style=(1,)),), outside_regions="photo")
    total, terms = Objective(net, photo, paintings, guided, masks=everything)(region_picture)
    plain_total.backward()
    total.backward()
    assert _relative(terms, plain_terms) < 1e-5
    assert _relative(region_picture.grad, plain_picture.grad) < 1e-4


# -- blends ----------------------------------------------------------------------------------------------


def test_a_w2_blend_matches_the_mixtures_mean_and_covariance(oxford):
    layer = "conv2_1"
    first, second = (_features(oxford, layer, make_painting(48, 48, seed=s), 48) for s in (1, 7))
    statistic = W2Statistic()
    mixed = statistic.mix([statistic.summary(layer, first), statistic.summary(layer, second)], [0.25, 0.75])
    target = statistic.target(layer, mixed)
    pooled = torch.cat([f.reshape(f.shape[1], -1) for f in (first, second)], dim=1)  # same sizes: equal counts
    weights = torch.cat([torch.full((first[0, 0].numel(),), 0.25), torch.full((second[0, 0].numel(),), 0.75)])
    weights = weights / weights.sum()
    mean = (pooled * weights).sum(1)
    cov = (pooled * weights) @ pooled.T - torch.outer(mean, mean)
    assert _relative(target.mean, mean) < 1e-5
    # Covariance = E[f f^T] - mu mu^T in float32: a few entries lose digits to the cancellation.
    assert _relative(target.cov - target.eps * torch.eye(len(cov)), cov) < 1e-4


def test_a_sliced_blend_is_the_mixtures_quantiles(oxford):
    layer = "conv1_1"
    first = _features(oxford, layer, make_painting(32, 32, seed=1), 32)
    second = _features(oxford, layer, make_painting(48, 48, seed=7), 48)
    statistic = SlicedStatistic(seed=2)
    summaries = [statistic.summary(layer, first), statistic.summary(layer, second)]
    # Weights whose sums seldom fall exactly on a level (0.25 / 0.75 put every third level on a boundary, where
    # float32 and float64 sums may pick either neighbour).
    table = statistic.mix(summaries, [0.2718, 0.7282]).table
    # Directly: every position of both paintings, each painting's weight shared by its positions.
    values = torch.cat([statistic.project(layer, first), statistic.project(layer, second)], dim=1).double().numpy()
    mass = np.concatenate([np.full(32 * 32, 0.2718 / 1024), np.full(48 * 48, 0.7282 / 2304)])
    levels = (np.arange(table.shape[1]) + 0.5) / table.shape[1]
    for k in (0, 17, 63):
        order = np.argsort(values[k], kind="stable")
        cumulative = np.cumsum(mass[order])
        expected = values[k][order][np.minimum(np.searchsorted(cumulative, levels, side="right"), len(order) - 1)]
        # float32 sums of the weights may put a level that falls on a boundary one sample over: rarely.
        off = np.abs(table[k].numpy() - expected) > 1e-5 * np.abs(expected).max()
        assert off.mean() < 0.002, off.sum()
    # A blend that gives one painting everything is that painting's target.
    torch.testing.assert_close(statistic.mix(summaries, [0.0, 1.0]).table, summaries[1].table)
    assert torch.equal(quantile_table(summaries[1].table), summaries[1].table)


@pytest.mark.parametrize("style_loss", ["w2", "sliced"])
def test_two_paintings_blend_live_with_each_statistic(style_loss):
    styles = [make_painting(48, 48, seed=1), make_painting(48, 48, seed=7)]
    params = StyleParams(size=48, steps=8, style_loss=style_loss, style_blend=(1.0, 0.0))
    engine = StyleTransfer(make_photo(), styles, params)
    losses = {}
    for p in engine.run():
        losses[p.step] = p.losses.style
        if p.step == 4:
            summaries = engine._scale.objective._summaries
            engine.update(p.params.replace(style_blend=(0.0, 1.0)))
    objective = engine._scale.objective
    assert objective._summaries is summaries  # the same summaries, mixed anew
    first = objective._style["conv2_1"]
    again = objective._statistic.target("conv2_1", summaries[1]["conv2_1"])
    torch.testing.assert_close(first[0], again[0])
    assert all(np.isfinite(v) for v in losses.values())


# -- live, presets, command line, memory ----------------------------------------------------------------------

PLAIN = StyleParams(size=64, steps=8, clean_edges=False, trim_frame=False, precision="float32")


def _style_loss(oxford, params: StyleParams, picture: torch.Tensor) -> float:
    net = FeatureExtractor(oxford, "conv5_1")
    photo, painting = make_photo(), make_painting()
    tensor = [images.to_tensor(images.resize(i, *images.fit_dims(*i.size, 64))) for i in (photo, painting)]
    with torch.no_grad():
        return Objective(net, tensor[0], tensor[1], params)(picture)[1][1].item()


@pytest.mark.parametrize("style_loss", ["w2", "sliced"])
def test_a_new_statistic_mid_run_counts_from_the_next_step(oxford, style_loss):
    engine = StyleTransfer(make_photo(), make_painting(), PLAIN)
    changed = PLAIN.replace(style_loss=style_loss)
    reported, evaluated = {}, {}
    for p in engine.run():
        reported[p.step] = p.losses.style
        evaluated[p.step] = engine._scale.picture.detach().clone()
        if p.step == 3:
            engine.update(changed)
    expected = _style_loss(oxford, changed, evaluated[3])
    assert reported[4] == pytest.approx(expected, rel=1e-4)
    assert expected != pytest.approx(_style_loss(oxford, PLAIN, evaluated[3]), rel=1e-2)
    assert engine._scale.objective._statistic.name == style_loss


def test_the_sliced_directions_follow_the_seed_mid_run(oxford):
    sliced = PLAIN.replace(style_loss="sliced")
    engine = StyleTransfer(make_photo(), make_painting(), sliced)
    reported, evaluated = {}, {}
    for p in engine.run():
        reported[p.step] = p.losses.style
        evaluated[p.step] = engine._scale.picture.detach().clone()
        if p.step == 3:
            engine.update(sliced.replace(seed=9, beta=20.0))  # a weight and the seed together
    assert reported[4] == pytest.approx(_style_loss(oxford, sliced.replace(seed=9), evaluated[3]), rel=1e-4)


def test_presets_keep_the_statistic_and_old_ones_read_as_gram():
    preset = Preset("Sliced", StyleParams(style_loss="sliced"))
    assert parse_preset(preset_to_json(preset)).params.style_loss == "sliced"
    old = {"schema_version": 4, "name": "Old", "params": {"beta": 20.0}}
    assert parse_preset(json.dumps(old)).params == StyleParams(beta=20.0, style_loss="gram")
    wrong = {"schema_version": 5, "name": "Wrong", "params": {"style_loss": "histogram"}}
    with pytest.raises(PresetError, match=r"params\.style_loss must be one of gram, w2, sliced, not 'histogram'"):
        parse_preset(json.dumps(wrong), "wrong.json")


def test_the_command_line_takes_the_statistic_and_refuses_others(capsys):
    parser = cli._parser()
    assert build_params(parser.parse_args(["a", "b", "-o", "x.png", "--style-loss", "w2"])).style_loss == "w2"
    assert build_params(parser.parse_args(["a", "b", "-o", "x.png"])).style_loss == "gram"
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["a.png", "b.png", "-o", "x.png", "--style-loss", "histogram"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'histogram'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "--style-loss {gram,w2,sliced}" in capsys.readouterr().out


def test_a_tiled_sliced_step_plans_for_its_projections():
    gram = StyleParams()
    sliced = gram.replace(style_loss="sliced")
    canvas = (2048, 1366)
    extra = peak_bytes(canvas, 512, torch.float32, sliced, 3) - peak_bytes(canvas, 512, torch.float32, gram, 3)
    # conv1_1 ... conv5_1: 64 x 4 + 128 + 64 + 32 + 8 bytes per pixel.
    assert extra == 488 * canvas[0] * canvas[1]
