"""Settings most artists leave alone: texture statistic, optimiser, start picture, smoothing, seed, device,
weights."""

from __future__ import annotations

from pathlib import Path

from brushwork.engine.network.devices import available_devices
from brushwork.engine.settings.style_params import MAX_WEIGHT
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QWidget,
)

from .collapsible import CollapsibleSection
from .param_changes import FieldChange
from .slider_fields import ExactSpinBox, SliderFieldWidget, wheel_only_when_focused

_CUSTOM = "file"


class AdvancedPanel(CollapsibleSection):
    """A collapsible section, closed by default. ``edited`` carries a tuple of ``FieldChange``."""

    edited = Signal(object)
    browse_init_requested = Signal()
    browse_weights_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Advanced", parent)

        self.style_loss = QComboBox()
        self.style_loss.addItem("Gram (Gatys)", "gram")
        self.style_loss.addItem("Mean + covariance (W2)", "w2")
        self.style_loss.addItem("Sliced Wasserstein", "sliced")
        self.style_loss.setToolTip(
            "What of the painting's texture the picture matches, layer by layer. Gram: the paper's channel "
            "correlations. Mean + covariance: the features' average and spread, for fuller colour and "
            "contrast. Sliced Wasserstein: their whole distribution, for textures that match in spread too "
            "(slower). A change takes effect on the next step."
        )
        self.optimizer = QComboBox()
        self.optimizer.addItem("L-BFGS (best quality)", "lbfgs")
        self.optimizer.addItem("Adam", "adam")
        self.init = QComboBox()
        self.init.addItem("the photo", "content")
        self.init.addItem("noise (as in the paper)", "noise")
        self.init.addItem("an image file...", "image")
        self.init_path = ""
        self.tv_weight = SliderFieldWidget(0.0, 2.0, spin_high=MAX_WEIGHT, step=0.05)
        self.tv_weight.setToolTip("Total-variation smoothing: higher values paint smoother, with less grain")
        # Seeds go up to 2**32 - 1, past a QSpinBox's int range.
        self.seed = ExactSpinBox()
        self.seed.setDecimals(0)
        self.seed.setRange(0, 2**32 - 1)
        self.seed.setSingleStep(1)
        self.seed.setKeyboardTracking(False)
        self.pooling = QComboBox()
        self.pooling.addItem("max", "max")
        self.pooling.addItem("average (as in the paper)", "avg")
        self.device = QComboBox()
        for name in ["auto", *available_devices()]:
            self.device.addItem(name, name)
        self.weights = QComboBox()
        self.weights.addItem("Oxford VGG19 (built in)", "oxford")
        self.weights.addItem("torchvision VGG19 (downloads 550 MB)", "torchvision")
        self.weights.addItem("a weights file...", _CUSTOM)
        self.weights_path = ""
        self.precision = QComboBox()
        self.precision.addItem("auto (bfloat16 where the hardware has it)", "auto")
        for name in ("float32", "bfloat16", "float16"):
            self.precision.addItem(name, name)
        self.stop_early = QCheckBox("Move on once the picture stops changing")
        self.stop_early.setToolTip(
            "End each scale once ten more steps would lower the loss by less than 10 % (3 % at full size) "
            "or change the picture by less than one level: the steps setting becomes a most, not a split"
        )
        self.clean_edges = QCheckBox("Clean edges (no frame along the border)")
        self.trim_frame = QCheckBox("Ignore the painting's frame (its outer 3 %)")
        self.trim_frame.setToolTip(
            "A scanned painting's frame or bare canvas edge would otherwise come back as straight lines"
        )

        form = QFormLayout(self.body)
        form.addRow("Texture statistic", self.style_loss)
        form.addRow("Optimiser", self.optimizer)
        form.addRow("Start from", self.init)
        form.addRow("Smoothing", self.tv_weight)
        form.addRow("Seed", self.seed)
        form.addRow("Pooling", self.pooling)
        form.addRow("Device", self.device)
        form.addRow("Weights", self.weights)
        form.addRow("Precision", self.precision)
        form.addRow("", self.stop_early)
        form.addRow("", self.clean_edges)
        form.addRow("", self.trim_frame)
        self._place_header_and_body()

        for field, combo in (
            ("style_loss", self.style_loss),
            ("optimizer", self.optimizer),
            ("pooling", self.pooling),
            ("device", self.device),
            ("precision", self.precision),
        ):
            combo.currentIndexChanged.connect(lambda _i, f=field, c=combo: self._emit(f, c.currentData()))
        for field, box in (
            ("stop_early", self.stop_early),
            ("clean_edges", self.clean_edges),
            ("trim_frame", self.trim_frame),
        ):
            box.toggled.connect(lambda on, f=field: self._emit(f, on))
        combos = (self.style_loss, self.optimizer, self.init, self.pooling, self.device, self.weights, self.precision)
        for widget in (*combos, self.seed):
            wheel_only_when_focused(widget)
        self.init.activated.connect(self._on_init_chosen)
        self.weights.activated.connect(self._on_weights_chosen)
        self.tv_weight.value_changed.connect(lambda value: self._emit("tv_weight", value))
        self.seed.valueChanged.connect(lambda value: self._emit("seed", int(value)))

    def _emit(self, field: str, value) -> None:
        self.edited.emit((FieldChange(field, value),))

    def set_init_image(self, path: Path) -> None:
        self.init_path = str(path)
        self._select(self.init, "image")
        self.init.setItemText(2, f"image: {Path(path).name}")
        self.edited.emit((FieldChange("init_image", self.init_path), FieldChange("init", "image")))

    def set_weights_file(self, path: Path) -> None:
        self.weights_path = str(path)
        self._select(self.weights, _CUSTOM)
        self.weights.setItemText(2, f"file: {Path(path).name}")
        self._emit("weights", self.weights_path)

    def _on_init_chosen(self, _index: int) -> None:
        init = self.init.currentData()
        if init == "image":
            self.browse_init_requested.emit()  # the file comes back through set_init_image
        else:
            self.edited.emit((FieldChange("init_image", self.init_path), FieldChange("init", init)))

    def _on_weights_chosen(self, _index: int) -> None:
        choice = self.weights.currentData()
        if choice == _CUSTOM:
            self.browse_weights_requested.emit()  # the file comes back through set_weights_file
        else:
            self._emit("weights", choice)

    @staticmethod
    def _select(combo: QComboBox, data: str) -> None:
        combo.blockSignals(True)
        index = combo.findData(data)
        if index < 0:
            combo.addItem(data, data)
            index = combo.count() - 1
        combo.setCurrentIndex(index)
        combo.blockSignals(False)

    def set_values(self, params) -> None:
        self._select(self.style_loss, params.style_loss)
        self._select(self.optimizer, params.optimizer)
        self.init_path = params.init_image
        self._select(self.init, params.init)
        self.init.setItemText(2, f"image: {Path(params.init_image).name}" if params.init_image else "an image file...")
        self.tv_weight.set_value(params.tv_weight)
        self.seed.blockSignals(True)
        self.seed.setValue(params.seed)
        self.seed.blockSignals(False)
        self._select(self.pooling, params.pooling)
        self._select(self.device, params.device)
        self._select(self.precision, params.precision)
        for box, on in (
            (self.stop_early, params.stop_early),
            (self.clean_edges, params.clean_edges),
            (self.trim_frame, params.trim_frame),
        ):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)
        if params.weights in ("oxford", "torchvision"):
            self._select(self.weights, params.weights)
        else:
            self.weights_path = params.weights
            self._select(self.weights, _CUSTOM)
            self.weights.setItemText(2, f"file: {Path(params.weights).name}")
