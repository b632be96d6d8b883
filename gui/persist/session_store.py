"""What the window remembers between launches.

``QSettings`` holds UI state only (window layout, the last images and folder,
the last preset's name). The last parameters are a preset file,
``session.json`` in the app-data folder, so they use the same validated
format as every other preset.
"""

from __future__ import annotations

import logging
from pathlib import Path

from brushwork.engine.errors import PresetError
from brushwork.engine.run.time_history import RunHistory
from brushwork.engine.settings.presets import Preset, load_preset, save_preset
from brushwork.engine.settings.style_params import StyleParams
from PySide6.QtCore import QByteArray, QSettings

log = logging.getLogger(__name__)

MAX_RECENT = 10


class SessionStore:
    def __init__(self, settings: QSettings, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir)
        self._run_history: RunHistory | None = None

    @property
    def run_history(self) -> RunHistory:
        """What this machine's past runs took (``engine.run.time_history``), kept beside the settings:
        read at the first estimate. ``add`` writes it: call that off the GUI thread."""
        if self._run_history is None:
            self._run_history = RunHistory.in_folder(self.data_dir)
        return self._run_history

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
