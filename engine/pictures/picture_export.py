"""Exporting a finished picture: size, format, JPEG quality and 16 bits per channel.

The preview the window holds is 8-bit; the optimiser's picture is float32.
A 16-bit PNG is written from the float picture when the run handed it over
(``Progress.picture16`` on the last report), so the extra bits are real, not
an 8-bit picture stretched. Pillow cannot write 48-bit RGB PNGs, so that one
is written here (the format is short: a signature and four chunks).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ImageSaveError
from ..files.atomic_write import write_atomically
from .images import write_failure
from .picture_metadata import itxt_chunk, png_info, tiff_info

EXPORT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}


@dataclass(frozen=True)
class ExportOptions:
    """How to write the picture: long side in pixels, JPEG quality (1-100), bits per channel (8 or 16: PNG, TIFF)."""

    long_side: int
    quality: int = 95
    bits: int = 8


def png16_bytes(pixels: np.ndarray, preset_json: str | None = None) -> bytes:
    """A 16-bit-per-channel RGB PNG of a uint16 H x W x 3 array, with the settings' text chunk if given."""
    height, width, _ = pixels.shape
    rows = pixels.astype(">u2").reshape(height, width * 3).view(np.uint8)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()  # filter type 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)  # 16 bits, truecolour
    text = itxt_chunk(preset_json) if preset_json is not None else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + text
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def tiff16_bytes(pixels: np.ndarray, description: str | None = None) -> bytes:
    """A 16-bit-per-channel RGB TIFF of a uint16 H x W x 3 array: one Deflate strip, little-endian.

    Pillow writes no 48-bit RGB TIFF either. Baseline TIFF with the Adobe
    Deflate compression (8) that print software reads; ``description`` goes
    into ImageDescription, where ``engine.pictures.picture_metadata`` looks for the settings.
    """
    height, width, _ = pixels.shape
    strip = zlib.compress(pixels.astype("<u2").tobytes(), 6)
    text = (description.encode("utf-8") + b"\0") if description is not None else b""
    # Layout: header (8), BitsPerSample values (6), description, strip, then the directory.
    bits_at = 8
    text_at = bits_at + 6
    strip_at = text_at + len(text)
    ifd_at = strip_at + len(strip)
    ifd_at += ifd_at % 2  # a directory starts on a word boundary
    entries = [
        (256, 4, 1, width),  # ImageWidth, LONG
        (257, 4, 1, height),  # ImageLength
        (258, 3, 3, bits_at),  # BitsPerSample: 16, 16, 16 (at an offset: three SHORTs do not fit in four bytes)
        (259, 3, 1, 8),  # Compression: Adobe Deflate
        (262, 3, 1, 2),  # PhotometricInterpretation: RGB
        *([(270, 2, len(text), text_at)] if text else []),  # ImageDescription, ASCII
        (273, 4, 1, strip_at),  # StripOffsets
        (277, 3, 1, 3),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip: one strip
        (279, 4, 1, len(strip)),  # StripByteCounts
        (284, 3, 1, 1),  # PlanarConfiguration: chunky
    ]
    directory = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<H", value) + b"\0\0" if kind == 3 and count == 1 else struct.pack("<I", value)
        directory += struct.pack("<HHI", tag, kind, count) + packed
    directory += struct.pack("<I", 0)  # no next directory
    head = b"II*\0" + struct.pack("<I", ifd_at)
    out = head + struct.pack("<HHH", 16, 16, 16) + text + strip
    return out + b"\0" * (ifd_at - len(out)) + directory


def _resize16(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Lanczos per channel in 32-bit integer mode (Pillow has no 16-bit RGB mode)."""
    channels = [
        np.asarray(Image.fromarray(pixels[..., c].astype(np.int32), "I").resize((width, height), Image.LANCZOS))
        for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=-1), 0, 65535).astype(np.uint16)


def export_picture(
    picture: np.ndarray,
    path: Path,
    options: ExportOptions,
    picture16: np.ndarray | None = None,
    preset_json: str | None = None,
) -> Path:
    """Write ``picture`` (uint8 H x W x 3) to ``path``; ``picture16`` is the same picture at 16 bits, if known.

    A PNG or TIFF keeps ``preset_json``, the settings that made it (``engine.pictures.picture_metadata``).
    """
    path = Path(path)
    fmt = EXPORT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageSaveError(f"Cannot export {path.name}: use .png, .jpg or .tif")
    if not path.parent.is_dir():
        raise ImageSaveError(f"Cannot export {path.name}: the folder {path.parent} does not exist")
    height, width = picture.shape[:2]
    scale = options.long_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if options.bits == 16 and fmt in ("PNG", "TIFF"):
        source = picture16 if picture16 is not None else picture.astype(np.uint16) * 257
        pixels = source if size == (width, height) else _resize16(source, *size)
        data = png16_bytes(pixels, preset_json) if fmt == "PNG" else tiff16_bytes(pixels, preset_json)

        def write(handle) -> None:
            handle.write(data)
    else:
        image = Image.fromarray(picture, "RGB")
        if size != image.size:
            image = image.resize(size, Image.Resampling.LANCZOS)
        options_for = {
            "JPEG": {"quality": options.quality, "subsampling": 0},
            "PNG": {"pnginfo": png_info(preset_json)} if preset_json is not None else {},
            "TIFF": {"compression": "tiff_deflate", "tiffinfo": tiff_info(preset_json)},
        }[fmt]

        def write(handle) -> None:
            image.save(handle, format=fmt, **options_for)

    try:
        write_atomically(path, write)
    except OSError as exc:
        raise ImageSaveError(f"Could not export {path.name}: {write_failure(exc)}") from None
    return path
