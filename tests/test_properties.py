"""Property-based tests: whatever the bytes, only our own errors come out."""

from __future__ import annotations

import io
import json

import numpy as np
from brushwork.engine.errors import ImageLoadError, PresetError
from brushwork.engine.pictures.images import load_image
from brushwork.engine.settings.presets import parse_preset, preset_to_json
from brushwork.engine.settings.style_params import StyleParams
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
param_names = st.sampled_from(
    ["alpha", "beta", "style_layers", "content_layer", "size", "steps", "seed", "optimizer", "init", "device",
     "weights", "pooling", "precision", "stop_early", "clean_edges", "tv_weight", "keep_colors", "color_strength",
     "style_scale", "style_blend", "style_loss", "other"]
)  # fmt: skip

# Documents close to valid ones, one plausible (sometimes out-of-range) value per field,
# so that many of them parse and the round trip below is exercised on varied presets.
near_valid_params = st.fixed_dictionaries(
    {},
    optional={
        "alpha": st.floats(0, 1e6),
        "beta": st.floats(0, 1e6),
        "tv_weight": st.floats(0, 10),
        "style_layers": st.dictionaries(
            st.sampled_from(["conv1_1", "conv2_1", "conv3_2", "conv4_1", "conv5_4", "conv6_1"]),
            st.floats(0, 100),
            max_size=4,
        ),
        "content_layer": st.sampled_from(["conv4_2", "conv5_2", "conv5_4", "conv1_1"]),
        "size": st.integers(16, 5000),
        "steps": st.integers(0, 2000),
        "seed": st.integers(0, 2**31),
        "optimizer": st.sampled_from(["lbfgs", "adam", "sgd"]),
        "init": st.sampled_from(["content", "noise"]),
        "device": st.sampled_from(["auto", "cpu", "cuda:1", "tpu"]),
        "pooling": st.sampled_from(["max", "avg"]),
        "precision": st.sampled_from(["auto", "float32", "bfloat16", "float16"]),
        "stop_early": st.booleans(),
        "clean_edges": st.booleans(),
        "trim_frame": st.booleans(),
        "keep_colors": st.sampled_from(["off", "luminance", "match"]),
        "color_strength": st.floats(0, 1.2),
        "style_scale": st.floats(0.2, 2),
        "style_blend": st.lists(st.floats(0, 10), max_size=3),
        "style_loss": st.sampled_from(["gram", "w2", "sliced", "histogram"]),
    },
)


# Schema versions -2 to 5, the current one first: Hypothesis favours the first choice.
schema_versions = st.sampled_from([5, 3, 2, 1, 4, 0, -1, -2])


@PROFILE
@given(st.dictionaries(param_names, json_values, max_size=6) | near_valid_params, schema_versions)
def test_any_preset_document_parses_or_raises_a_preset_error(params, version):
    text = json.dumps({"schema_version": version, "params": params})
    try:
        preset = parse_preset(text)
    except PresetError as exc:
        assert str(exc)
    else:
        # A parsed preset is a valid one: it survives both round trips unchanged.
        assert StyleParams.from_dict(preset.params.to_dict()) == preset.params
        again = parse_preset(preset_to_json(preset))
        assert again.params == preset.params
        assert (again.name, again.description) == (preset.name, preset.description)


@PROFILE
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_a_preset_error(text):
    try:
        parse_preset(text)
    except PresetError:
        pass


@PROFILE
@given(st.binary(max_size=2000))
def test_any_bytes_load_or_raise_an_image_error(tmp_path, data):
    path = tmp_path / "random.png"
    path.write_bytes(data)
    try:
        image = load_image(path)
    except ImageLoadError as exc:
        assert "random.png" in str(exc)
    else:
        assert image.mode == "RGB"


MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I", "I;16", "F", "YCbCr"]


@PROFILE
@given(
    mode=st.sampled_from(MODES),
    width=st.integers(1, 24),
    height=st.integers(1, 24),
    seed=st.integers(0, 2**16),
    fmt=st.sampled_from(["PNG", "TIFF", "WEBP", "JPEG", "GIF", "BMP"]),
)
def test_random_small_images_in_every_mode_load_as_rgb(tmp_path, mode, width, height, seed, fmt):
    rng = np.random.default_rng(seed)
    image = Image.frombytes(mode, (width, height), rng.bytes(_bytes_for(mode, width, height)))
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt)
    except (OSError, ValueError, KeyError):
        assume(False)  # Pillow cannot write this mode in this format: draw another example
    path = tmp_path / f"random.{fmt.lower()}"
    path.write_bytes(buffer.getvalue())
    loaded = load_image(path)
    assert loaded.mode == "RGB" and loaded.size == (width, height)


def _bytes_for(mode: str, width: int, height: int) -> int:
    if mode == "1":
        return (width + 7) // 8 * height
    bands = {"LA": 2, "RGB": 3, "YCbCr": 3, "RGBA": 4, "CMYK": 4, "I": 4, "F": 4, "I;16": 2}.get(mode, 1)
    return bands * width * height
