"""What are we transferring? A layer's feature maps and its Gram matrix, for any of the images."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PIL import Image
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QDialog, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout

from engine.errors import BrushworkError
from engine.explore import LayerView, gram_heatmap, look_at_layer, map_grid
from engine.layers import CONV_LAYERS

from .image_inputs import CONTENT, STYLE
from .qt_images import pil_to_qimage

PICTURE = "Picture"

HINT = (
    "Each tile is one channel's response, brightest where it fires most (the 64 most active channels). "
    "The Gram matrix on the right is what the style term matches: how strongly each pair of channels "
    "fires together, wherever in the picture. Early layers answer to colour and edges, late ones to "
    "textures and object parts."
)


class LayerExplorerWindow(QDialog):
    """A non-modal window; it computes off the GUI thread and shows the newest request only."""

    shown = Signal(object)  # LayerView, when a view has been drawn

    def __init__(self, sources: Callable[[str], Image.Image | None], weights: Callable[[], str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Layer explorer")
        self.sources = sources
        self.weights = weights
        self.layer = QComboBox()
        for name in CONV_LAYERS:
            self.layer.addItem(name, name)
        self.layer.setCurrentText("conv3_1")
        self.source = QComboBox()
        for name in (CONTENT, STYLE, PICTURE):
            self.source.addItem(name, name)
        self.maps = QLabel()
        self.maps.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.maps.setMinimumSize(420, 320)
        self.gram = QLabel()
        self.gram.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.info = QLabel()
        hint = QLabel(HINT)
        hint.setWordWrap(True)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Layer"))
        controls.addWidget(self.layer)
        controls.addWidget(QLabel("Image"))
        controls.addWidget(self.source)
        controls.addStretch(1)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Feature maps</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Gram matrix</b>"), 0, 1)
        grid.addWidget(self.maps, 1, 0)
        grid.addWidget(self.gram, 1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(grid)
        layout.addWidget(self.info)
        layout.addWidget(hint)
        self.layer.currentIndexChanged.connect(self.refresh)
        self.source.currentIndexChanged.connect(self.refresh)
        self._request = 0
        self.view: LayerView | None = None

    def refresh(self, *_args) -> asyncio.Task | None:
        image = self.sources(self.source.currentData())
        if image is None:
            self.info.setText(f"No {self.source.currentData().lower()} image yet.")
            return None
        self._request += 1
        return asyncio.ensure_future(self._compute(self._request, image, self.layer.currentData()))

    async def _compute(self, request: int, image: Image.Image, layer: str) -> None:
        self.info.setText(f"Looking at {layer}...")
        loop = asyncio.get_running_loop()
        try:
            view = await loop.run_in_executor(None, lambda: look_at_layer(image, layer, weights=self.weights()))
        except BrushworkError as exc:
            self.info.setText(str(exc))
            return
        if request != self._request:
            return  # the artist already asked for another layer
        grid = map_grid(view)
        scale = min(1.0, 560 / max(grid.size))
        grid = grid.resize((round(grid.width * scale), round(grid.height * scale)), Image.Resampling.BILINEAR)
        self.maps.setPixmap(QPixmap.fromImage(pil_to_qimage(grid)))
        self.gram.setPixmap(QPixmap.fromImage(pil_to_qimage(gram_heatmap(view, 280))))
        shown = len(view.map_channels)
        self.info.setText(
            f"{layer}: {view.channels} channels, {view.maps.shape[2]} x {view.maps.shape[1]} positions; "
            f"showing the {shown} most active"
        )
        self.view = view
        self.shown.emit(view)
