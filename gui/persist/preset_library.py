"""The artist's presets on disk, next to the built-in ones (no Qt needed)."""

from __future__ import annotations

import logging
from pathlib import Path

from brushwork.engine.errors import PresetError
from brushwork.engine.settings.presets import Preset, builtin_presets, load_preset, preset_file_name, save_preset
from brushwork.engine.settings.style_params import StyleParams

log = logging.getLogger(__name__)


class PresetLibrary:
    """Built-in presets plus the artist's own, kept as JSON files in ``user_dir``."""

    def __init__(self, user_dir: Path) -> None:
        self.user_dir = Path(user_dir)
        # The files the last ``user()`` could not read, with why: the window tells the artist.
        self.unreadable: dict[str, str] = {}

    def builtin(self) -> list[Preset]:
        return builtin_presets()

    def user(self) -> list[Preset]:
        """The artist's presets; unreadable files are skipped (listed in ``unreadable``), never fatal."""
        presets = []
        self.unreadable = {}
        if not self.user_dir.is_dir():
            return presets
        for path in sorted(self.user_dir.glob("*.json")):
            try:
                presets.append(load_preset(path))
            except PresetError as exc:
                log.warning("skipping preset %s: %s", path, exc)
                self.unreadable[path.name] = str(exc)
        return sorted(presets, key=lambda p: p.name.lower())

    def path_for(self, name: str) -> Path:
        """Where a preset called ``name`` lives: always inside ``user_dir``."""
        return self.user_dir / preset_file_name(name)

    def exists(self, name: str) -> bool:
        return self.path_for(name).exists()

    def save(self, name: str, params: StyleParams, description: str = "", overwrite: bool = False) -> Preset:
        """Save the artist's preset; ``FileExistsError`` if it exists and overwrite is False."""
        name = name.strip()
        if not name:
            raise PresetError("A preset needs a name")
        path = self.path_for(name)
        if path.exists() and not overwrite:
            raise FileExistsError(path)
        self.user_dir.mkdir(parents=True, exist_ok=True)
        preset = Preset(name, params, description, path)
        save_preset(preset, path)
        return preset

    def delete(self, preset: Preset) -> None:
        if preset.builtin or preset.path is None or preset.path.parent != self.user_dir:
            raise PresetError(f"{preset.name!r} is built in and cannot be deleted")
        preset.path.unlink(missing_ok=True)

    def import_file(self, path: Path, overwrite: bool = False) -> Preset:
        """Validate a preset file and copy it into the library under its own name."""
        preset = load_preset(path)
        return self.save(preset.name, preset.params, preset.description, overwrite=overwrite)

    @staticmethod
    def export(preset: Preset, path: Path) -> Path:
        return save_preset(Preset(preset.name, preset.params, preset.description), path)
