"""Locations of the files shipped in the ``brushwork.resources`` package."""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def resources_dir() -> Path:
    """The installed ``resources`` folder (sample images, built-in presets)."""
    return Path(str(importlib.resources.files("brushwork.resources")))


def presets_dir() -> Path:
    return resources_dir() / "presets"


def samples_dir() -> Path:
    return resources_dir() / "samples"


def sample_images() -> tuple[Path, Path]:
    """The demo's content photo and style painting."""
    folder = samples_dir()
    return folder / "chelsea.png", folder / "starry_night.jpg"
