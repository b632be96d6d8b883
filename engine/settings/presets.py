"""Presets: a ``StyleParams`` stored as JSON with a name and a schema version.

File format (schema 5)::

    {
      "schema_version": 5,
      "name": "School of AI talk",
      "description": "...",
      "params": { ...StyleParams.to_dict()... }
    }
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParamsError, PresetError
from ..files import bundled_files as resources
from ..files.app_dirs import user_presets_dir
from ..files.atomic_write import write_atomically
from ..pictures.picture_metadata import PICTURE_SUFFIXES, read_preset_json
from .style_params import StyleParams

SCHEMA_VERSION = 5
MAX_PRESET_BYTES = 1_000_000  # a preset is a few hundred bytes; refuse anything absurd
_TOP_LEVEL_KEYS = {"schema_version", "name", "description", "params"}


def _v1_to_v2(doc: dict) -> dict:
    # Schema 2 added "precision", "stop_early" and "clean_edges". A schema-1
    # preset was made with float32 convolutions, every planned step run and a
    # plain canvas; the new defaults give the same picture to the eye, minus
    # the border frame.
    return {**doc, "schema_version": 2}


def _v2_to_v3(doc: dict) -> dict:
    # Schema 3 added "keep_colors", "color_strength", "style_scale",
    # "style_blend" and "trim_frame"; their defaults leave colours, stroke
    # scale and a single style as schema 2 had them.
    return {**doc, "schema_version": 3}


def _v3_to_v4(doc: dict) -> dict:
    # Schema 4 added "regions" and "outside_regions"; without regions the
    # whole picture gets the style, as in schema 3.
    return {**doc, "schema_version": 4}


def _v4_to_v5(doc: dict) -> dict:
    # Schema 5 added "style_loss"; without it the style term matches Gram
    # matrices, as in schema 4. The number is raised so that an older
    # Brushwork says "update" rather than "unknown field style_loss".
    return {**doc, "schema_version": 5}


# Functions that lift a preset dict from version N to N + 1.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5}


@dataclass(frozen=True)
class Preset:
    """A named parameter set."""

    name: str
    params: StyleParams
    description: str = ""
    path: Path | None = None
    builtin: bool = False


def preset_to_json(preset: Preset) -> str:
    """Serialise a preset in the current schema."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "name": preset.name,
        "description": preset.description,
        "params": preset.params.to_dict(),
    }
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def _reject_constant(token: str) -> float:
    raise PresetError(f"{token} is not a valid number in a preset")


def parse_preset(text: str, origin: str = "preset") -> Preset:
    """Parse and validate preset JSON; every error names the field at fault."""
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PresetError(f"{origin} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(doc, dict):
        raise PresetError(f"{origin} must hold a JSON object, not a {type(doc).__name__}")
    version = doc.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise PresetError(f"{origin}: schema_version is missing or not a whole number")
    if version > SCHEMA_VERSION:
        raise PresetError(
            f"{origin} was written by a newer Brushwork (preset schema {version}; this version reads "
            f"up to {SCHEMA_VERSION}). Update Brushwork to use it."
        )
    if version < 1:
        raise PresetError(f"{origin}: schema_version {version} is not a known preset schema")
    while version < SCHEMA_VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["schema_version"]
    unknown = sorted(set(doc) - _TOP_LEVEL_KEYS)
    if unknown:
        raise PresetError(f"{origin}: unknown field {unknown[0]!r}")
    name = doc.get("name", "")
    description = doc.get("description", "")
    if not isinstance(name, str) or not isinstance(description, str):
        raise PresetError(f"{origin}: name and description must be strings")
    if "params" not in doc:
        raise PresetError(f"{origin}: the params object is missing")
    try:
        params = StyleParams.from_dict(doc["params"])
    except ParamsError as exc:
        raise PresetError(f"{origin}: params.{exc}") from None
    return Preset(name=name, params=params, description=description)


def load_preset(path: str | Path) -> Preset:
    """Read one preset file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PRESET_BYTES:
            raise PresetError(f"{path.name} is {size / 1e6:.1f} MB; a preset is a small JSON file")
        raw = path.read_bytes()
    except IsADirectoryError:
        raise PresetError(f"{path} is a folder, not a preset file") from None
    except FileNotFoundError:
        raise PresetError(f"Preset file not found: {path}") from None
    except OSError as exc:
        raise PresetError(f"Could not read preset {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PresetError(f"{path.name} is not a text file") from None
    preset = parse_preset(text, path.name)
    return Preset(preset.name or path.stem, preset.params, preset.description, path)


def save_preset(preset: Preset, path: str | Path) -> Path:
    """Write a preset atomically to ``path``."""
    path = Path(path)
    write_atomically(path, preset_to_json(preset).encode("utf-8"))
    return path


def preset_file_name(name: str) -> str:
    """A safe file name for a preset called ``name``: no separators, dots or reserved names."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"[^\w\- ]+", "_", text, flags=re.UNICODE).strip(" ._")
    text = re.sub(r"\s+", " ", text)[:80] or "preset"
    if text.upper().split(".")[0] in _WINDOWS_RESERVED:
        text = f"_{text}"
    return f"{text}.json"


_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}


def builtin_presets() -> list[Preset]:
    """The presets shipped in ``resources/presets``, sorted by name."""
    presets = []
    for path in sorted(resources.presets_dir().glob("*.json")):
        p = load_preset(path)
        presets.append(Preset(p.name, p.params, p.description, path, builtin=True))
    return sorted(presets, key=lambda p: p.name.lower())


def find_preset(name_or_path: str, user_dir: Path | None = None) -> Preset:
    """A preset by name: the artist's own (saved in the studio) first, then a built-in, else a file.

    Names match case-insensitively, by the preset's name or its file's stem.
    ``user_dir`` is the studio's presets folder (default: ``app_dirs.user_presets_dir()``).
    """
    wanted = name_or_path.strip().lower()
    folder = user_dir if user_dir is not None else user_presets_dir()
    if wanted and folder.is_dir():
        stem = Path(preset_file_name(name_or_path.strip())).stem.lower()
        for own in sorted(folder.glob("*.json")):
            if own.stem.lower() == stem:
                return load_preset(own)
    for preset in builtin_presets():
        if wanted in (preset.name.lower(), preset.path.stem.lower()):
            return preset
    path = Path(name_or_path)
    if path.suffix.lower() in PICTURE_SUFFIXES:
        # A picture Brushwork saved carries the settings that made it.
        return parse_preset(read_preset_json(path), path.name)
    if path.suffix.lower() == ".json" or path.exists():
        return load_preset(path)
    names = [repr(p.name) for p in builtin_presets()]
    if folder.is_dir():
        names += [repr(p.stem) for p in sorted(folder.glob("*.json"))]
    raise PresetError(f"No preset called {name_or_path!r}. Presets: {', '.join(names)}; or give a .json file.")
