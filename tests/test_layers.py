import torch
import torchvision
from brushwork.engine.network.layers import (
    CONV_LAYERS,
    DEFAULT_STYLE_WEIGHTS,
    KERAS_NAMES,
    TORCHVISION_INDICES,
    deepest,
    layer_channels,
    layer_index,
)


def test_sixteen_caffe_named_layers_in_forward_order():
    assert len(CONV_LAYERS) == 16
    assert CONV_LAYERS[:3] == ("conv1_1", "conv1_2", "conv2_1")
    assert CONV_LAYERS[-1] == "conv5_4"
    assert [layer_index(n) for n in CONV_LAYERS] == list(range(16))


def test_keras_names_match_the_oxford_file_convention():
    assert KERAS_NAMES["conv1_1"] == "block1_conv1"
    assert KERAS_NAMES["conv4_2"] == "block4_conv2"
    assert KERAS_NAMES["conv5_4"] == "block5_conv4"


def test_torchvision_indices_point_at_its_convolutions():
    features = torchvision.models.vgg19(weights=None).features
    convs = [i for i, m in enumerate(features) if isinstance(m, torch.nn.Conv2d)]
    assert [TORCHVISION_INDICES[n] for n in CONV_LAYERS] == convs
    for name in CONV_LAYERS:
        assert features[TORCHVISION_INDICES[name]].out_channels == layer_channels(name)


def test_default_style_layers_are_the_papers_with_the_talks_weights():
    assert DEFAULT_STYLE_WEIGHTS == {"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6, "conv4_1": 0.4, "conv5_1": 0.3}


def test_deepest():
    assert deepest(["conv2_1", "conv4_2", "conv1_1"]) == "conv4_2"
