"""Brushwork's engine: Gatys et al. (2016) neural style transfer on VGG19.

Pure PyTorch and Pillow; it never imports Qt. Front ends drive it through
``StyleTransfer.run()``, which yields frozen ``Progress`` records.
"""

import importlib

# Names are imported on first use (PEP 562), so that light users of the package
# (``brushwork-render --help``, the parameter and preset modules) do not pay
# for loading PyTorch.
_WHERE = {
    "BrushworkError": "errors",
    "DeviceError": "errors",
    "ImageLoadError": "errors",
    "ImageSaveError": "errors",
    "ParamsError": "errors",
    "PresetError": "errors",
    "WeightsError": "errors",
    "load_image": "pictures.images",
    "save_image": "pictures.images",
    "LossTerms": "objective.loss_terms",
    "StyleParams": "settings.style_params",
    "Preset": "settings.presets",
    "builtin_presets": "settings.presets",
    "find_preset": "settings.presets",
    "load_preset": "settings.presets",
    "save_preset": "settings.presets",
    "Progress": "run.progress",
    "RegionError": "settings.regions",
    "RegionMasks": "settings.regions",
    "RegionSetting": "settings.regions",
    "StyleTransfer": "run.style_transfer",
    "render": "run.style_transfer",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
