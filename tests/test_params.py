import math

import pytest
from brushwork.engine.errors import ParamsError
from brushwork.engine.settings.style_params import StyleParams


def test_defaults_are_the_source_materials():
    p = StyleParams()
    assert (p.alpha, p.beta) == (1.0, 10.0)
    assert p.style_weights == {"conv1_1": 1.0, "conv2_1": 0.8, "conv3_1": 0.6, "conv4_1": 0.4, "conv5_1": 0.3}
    assert p.content_layer == "conv4_2"
    assert (p.optimizer, p.init, p.size, p.weights, p.device) == ("lbfgs", "content", 512, "oxford", "auto")
    assert (p.precision, p.stop_early, p.clean_edges) == ("auto", True, True)


def test_params_are_frozen_and_hashable():
    p = StyleParams()
    with pytest.raises(AttributeError):
        p.alpha = 2.0
    assert hash(p) == hash(StyleParams())


def test_dict_round_trip():
    p = StyleParams(alpha=0.5, beta=300.0, tv_weight=0.1, size=256, steps=40, init="noise", seed=7)
    data = p.to_dict()
    assert data["style_layers"]["conv2_1"] == 0.8
    assert StyleParams.from_dict(data) == p


def test_style_layers_accept_a_mapping_and_keep_it_immutable():
    p = StyleParams(style_layers={"conv3_1": 2.0, "conv1_1": 0.5})
    assert isinstance(p.style_layers, tuple)
    assert p.with_style_weight("conv1_2", 1.0).style_weights == {"conv1_1": 0.5, "conv1_2": 1.0, "conv3_1": 2.0}
    assert p.active_style_layers == {"conv3_1": 2.0, "conv1_1": 0.5}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"alpha": -1.0}, "alpha"),
        ({"beta": math.nan}, "beta"),
        ({"beta": math.inf}, "beta"),
        ({"tv_weight": -0.1}, "tv_weight"),
        ({"style_layers": {"conv9_9": 1.0}}, "conv9_9"),
        ({"style_layers": {"conv1_1": -1.0}}, "style_layers.conv1_1"),
        ({"style_layers": {"conv1_1": math.nan}}, "style_layers.conv1_1"),
        ({"content_layer": "conv1_1"}, "content_layer"),
        ({"size": 8}, "size"),
        ({"size": 100_000}, "size"),
        ({"steps": 0}, "steps"),
        ({"seed": -1}, "seed"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"init": "magic"}, "init"),
        ({"init": "image"}, "init_image"),
        ({"pooling": "min"}, "pooling"),
        ({"device": "tpu"}, "device"),
        ({"weights": " "}, "weights"),
        ({"alpha": 0.0, "beta": 0.0}, "nothing to optimise"),
        ({"size": True}, "size"),
        ({"precision": "double"}, "precision"),
        ({"stop_early": 1}, "stop_early"),
        ({"clean_edges": "no"}, "clean_edges"),
        ({"memory_limit": -1.0}, "memory_limit"),
        ({"memory_limit": 1.0}, "memory_limit"),
        ({"memory_limit": float("nan")}, "memory_limit"),
    ],
)
def test_each_invalid_value_names_its_field(changes, field):
    with pytest.raises(ParamsError, match=field):
        StyleParams(**changes)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"alphaa": 1.0}, "unknown field 'alphaa'"),
        ({"alpha": "1"}, "alpha must be a number"),
        ({"alpha": True}, "alpha must be a number"),
        ({"steps": 2.5}, "steps must be a whole number"),
        ({"style_layers": [1, 2]}, "style_layers must be an object"),
        ({"style_layers": {"conv1_1": "x"}}, "style_layers.conv1_1 must be a number"),
        ({"device": 3}, "device must be a string"),
    ],
)
def test_from_dict_rejects_wrong_keys_and_types(data, message):
    with pytest.raises(ParamsError, match=message):
        StyleParams.from_dict(data)


def test_from_dict_accepts_integers_for_floats_and_whole_floats_for_ints():
    p = StyleParams.from_dict({"alpha": 2, "steps": 50.0})
    assert p.alpha == 2.0 and p.steps == 50 and isinstance(p.steps, int)
