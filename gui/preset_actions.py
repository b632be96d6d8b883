"""The presets: apply, save, overwrite, delete, import and export, with the questions they need."""

from __future__ import annotations

from pathlib import Path

from brushwork.engine.errors import PresetError
from brushwork.engine.settings.presets import Preset
from brushwork.engine.settings.style_params import StyleParams
from PySide6.QtCore import QObject, Signal

from .panels.params_editor import ParamsEditor
from .panels.presets_bar import PresetBarWidget
from .persist.preset_library import PresetLibrary
from .persist.session_store import SessionStore


class PresetActions(QObject):
    """Carries out what the presets bar asks for.

    A preset applied here goes into the editor and is announced with
    ``applied`` (the window forwards it to the run); problems go out as
    ``error``, successes as ``status``.
    """

    applied = Signal(object)  # StyleParams
    error = Signal(str)
    status = Signal(str)

    def __init__(
        self,
        editor: ParamsEditor,
        bar: PresetBarWidget,
        library: PresetLibrary,
        dialogs,
        session: SessionStore,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.editor, self.bar, self.library, self.dialogs, self.session = editor, bar, library, dialogs, session
        bar.preset_chosen.connect(self.apply)
        bar.save_as_requested.connect(self.save_as)
        bar.save_requested.connect(self.overwrite)
        bar.delete_requested.connect(self.delete)
        bar.import_requested.connect(self.import_file)
        bar.export_requested.connect(self.export)
        editor.params_changed.connect(self._on_params_changed)
        self._reported: set[tuple[str, str]] = set()  # unreadable preset files already told about
        self._reporting = False  # nobody listens to ``error`` yet: the window calls report_unreadable()
        self.refresh(None)  # which one is selected is part of restoring a session

    def _params(self) -> StyleParams:
        self.editor.flush()
        return self.editor.current

    def _on_params_changed(self, params: StyleParams) -> None:
        self.deselect_unless(params)

    def select_matching(self, params: StyleParams, name: str | None = None) -> None:
        """Show preset ``name`` if its settings are ``params``, else any preset that has them, else "(custom)"."""
        candidates = [*self.library.user(), *self.library.builtin()]
        named = [p for p in candidates if p.name == name and p.params == params]
        same = named or [p for p in candidates if p.params == params]
        self.bar.select(same[0].name if same else None)
        self.session.set_preset_name(same[0].name if same else None)

    def deselect_unless(self, params: StyleParams) -> None:
        """Show "(custom)" once the settings are no longer the selected preset's."""
        selected = self.bar.selected()
        if selected is not None and selected.params != params:
            self.bar.select(None)
            self.session.set_preset_name(None)

    def apply(self, preset: Preset) -> None:
        self.editor.set_params(preset.params)
        self.bar.select(preset.name)
        self.session.set_preset_name(preset.name)
        self.applied.emit(preset.params)
        self.status.emit(f"Preset: {preset.name}")

    def refresh(self, selected: str | None = None) -> None:
        self.bar.set_presets(self.library.builtin(), self.library.user(), selected)
        if self._reporting:
            self.report_unreadable()

    def report_unreadable(self) -> None:
        """Tell the artist about preset files of theirs that could not be read (once each), and from now
        on after every refresh. The files stay as they are, so that nothing is lost."""
        self._reporting = True
        new = {item for item in self.library.unreadable.items() if item not in self._reported}
        if not new:
            return
        self._reported |= new
        listed = "\n".join(f"- {name}: {why}" for name, why in sorted(new))
        self.error.emit(
            f"{len(new)} of your presets could not be read and are not in the list:\n{listed}\n"
            f"Their files are left as they are, in {self.library.user_dir}."
        )

    def save_as(self) -> None:
        current = self.bar.selected()
        name = self.dialogs.ask_text("Save preset", "Name of the new preset:", current.name if current else "")
        if name:
            self._save(name, overwrite=False)

    def overwrite(self) -> None:
        preset = self.bar.selected()
        if preset is None or preset.builtin:
            return
        if self.dialogs.confirm("Overwrite preset", f"Replace the preset '{preset.name}' with the current settings?"):
            self._save(preset.name, overwrite=True)

    def _save(self, name: str, overwrite: bool) -> None:
        params = self._params()
        try:
            try:
                preset = self.library.save(name, params, overwrite=overwrite)
            except FileExistsError:
                if not self.dialogs.confirm("Preset exists", f"A preset called '{name}' exists. Replace it?"):
                    return
                preset = self.library.save(name, params, overwrite=True)
        except (PresetError, OSError) as exc:
            self.error.emit(f"Could not save the preset: {exc}")
            return
        self.refresh(preset.name)
        self.session.set_preset_name(preset.name)
        self.status.emit(f"Saved preset '{preset.name}'")

    def delete(self) -> None:
        preset = self.bar.selected()
        if preset is None or preset.builtin:
            return
        if not self.dialogs.confirm("Delete preset", f"Delete the preset '{preset.name}'?"):
            return
        try:
            self.library.delete(preset)
        except (PresetError, OSError) as exc:
            self.error.emit(f"Could not delete the preset: {exc}")
            return
        self.refresh(None)
        self.session.set_preset_name(None)

    def import_file(self) -> None:
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
            self.error.emit(f"Could not import {path.name}: {exc}")
            return
        self.refresh(preset.name)
        self.apply(preset)

    def export(self) -> None:
        preset = self.bar.selected() or Preset("My settings", self._params())
        folder = Path(self.session.last_folder() or Path.home())
        path = self.dialogs.save_preset(folder / self.library.path_for(preset.name).name)
        if path is None:
            return
        try:
            self.library.export(preset, path)
        except OSError as exc:
            self.error.emit(f"Could not export the preset: {exc.strerror or exc}")
            return
        self.status.emit(f"Exported preset to {path}")
