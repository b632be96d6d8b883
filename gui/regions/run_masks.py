"""The regions' masks on their way to the run, and to the autosave.

The regions' settings are parameters and take the parameters' path. Their
masks (``RegionMaskDocument``) go to the run beside the parameters, through
``RunController.update(masks=...)``, at most ten times a second while a stroke
goes and once when it ends. Masks on the paintings (``RegionMasks.style``) go
with them, only for regions whose style is that one painting: when a region's
style or the paintings change, the masks go in the same update as the change.
"""

from __future__ import annotations

from collections.abc import Callable

from brushwork.engine.settings.regions import RegionMasks
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image
from PySide6.QtCore import QObject, QTimer

from ..panels.params_editor import ParamsEditor
from ..persist.autosave import Autosave
from ..run.controller import RunController
from .region_colour import Colour
from .region_editing import RegionEditing
from .region_masks import RegionMaskDocument

MASK_AUTOSAVE_MS = 1000  # the masks are autosaved this long after the last edit, not after every stroke


class RunMasks(QObject):
    """What the run knows of the regions: sends it parameters, with the masks whenever they are news to it.

    ``params`` are the parameters the run last got. ``autosave_later`` writes
    with the window's one autosave thread, after the writes before it.
    """

    def __init__(
        self,
        controller: RunController,
        mask_doc: RegionMaskDocument,
        region_editing: RegionEditing,
        editor: ParamsEditor,
        autosave: Autosave,
        autosave_later: Callable[..., None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller, self.mask_doc, self.region_editing, self.editor = controller, mask_doc, region_editing, editor
        self.autosave, self._autosave_later = autosave, autosave_later
        self.params = editor.current
        self._colours: list[Colour] = []  # the regions the run last got masks for, in order
        # The painting masks it last got. Compared by value (an unchanged mask is the same object, so that is
        # quick): a mask coming into force, leaving it or changing is news to the run.
        self._sent_style_masks: tuple[Image.Image | None, ...] = ()
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(MASK_AUTOSAVE_MS)
        mask_doc.masks_edited.connect(self._on_masks_edited)
        mask_doc.committed.connect(self._autosave_timer.start)
        self._autosave_timer.timeout.connect(self._on_autosave_due)

    def send_params(self, params: StyleParams) -> None:
        """To the run; with the masks too when the regions came, went or moved, so that both reach one step.

        Likewise when a region's painting mask comes into force or leaves it
        (its style became, or stopped being, that one painting): the engine
        must never meet a painting mask with a region that blends paintings.
        """
        self.params = params
        colours = [region.rgb for region in params.regions]
        style = self.mask_doc.painting_masks.style_masks(params.regions, self.region_editing.picture_blend(params))
        if colours != self._colours or tuple(style) != self._sent_style_masks:
            self.controller.update(params, masks=self._masks_for(params))
        else:
            self.controller.update(params)

    def start_run(self, params: StyleParams) -> RegionMasks:
        """The masks for a run that starts with ``params`` (noted as the ones it has)."""
        self.params = params
        return self._masks_for(params)

    def for_new_inputs(self) -> RegionMasks | None:
        """The masks to go with a new photo or new paintings: None while there are no regions."""
        return self._masks_for(self.params) if self.params.regions else None

    def sent_masks(self) -> tuple[dict[Colour, Image.Image], dict[Colour, tuple[int, Image.Image]]]:
        """The masks the run last got, on the photo and on the paintings, as the autosave keeps them."""
        return self.mask_doc.images(self._colours), self.mask_doc.painting_masks.files(self._colours)

    def _masks_for(self, params: StyleParams) -> RegionMasks:
        """The masks for the run with ``params`` and the paintings loaded now (noted as the ones it has)."""
        masks = self.mask_doc.region_masks(params.regions, self.region_editing.picture_blend(params))
        self._colours = [region.rgb for region in params.regions]
        self._sent_style_masks = tuple(masks.style)
        return masks

    def _on_masks_edited(self) -> None:
        if self.controller.running:
            self.controller.update(masks=self._masks_for(self.params))

    def _on_autosave_due(self) -> None:
        colours = [region.rgb for region in self.editor.current.regions]
        on_paintings = self.mask_doc.painting_masks.files(colours)
        self._autosave_later(self.autosave.save_masks, self.mask_doc.images(colours), on_paintings)
