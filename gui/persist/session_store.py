"""What the window remembers between launches.

``QSettings`` holds UI state only (window layout, the last images and folder,
the last preset's name). The last parameters are a preset file,
``session.json`` in the app-data folder, so they use the same validated
format as every other preset.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from brushwork.engine.errors import PresetError
from brushwork.engine.settings.presets import Preset, load_preset, save_preset
from brushwork.engine.settings.style_params import StyleParams
from PySide6.QtCore import QByteArray, QSettings

log = logging.getLogger(__name__)

MAX_RECENT = 10


def _pace_key(device: str) -> str:
    # A device's description holds spaces, commas and maybe slashes, which QSettings reads as groups.
    return "pace/" + re.sub(r"\W+", "_", device)


class SessionStore:
    def __init__(self, settings: QSettings, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir)

    @property
    def params_path(self) -> Path:
        return self.data_dir / "session.json"

    def load_params(self) -> tuple[StyleParams, str | None]:
        """The last parameters, and a warning if they could not be read (defaults then)."""
        if not self.params_path.exists():
            return StyleParams(), None
        try:
            return load_preset(self.params_path).params, None
        except PresetError as exc:
            log.warning("could not restore the last settings: %s", exc)
            return StyleParams(), f"Could not restore the last settings ({exc}); using the defaults."

    def save_params(self, params: StyleParams) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        save_preset(Preset("Last session", params), self.params_path)

    def image_path(self, role: str) -> Path | None:
        value = self.settings.value(f"images/{role.lower()}", "")
        return Path(value) if value else None

    def set_image_path(self, role: str, path: Path | None) -> None:
        self.settings.setValue(f"images/{role.lower()}", str(path) if path else "")

    def extra_style_paths(self) -> list[Path]:
        """The paintings added for blending, after the Style well's (pasted ones are not kept)."""
        value = self.settings.value("images/extra_styles", [])
        if isinstance(value, str):  # QSettings gives a one-element list back as a plain string
            value = [value] if value else []
        return [Path(v) for v in value or [] if isinstance(v, str) and v]

    def set_extra_style_paths(self, paths: list[Path | None]) -> None:
        self.settings.setValue("images/extra_styles", [str(p) for p in paths if p is not None])

    def recent_images(self) -> list[tuple[str, Path]]:
        """The images opened last, newest first, as (role, path)."""
        entries = self.settings.value("images/recent", [])
        if isinstance(entries, str):  # QSettings gives a one-element list back as a plain string
            entries = [entries]
        out = []
        for entry in entries or []:
            role, _, path = str(entry).partition("|")
            if role and path:
                out.append((role, Path(path)))
        return out

    def add_recent_image(self, role: str, path: Path) -> None:
        recent = [(r, p) for r, p in self.recent_images() if p != Path(path)]
        recent.insert(0, (role, Path(path)))
        self.settings.setValue("images/recent", [f"{r}|{p}" for r, p in recent[:MAX_RECENT]])

    def forget_recent_image(self, path: Path) -> None:
        kept = [(r, p) for r, p in self.recent_images() if p != Path(path)]
        self.settings.setValue("images/recent", [f"{r}|{p}" for r, p in kept])

    def pace(self, device: str) -> float | None:
        """Seconds per pixel-step measured on ``device`` in an earlier run, if any."""
        value = self.settings.value(_pace_key(device), None)
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    def set_pace(self, device: str, seconds_per_pixel_step: float) -> None:
        self.settings.setValue(_pace_key(device), seconds_per_pixel_step)

    def last_device(self) -> str | None:
        return self.settings.value("pace/last_device", None) or None

    def set_last_device(self, device: str) -> None:
        self.settings.setValue("pace/last_device", device)

    def last_picture_saved(self) -> bool:
        return self.settings.value("ui/last_picture_saved", "true") in (True, "true")

    def set_last_picture_saved(self, saved: bool) -> None:
        self.settings.setValue("ui/last_picture_saved", "true" if saved else "false")

    def last_folder(self) -> str:
        return str(self.settings.value("ui/last_folder", ""))

    def set_last_folder(self, folder: Path) -> None:
        self.settings.setValue("ui/last_folder", str(folder))

    def save_folder(self) -> str:
        """Where pictures were last saved (not where images were last opened from)."""
        return str(self.settings.value("ui/save_folder", "")) or self.last_folder()

    def set_save_folder(self, folder: Path) -> None:
        self.settings.setValue("ui/save_folder", str(folder))

    def preset_name(self) -> str | None:
        return self.settings.value("ui/preset", None) or None

    def set_preset_name(self, name: str | None) -> None:
        self.settings.setValue("ui/preset", name or "")

    def layout_state(self) -> dict[str, QByteArray]:
        return {
            key: self.settings.value(f"window/{key}")
            for key in ("geometry", "state", "splitter")
            if isinstance(self.settings.value(f"window/{key}"), QByteArray)
        }

    def set_layout_state(self, **states: QByteArray) -> None:
        for key, value in states.items():
            self.settings.setValue(f"window/{key}", value)

    def sync(self) -> None:
        self.settings.sync()
