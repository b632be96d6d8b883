"""The file a print render writes: its format, and whether it can be written at all, checked before hours of work."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from brushwork.engine.pictures.images import write_failure

# What a print shop takes at more than 8 bits: PNG or TIFF, both written with the settings inside.
FORMATS = (("PNG, 16 bits per channel", ".png"), ("TIFF, 16 bits per channel", ".tif"))
SUFFIXES = {".png": ".png", ".tif": ".tif", ".tiff": ".tif"}


def with_suffix(path: Path, suffix: str) -> Path:
    """``path`` in the format of ``suffix`` (a .tiff stays .tiff when TIFF is chosen)."""
    if SUFFIXES.get(path.suffix.lower()) == suffix:
        return path
    return path.with_suffix(suffix) if path.suffix.lower() in SUFFIXES or not path.suffix else Path(f"{path}{suffix}")


def output_problem(path: Path) -> str | None:
    """Why the picture could not be written to ``path``, in words that say what to do; None when it can.

    The folder is probed by creating a file in it: permission bits alone
    would pass for root, a read-only mount or a full disk.
    """
    if not str(path).strip() or path.name in ("", ".", ".."):
        return "Choose the file to write."
    if path.is_dir():
        return f"{path} is a folder: choose a file name in it."
    if path.suffix.lower() not in SUFFIXES:
        return f"{path.name} is neither .png nor .tif: the print is written as a 16-bit PNG or TIFF."
    folder = path.parent
    if not folder.exists():
        return f"Cannot write {path.name}: the folder {folder} does not exist."
    if not folder.is_dir():
        return f"Cannot write {path.name}: {folder} is a file, not a folder."
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".brushwork-probe-"):
            pass
    except OSError as exc:
        return f"Cannot write {path.name} into {folder}: {write_failure(exc)}. Choose another folder."
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} exists and cannot be replaced."
    return None
