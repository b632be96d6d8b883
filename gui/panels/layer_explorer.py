"""What are we transferring? A layer's feature maps and its Gram matrix, for any of the images."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine

from brushwork.engine.errors import BrushworkError
from brushwork.engine.network.layers import CONV_LAYERS
from brushwork.engine.objective.layer_explorer import LayerView, gram_heatmap, heatmap_scale, look_at_layer, map_grid
from PIL import Image
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QComboBox, QDialog, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout

from ..qt_images import pil_to_qimage
from ..roles import CONTENT, STYLE

PICTURE = "Picture"
MAPS_SIDE = 420  # the feature-map grid is fitted into a label at least this wide
GRAM_SIDE = 280

HINT = (
    "Each tile is one channel's response, brightest where it fires most (the 64 most active channels). "
    "The Gram matrix on the right is what the style term matches: how strongly each pair of channels "
    "fires together, wherever in the picture. Early layers answer to colour and edges, late ones to "
    "textures and object parts."
)


def _pictures(image: Image.Image, layer: str, weights: str, room: tuple[int, int]):
    """Runs in a worker thread: the layer's view, its map grid fitted to ``room`` and its heat map.

    All of it is plain PIL and numpy work; on the GUI thread it stalled the window for 60 ms.
    """
    view = look_at_layer(image, layer, weights=weights)
    grid = map_grid(view)
    # Fit the label it goes in (the first release drew 560 px into a 420 px label and clipped it).
    scale = min(1.0, room[0] / grid.width, room[1] / grid.height)
    grid = grid.resize((round(grid.width * scale), round(grid.height * scale)), Image.Resampling.BILINEAR)
    return view, grid, gram_heatmap(view, GRAM_SIDE)


class LayerExplorerWindow(QDialog):
    """A non-modal window; it computes off the GUI thread and shows the newest request only.

    Parameters
    ----------
    sources
        The image for a source name (Content, Style, Picture), or None.
    weights
        The weights setting in force; read on the GUI thread, at each request.
    spawn
        Runs a coroutine on the window's loop and reports its failures.
    """

    shown = Signal(object)  # LayerView, when a view has been drawn

    def _scale_pixmap(self, view: LayerView) -> QPixmap:
        """The colour bar with the Gram values it stands for (log scale)."""
        bar, ticks = heatmap_scale(view, GRAM_SIDE)
        metrics = self.fontMetrics()
        labels = [f"{value:.3g}" for value, _ in ticks]
        width = bar.width + 6 + max(metrics.horizontalAdvance(text) for text in labels)
        pixmap = QPixmap(width, GRAM_SIDE + metrics.height())
        pixmap.fill(self.palette().color(QPalette.ColorRole.Window))
        painter = QPainter(pixmap)
        top = metrics.height() // 2
        painter.drawImage(0, top, pil_to_qimage(bar))
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        for (_, fraction), text in zip(ticks, labels, strict=True):
            y = top + round(fraction * (GRAM_SIDE - 1))
            painter.drawLine(bar.width, y, bar.width + 3, y)
            painter.drawText(bar.width + 6, y + metrics.ascent() // 2, text)
        painter.end()
        return pixmap

    def __init__(
        self,
        sources: Callable[[str], Image.Image | None],
        weights: Callable[[], str],
        spawn: Callable[[Coroutine], asyncio.Task],
        parent=None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Layer explorer")
        self.sources = sources
        self.weights = weights
        self.spawn = spawn
        self.layer = QComboBox()
        for name in CONV_LAYERS:
            self.layer.addItem(name, name)
        self.layer.setCurrentText("conv3_1")
        self.source = QComboBox()
        for name in (CONTENT, STYLE, PICTURE):
            self.source.addItem(name, name)
        self.maps = QLabel()
        self.maps.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.maps.setMinimumSize(MAPS_SIDE, MAPS_SIDE * 3 // 4)
        self.gram = QLabel()
        self.gram.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scale_bar = QLabel()  # the heat map's colour scale, with its values
        self.scale_bar.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
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
        grid.addWidget(self.scale_bar, 1, 2)
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
        # Everything Qt-side is read here, on the GUI thread; the worker gets plain values.
        room = self.maps.contentsRect().size()
        request = (self._request, image, self.layer.currentData(), self.weights(), (room.width(), room.height()))
        return self.spawn(self._compute(*request))

    async def _compute(self, request: int, image: Image.Image, layer: str, weights: str, room) -> None:
        self.info.setText(f"Looking at {layer}...")
        loop = asyncio.get_running_loop()
        try:
            view, grid, heatmap = await loop.run_in_executor(None, _pictures, image, layer, weights, room)
        except BrushworkError as exc:
            self.info.setText(str(exc))
            return
        if request != self._request:
            return  # the artist already asked for another layer
        self.maps.setPixmap(QPixmap.fromImage(pil_to_qimage(grid)))
        self.gram.setPixmap(QPixmap.fromImage(pil_to_qimage(heatmap)))
        self.scale_bar.setPixmap(self._scale_pixmap(view))
        shown = len(view.map_channels)
        self.info.setText(
            f"{layer}: {view.channels} channels, {view.maps.shape[2]} x {view.maps.shape[1]} positions; "
            f"showing the {shown} most active"
        )
        self.view = view
        self.shown.emit(view)
