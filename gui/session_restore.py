"""What the window restores at launch: crash recovery first, then the last session."""

from __future__ import annotations

import numpy as np

from .image_inputs import CONTENT, STYLE
from .qt_images import array_to_qimage


class SessionRestoreMixin:
    """The studio window's launch-time restore (uses its autosave, session store and dialogs)."""

    def _offer_recovery(self) -> bool:
        """After a crash: offer the autosaved images, settings and picture. True if restored."""
        if not self.autosave.recoverable():
            return False
        if not self.dialogs.confirm(
            "Restore your work?",
            "Brushwork did not close properly last time. Restore the images, settings and the picture it was painting?",
        ):
            self.autosave.mark_clean_exit()
            return False
        found = self.autosave.recover()
        if found is None:
            self.show_error("The autosaved work could not be read; starting afresh.")
            return False
        self._set_well_image(self.content_well, found.content, found.content_path, found.content.size)
        self.extra_styles = list(zip(found.style_paths[1:], found.styles[1:], strict=False))
        self._set_well_image(self.style_well, found.styles[0], found.style_paths[0], found.styles[0].size)
        self.set_params(found.params)
        if found.picture is not None:
            self.picture = np.asarray(found.picture).copy()
            self.picture_saved = False
            self.preview.set_picture(array_to_qimage(self.picture))
            self.banner.show_message(
                f"Restored the picture from step {found.step} of {found.total_steps}.",
                "Continue the run",
                lambda: self.continue_from_picture(step=found.step),
            )
        self._update_run_buttons()
        return True

    def _restore_session(self) -> None:
        if self._offer_recovery():
            return
        params, warning = self.session.load_params()
        self.editor.set_params(params)
        name = self.session.preset_name()
        if name:
            self.presets_bar.select(name)
        if warning:
            self.show_error(warning)
        state = self.session.layout_state()
        if "geometry" in state:
            self.restoreGeometry(state["geometry"])
        if "state" in state:
            self.restoreState(state["state"])
        if "splitter" in state:
            self.splitter.restoreState(state["splitter"])
        for role in (CONTENT, STYLE):
            path = self.session.image_path(role)
            if path is not None and path.exists():
                self.load_image_into(role, path)

    def save_session(self) -> None:
        self.session.save_params(self.params())
        self.session.set_layout_state(
            geometry=self.saveGeometry(), state=self.saveState(), splitter=self.splitter.saveState()
        )
        self.session.sync()
