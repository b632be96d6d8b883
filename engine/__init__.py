"""Brushwork's engine: Gatys et al. (2016) neural style transfer on VGG19.

Pure PyTorch and Pillow; it never imports Qt. Front ends drive it through
``StyleTransfer.run()``, which yields frozen ``Progress`` records.
"""

from .errors import (
    BrushworkError,
    DeviceError,
    ImageLoadError,
    ImageSaveError,
    ParamsError,
    PresetError,
    WeightsError,
)
from .images import load_image, save_image
from .losses import LossTerms
from .params import StyleParams
from .presets import Preset, builtin_presets, find_preset, load_preset, save_preset
from .progress import Progress
from .transfer import StyleTransfer, render

__all__ = [
    "BrushworkError",
    "DeviceError",
    "ImageLoadError",
    "ImageSaveError",
    "LossTerms",
    "ParamsError",
    "Preset",
    "PresetError",
    "Progress",
    "StyleParams",
    "StyleTransfer",
    "WeightsError",
    "builtin_presets",
    "find_preset",
    "load_image",
    "load_preset",
    "render",
    "save_image",
    "save_preset",
]
