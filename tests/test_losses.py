import math

import pytest
import torch
from brushwork.engine.network.vgg19 import FeatureExtractor
from brushwork.engine.network.vgg_weights import VGGWeights
from brushwork.engine.objective.loss_terms import gram_matrix, inverse_energy, relative_error, tv_energy
from brushwork.engine.objective.scale_objective import Objective
from brushwork.engine.pictures.images import fit_dims, resize, to_tensor
from brushwork.engine.settings.style_params import StyleParams

from tests.conftest import make_painting, make_photo


def test_gram_matrix_by_hand():
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 1, 2)  # C=2, H*W=2
    expected = torch.tensor([[1 + 4, 3 + 8], [3 + 8, 9 + 16]]) / 2
    torch.testing.assert_close(gram_matrix(f)[0], expected)


def test_gram_matrix_is_float32_symmetric_and_size_normalised():
    f = torch.rand(1, 8, 5, 7, dtype=torch.bfloat16)
    g = gram_matrix(f)
    assert g.dtype == torch.float32 and g.shape == (1, 8, 8)
    torch.testing.assert_close(g, g.transpose(1, 2))
    assert torch.linalg.eigvalsh(g[0]).min() > -1e-4  # positive semi-definite
    # The same texture over four times the area has the same Gram.
    tiled = f.float().repeat(1, 1, 2, 2)
    torch.testing.assert_close(gram_matrix(tiled), gram_matrix(f.float()))


def test_relative_error_is_zero_for_a_match_one_for_nothing_and_scale_free():
    t = torch.rand(10, 10) + 0.1
    inv = inverse_energy(t)
    assert relative_error(t, t, inv).item() == 0
    assert relative_error(torch.zeros_like(t), t, inv).item() == pytest.approx(1.0)
    x = torch.rand(10, 10)
    a = relative_error(x, t, inv)
    b = relative_error(255 * x, 255 * t, inverse_energy(255 * t))
    assert a.item() == pytest.approx(b.item(), rel=1e-5)


def test_tv_energy():
    assert tv_energy(torch.full((1, 3, 8, 8), 0.3)).item() == 0
    ramp = torch.arange(8.0).view(1, 1, 1, 8).expand(1, 3, 8, 8) / 10
    assert tv_energy(ramp).item() == pytest.approx(0.01)  # dx = 0.1 everywhere, dy = 0


def _objective(net, content_img, style_img, side, params=None):
    dims = fit_dims(*content_img.size, side)
    content = to_tensor(resize(content_img, *dims))
    style = to_tensor(resize(style_img, *fit_dims(*style_img.size, side)))
    return Objective(net, content, style, params or StyleParams()), content


def test_objective_is_zero_when_the_picture_is_the_content_and_the_style(oxford):
    net = FeatureExtractor(oxford, "conv5_1")
    photo = make_photo(48, 48)
    objective, content = _objective(net, photo, photo, 48)
    _, terms = objective(content)
    content_term, style_term, tv, _ = terms.tolist()
    assert content_term == 0 and style_term == pytest.approx(0, abs=1e-6)
    assert tv == pytest.approx(1.0)  # relative to the content's own roughness


def test_objective_terms_barely_change_with_image_size(oxford):
    # Normalised terms for the same picture at two sizes stay close, while the
    # paper's raw sum of squares grows with the pixel count.
    net = FeatureExtractor(oxford, "conv5_1")
    photo, painting = make_photo(96, 72), make_painting(96, 96)
    values, raw = [], []
    for side in (64, 96):
        objective, content = _objective(net, photo, painting, side)
        picture = content * 0.7 + 0.2  # a change that looks the same at any size
        _, terms = objective(picture)
        values.append(terms.tolist())
        with torch.no_grad():
            f = net(picture, ["conv4_2"])["conv4_2"]
            p = net(content, ["conv4_2"])["conv4_2"]
        raw.append((f - p).pow(2).sum().item())
    for small, large in zip(values[0][:2], values[1][:2], strict=True):
        assert 0.87 < large / small < 1.15, (small, large)
    assert raw[1] / raw[0] > 1.4  # what an unnormalised content loss would do


def _scaled(weights: VGGWeights, k: float) -> VGGWeights:
    # Scaling conv1_1 and every bias by k scales every activation by k exactly
    # (ReLU and max pooling are positively homogeneous) - like the torchvision
    # weights' ~255x smaller activations.
    convs = [(w * k if i == 0 else w, b * k) for i, (w, b) in enumerate(weights.convs)]
    return VGGWeights(tuple(convs), weights.input_space, "scaled")


def test_objective_does_not_depend_on_the_activation_scale(oxford):
    photo, painting = make_photo(48, 48), make_painting(48, 48)
    picture = to_tensor(resize(make_painting(48, 48, seed=5), 48, 48))
    results = []
    for weights in (oxford, _scaled(oxford, 1 / 255)):
        objective, _ = _objective(FeatureExtractor(weights, "conv5_1"), photo, painting, 48)
        results.append(objective(picture)[1])
    torch.testing.assert_close(results[0], results[1], rtol=2e-3, atol=1e-6)


def test_weights_change_without_new_targets_and_zero_weight_layers_are_skipped(oxford):
    net = FeatureExtractor(oxford, "conv5_1")
    params = StyleParams(style_layers={"conv1_1": 1.0, "conv5_1": 0.0})
    objective, content = _objective(net, make_photo(), make_painting(), 48, params)
    assert objective.taps == {"conv1_1", "conv4_2"}
    assert objective.depth == "conv4_2"
    objective.set_weights(params.with_style_weight("conv5_1", 0.5))
    assert objective.taps == {"conv1_1", "conv4_2", "conv5_1"}
    objective.set_weights(params.replace(alpha=0.0, beta=2.0))
    assert objective.taps == {"conv1_1"}
    _, terms = objective(content)
    reported = objective.terms(terms.tolist())
    assert math.isnan(reported.content)
    assert reported.total == pytest.approx(2.0 * reported.style + 0.0)


def test_smoothness_reads_off_at_weight_zero_and_as_a_value_when_weighted(oxford):
    # A user's trial read "tv 4.53" in the status bar with the smoothing at 0: a cost the picture did not pay.
    net = FeatureExtractor(oxford, "conv5_1")
    objective, content = _objective(net, make_photo(), make_painting(), 48, StyleParams())
    noisy = content + 0.1 * torch.randn(content.shape, generator=torch.Generator().manual_seed(3))
    assert math.isnan(objective.terms(objective(noisy)[1].tolist()).tv)
    objective.set_weights(StyleParams(tv_weight=0.5))
    reported = objective.terms(objective(noisy)[1].tolist())
    assert reported.tv > 1.0  # noise is rougher than the photo: its smoothness energy is above the photo's 1


def test_gram_gradient_matches_autograd_of_the_plain_product():
    # The upstream gradient is deliberately not symmetric: the shortcut must still be exact.
    f = torch.rand(2, 5, 4, 3, generator=torch.Generator().manual_seed(1))
    weights = torch.rand(2, 5, 5, generator=torch.Generator().manual_seed(2))
    a = f.clone().requires_grad_(True)
    flat = a.reshape(2, 5, 12)
    (torch.bmm(flat, flat.transpose(1, 2)) / 12 * weights).sum().backward()
    b = f.clone().requires_grad_(True)
    (gram_matrix(b) * weights).sum().backward()
    torch.testing.assert_close(b.grad, a.grad)
