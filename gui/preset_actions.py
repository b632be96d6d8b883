"""The window's parameters and presets: apply, save, overwrite, delete, import, export."""

from __future__ import annotations

from pathlib import Path

from engine.errors import PresetError
from engine.params import StyleParams
from engine.presets import Preset


class PresetActionsMixin:
    """The studio window's preset handling (uses its editor, presets bar, library and dialogs)."""

    def params(self) -> StyleParams:
        self.editor.flush()
        return self.editor.current

    def set_params(self, params: StyleParams) -> None:
        self.editor.set_params(params)
        self.controller.update(params)

    def _on_params_changed(self, params: StyleParams) -> None:
        self.controller.update(params)
        selected = self.presets_bar.selected()
        if selected is not None and selected.params != params:
            self.presets_bar.select(None)
            self.session.set_preset_name(None)

    def apply_preset(self, preset: Preset) -> None:
        self.set_params(preset.params)
        self.presets_bar.select(preset.name)
        self.session.set_preset_name(preset.name)
        self.status.message(f"Preset: {preset.name}")

    def _refresh_presets(self, selected: str | None = None) -> None:
        self.presets_bar.set_presets(self.library.builtin(), self.library.user(), selected)

    def save_preset_as(self) -> None:
        current = self.presets_bar.selected()
        name = self.dialogs.ask_text("Save preset", "Name of the new preset:", current.name if current else "")
        if not name:
            return
        self._save_preset(name, overwrite=False)

    def overwrite_preset(self) -> None:
        preset = self.presets_bar.selected()
        if preset is None or preset.builtin:
            return
        if self.dialogs.confirm("Overwrite preset", f"Replace the preset '{preset.name}' with the current settings?"):
            self._save_preset(preset.name, overwrite=True)

    def _save_preset(self, name: str, overwrite: bool) -> None:
        params = self.params()
        try:
            try:
                preset = self.library.save(name, params, overwrite=overwrite)
            except FileExistsError:
                if not self.dialogs.confirm("Preset exists", f"A preset called '{name}' exists. Replace it?"):
                    return
                preset = self.library.save(name, params, overwrite=True)
        except (PresetError, OSError) as exc:
            self.show_error(f"Could not save the preset: {exc}")
            return
        self._refresh_presets(preset.name)
        self.session.set_preset_name(preset.name)
        self.status.message(f"Saved preset '{preset.name}'")

    def delete_preset(self) -> None:
        preset = self.presets_bar.selected()
        if preset is None or preset.builtin:
            return
        if not self.dialogs.confirm("Delete preset", f"Delete the preset '{preset.name}'?"):
            return
        try:
            self.library.delete(preset)
        except (PresetError, OSError) as exc:
            self.show_error(f"Could not delete the preset: {exc}")
            return
        self._refresh_presets(None)
        self.session.set_preset_name(None)

    def import_preset(self) -> None:
        path = self.dialogs.open_preset(self.session.last_folder())
        if path is None:
            return
        try:
            try:
                preset = self.library.import_file(path)
            except FileExistsError:
                name = self.library.path_for(path.stem).stem
                if not self.dialogs.confirm("Preset exists", f"A preset called '{name}' exists. Replace it?"):
                    return
                preset = self.library.import_file(path, overwrite=True)
        except (PresetError, OSError) as exc:
            self.show_error(f"Could not import {path.name}: {exc}")
            return
        self._refresh_presets(preset.name)
        self.apply_preset(preset)

    def export_preset(self) -> None:
        preset = self.presets_bar.selected() or Preset("My settings", self.params())
        folder = Path(self.session.last_folder() or Path.home())
        path = self.dialogs.save_preset(folder / self.library.path_for(preset.name).name)
        if path is None:
            return
        try:
            self.library.export(preset, path)
        except OSError as exc:
            self.show_error(f"Could not export the preset: {exc.strerror or exc}")
            return
        self.status.message(f"Exported preset to {path}")

    def _browse_init_image(self) -> None:
        path = self.dialogs.open_image("Start from which image?", self.session.last_folder())
        if path is not None:
            self.editor.advanced.set_init_image(path)
        else:
            self.editor.set_params(self.editor.current)  # back to what it was

    def _browse_weights(self) -> None:
        path = self.dialogs.open_weights(self.session.last_folder())
        if path is not None:
            self.editor.advanced.set_weights_file(path)
        else:
            self.editor.set_params(self.editor.current)
