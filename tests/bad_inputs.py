"""A catalogue of bad and awkward inputs, shared by the engine, CLI and window tests."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import make_photo


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 10)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _truncated(tmp: Path, name: str, fmt: str) -> Path:
    path = tmp / name
    make_photo(200, 150).save(path, format=fmt)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    return path


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _folder(tmp: Path) -> Path:
    path = tmp / "holiday photos.png"
    path.mkdir()
    return path


# name: (make(tmp) -> path, words the message must contain)
BAD_IMAGES = {
    "zero-byte file": (lambda t: _write(t, "empty.png", b""), "is empty"),
    "truncated JPEG": (lambda t: _truncated(t, "cut.jpg", "JPEG"), "damaged or truncated"),
    "truncated PNG": (lambda t: _truncated(t, "cut.png", "PNG"), "damaged or truncated"),
    "text file named .png": (lambda t: _write(t, "notes.png", b"shopping list\n- eggs\n"), "not an image"),
    "PDF": (lambda t: _write(t, "scan.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), "PDF document"),
    "SVG": (
        lambda t: _write(t, "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
        "SVG drawing",
    ),
    "folder": (_folder, "is a folder"),
    "missing file": (lambda t: t / "gone.png", "does not exist"),
    "20000 x 20000 px (decompression bomb)": (
        lambda t: _write(t, "bomb.png", _png_header_only(20000, 20000)),
        "too large",
    ),
}


def _mode_image(mode: str) -> Image.Image:
    base = make_photo(40, 30)
    if mode == "I;16":
        grey = np.asarray(base.convert("L"), dtype=np.uint16) * 257
        return Image.fromarray(grey)
    if mode == "PA":
        image = base.convert("P")
        image.info["transparency"] = 0
        return image
    return base.convert(mode)


def _exif_rotated(tmp: Path) -> Path:
    path = tmp / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    make_photo(40, 30).save(path, exif=exif)
    return path


def _animated(tmp: Path) -> Path:
    path = tmp / "anim.gif"
    frames = [make_photo(40, 30), make_photo(40, 30).transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=80, loop=0)
    return path


def _saved(name: str, mode: str, **options):
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _mode_image(mode).save(path, **options)
        return path

    return make


# name: (make(tmp) -> path, (width, height) expected after loading)
AWKWARD_IMAGES = {
    "spaces and non-ASCII in the path": (_saved("mes images/été à Arles — 1.png", "RGB"), (40, 30)),
    "1 x 1 px": (lambda t: _one_pixel(t), (1, 1)),
    "16-bit PNG": (_saved("deep.png", "I;16"), (40, 30)),
    "CMYK JPEG": (_saved("print.jpg", "CMYK"), (40, 30)),
    "palette PNG with transparency": (_saved("palette.png", "PA", transparency=0), (40, 30)),
    "LA PNG": (_saved("grey-alpha.png", "LA"), (40, 30)),
    "animated GIF": (_animated, (40, 30)),
    "WebP": (_saved("photo.webp", "RGB"), (40, 30)),
    "TIFF": (_saved("scan.tiff", "RGB"), (40, 30)),
    "EXIF-rotated JPEG": (_exif_rotated, (30, 40)),
}


def _one_pixel(tmp: Path) -> Path:
    path = tmp / "dot.png"
    Image.new("RGB", (1, 1), (200, 30, 30)).save(path)
    return path


def preset_text(kind: str) -> str | bytes:
    """Preset files that must be refused, by kind."""
    return {
        "invalid JSON": '{"schema_version": 2, "params": {',
        "a JSON array": "[1, 2, 3]",
        "unknown field": '{"schema_version": 2, "params": {"sharpness": 3}}',
        "wrong type": '{"schema_version": 2, "params": {"steps": "many"}}',
        "NaN": '{"schema_version": 2, "params": {"beta": NaN}}',
        "+inf": '{"schema_version": 2, "params": {"alpha": Infinity}}',
        "-inf": '{"schema_version": 2, "params": {"tv_weight": -Infinity}}',
        "negative weight": '{"schema_version": 2, "params": {"style_layers": {"conv2_1": -0.5}}}',
        "unknown layer": '{"schema_version": 2, "params": {"style_layers": {"conv6_1": 1}}}',
        "schema from the future": '{"schema_version": 7, "params": {}}',
    }[kind]


BAD_PRESETS = {
    "invalid JSON": "not valid JSON",
    "a JSON array": "must hold a JSON object",
    "unknown field": "unknown field 'sharpness'",
    "wrong type": "steps must be a whole number",
    "NaN": "NaN is not a valid number",
    "+inf": "Infinity is not a valid number",
    "-inf": "-Infinity is not a valid number",
    "negative weight": "style_layers.conv2_1 must be between",
    "unknown layer": "unknown layer 'conv6_1'",
    "schema from the future": "newer Brushwork",
}
