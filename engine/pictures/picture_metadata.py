"""The settings that made a picture, kept inside the picture's file.

A PNG carries them as an ``iTXt`` text chunk (keyword ``brushwork-preset``,
UTF-8), a TIFF in its ImageDescription tag: the same preset JSON as a preset
file. ``brushwork-render --preset PICTURE.png`` remakes the picture from them
(the masks of regions are not in it: they belong to the photo).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from ..errors import PresetError

PRESET_KEY = "brushwork-preset"
TIFF_DESCRIPTION = 270  # the ImageDescription tag
PICTURE_SUFFIXES = (".png", ".tif", ".tiff")


def png_info(preset_json: str | None) -> PngImagePlugin.PngInfo | None:
    """Pillow's text chunks for a PNG save, or None without settings."""
    if preset_json is None:
        return None
    info = PngImagePlugin.PngInfo()
    info.add_itxt(PRESET_KEY, preset_json)
    return info


def itxt_chunk(preset_json: str) -> bytes:
    """An uncompressed ``iTXt`` chunk holding the settings, for PNGs written byte by byte (16-bit)."""
    data = PRESET_KEY.encode("latin-1") + b"\0\0\0" + b"\0" + b"\0" + preset_json.encode("utf-8")
    return struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data) & 0xFFFFFFFF)


def tiff_info(preset_json: str | None) -> dict:
    return {TIFF_DESCRIPTION: preset_json} if preset_json is not None else {}


def read_preset_json(path: str | Path) -> str:
    """The settings a picture file carries; a ``PresetError`` if it carries none or is not a picture."""
    path = Path(path)
    try:
        with Image.open(path) as image:
            text = getattr(image, "text", {}).get(PRESET_KEY) if image.format == "PNG" else None
            if image.format == "TIFF":
                text = image.tag_v2.get(TIFF_DESCRIPTION)
    except FileNotFoundError:
        raise PresetError(f"{path} does not exist") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise PresetError(f"{path.name} is not a picture Brushwork can read settings from ({exc})") from None
    if not text:
        raise PresetError(
            f"{path.name} carries no Brushwork settings: only PNG and TIFF pictures saved by Brushwork do"
        )
    return str(text)
