import json
import math

import pytest
from brushwork.engine.errors import PresetError
from brushwork.engine.settings.presets import (
    SCHEMA_VERSION,
    Preset,
    builtin_presets,
    find_preset,
    load_preset,
    parse_preset,
    preset_file_name,
    preset_to_json,
    save_preset,
)
from brushwork.engine.settings.style_params import StyleParams


def _doc(**params):
    return {"schema_version": SCHEMA_VERSION, "name": "t", "params": params}


def test_round_trip_through_a_file(tmp_path):
    preset = Preset("Bold strokes", StyleParams(beta=1000.0, style_layers={"conv4_1": 2.0}), "big swirls")
    path = save_preset(preset, tmp_path / preset_file_name(preset.name))
    loaded = load_preset(path)
    assert (loaded.name, loaded.params, loaded.description) == (preset.name, preset.params, preset.description)
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION == 5


def test_builtin_presets():
    presets = {p.name: p for p in builtin_presets()}
    gatys, talk = presets["Gatys 2016"], presets["School of AI talk"]
    assert gatys.builtin and gatys.params.content_layer == "conv4_2"
    assert gatys.params.style_weights == dict.fromkeys(("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"), 1.0)
    assert (talk.params.alpha, talk.params.beta) == (1.0, 10.0)
    assert list(talk.params.style_weights.values()) == [1.0, 0.8, 0.6, 0.4, 0.3]
    # The README tells an artist that choosing this preset brings every setting back to the defaults.
    assert talk.params == StyleParams()


def test_find_preset_by_name_stem_or_file(tmp_path):
    assert find_preset("gatys 2016").name == "Gatys 2016"
    assert find_preset("school-of-ai-talk").name == "School of AI talk"
    path = save_preset(Preset("Mine", StyleParams(alpha=3.0)), tmp_path / "mine.json")
    assert find_preset(str(path)).params.alpha == 3.0
    with pytest.raises(PresetError, match=r"No preset called 'nope'.*Gatys 2016"):
        find_preset("nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must hold a JSON object, not a list"),
        (json.dumps({"name": "x", "params": {}}), "schema_version is missing"),
        (json.dumps({"schema_version": 99, "params": {}}), "newer Brushwork.*schema 99"),
        (json.dumps({"schema_version": 0, "params": {}}), "not a known preset schema"),
        (json.dumps({"schema_version": 2, "colour": "red", "params": {}}), "unknown field 'colour'"),
        (json.dumps({"schema_version": 2}), "params object is missing"),
        (json.dumps(_doc(beta="lots")), "params.beta must be a number"),
        (json.dumps(_doc(gamma=1)), "params.unknown field 'gamma'"),
        (json.dumps(_doc(style_layers={"conv1_1": -2})), "style_layers.conv1_1 must be between"),
        (json.dumps(_doc(style_layers={"relu1_1": 1})), "unknown layer 'relu1_1'"),
        ('{"schema_version": 2, "params": {"alpha": NaN}}', "NaN is not a valid number"),
        ('{"schema_version": 2, "params": {"beta": -Infinity}}', "-Infinity is not a valid number"),
        (json.dumps(_doc(stop_early="yes")), "stop_early must be true or false"),
        (json.dumps(_doc(precision="float8")), "precision must be one of"),
    ],
)
def test_invalid_presets_give_a_clear_error(text, message):
    with pytest.raises(PresetError, match=message):
        parse_preset(text, "my.json")


def test_a_schema_1_preset_is_migrated():
    # What Brushwork 0.1 wrote: no precision, stop_early or clean_edges yet.
    old = {"schema_version": 1, "name": "Old", "params": {"beta": 20.0, "steps": 50, "pooling": "avg"}}
    preset = parse_preset(json.dumps(old))
    assert preset.params == StyleParams(beta=20.0, steps=50, pooling="avg")
    assert (preset.params.precision, preset.params.stop_early, preset.params.clean_edges) == ("auto", True, True)
    assert json.loads(preset_to_json(preset))["schema_version"] == 5


def test_a_schema_2_preset_is_migrated():
    # Schema 2 had the speed options but no colour, stroke, blend or frame controls.
    old = {"schema_version": 2, "name": "Two", "params": {"beta": 30.0, "precision": "float32", "clean_edges": False}}
    preset = parse_preset(json.dumps(old))
    assert preset.params == StyleParams(beta=30.0, precision="float32", clean_edges=False)
    assert (preset.params.keep_colors, preset.params.style_scale, preset.params.trim_frame) == ("off", 1.0, True)


def test_a_partial_preset_takes_defaults_for_the_rest():
    preset = parse_preset(json.dumps(_doc(beta=50)))
    assert preset.params == StyleParams(beta=50.0)


def test_huge_binary_and_missing_files(tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2_000_000)
    with pytest.raises(PresetError, match="MB; a preset is a small JSON file"):
        load_preset(big)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PresetError, match="not a text file"):
        load_preset(binary)
    with pytest.raises(PresetError, match="not found"):
        load_preset(tmp_path / "missing.json")
    with pytest.raises(PresetError, match="is a folder"):
        load_preset(tmp_path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Van Gogh", "Van Gogh.json"),
        ("../../etc/passwd", "etc_passwd.json"),
        ("a/b\\c:d*e", "a_b_c_d_e.json"),
        ("..", "preset.json"),
        ("CON", "_CON.json"),
        ("Été à Arles", "Été à Arles.json"),
    ],
)
def test_preset_file_names_are_sanitised(name, expected):
    assert preset_file_name(name) == expected


def test_json_is_strict_and_readable():
    text = preset_to_json(Preset("x", StyleParams()))
    assert text.startswith('{\n  "schema_version": 5,\n  "name": "x",\n') and text.endswith("}\n")  # indented
    assert json.loads(text)["params"]["alpha"] == 1.0
    # Strict: a number JSON cannot hold is refused rather than written as NaN. StyleParams
    # refuses NaN itself, so one is forced past its validation here.
    broken = StyleParams()
    object.__setattr__(broken, "beta", math.nan)
    with pytest.raises(ValueError, match="JSON compliant"):
        preset_to_json(Preset("x", broken))
