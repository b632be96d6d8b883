"""Reading, converting and writing pictures.

Everything that leaves this module is an 8-bit RGB ``PIL.Image`` or a float
tensor in [0, 1] of shape (1, 3, H, W); the engine never sees another mode,
but for a painting with transparent parts, which stays RGBA (``load_image``'s
``keep_alpha``) until ``transparency.painting_tensors`` makes its colours and
its coverage.
"""

from __future__ import annotations

import errno
import logging
import threading
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageLoadError, ImageSaveError
from ..files.atomic_write import write_atomically
from .picture_metadata import png_info

log = logging.getLogger(__name__)
_OPENING = threading.Lock()  # open_picture's

# Pillow warns above ~89 MP and refuses above ~179 MP (its decompression-bomb
# guard, which reads only the header). We keep its limit, log what happens in
# place of the warning (open_picture) and decode everything below it,
# shrinking JPEGs in the decoder where Pillow's draft mode allows.
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
JPEG_QUALITY = 95
# The long side images are decoded to at most: the engine never paints larger
# (params.MAX_SIZE), and a 100-megapixel photo would otherwise cost gigabytes.
MAX_DECODE_SIDE = 4096
MIN_PHOTO_SIDE = 16  # check_photo_size's
_WEB_SCHEMES = ("http://", "https://", "ftp://")


def is_web_address(text: str) -> bool:
    """True for a URL (as dropped from a browser). We never download on the
    artist's behalf: nothing touches the network unless they chose the
    torchvision weights."""
    return text.lower().startswith(_WEB_SCHEMES)


_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "a gzip archive"),
)


def _not_an_image_reason(head: bytes) -> str | None:
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return what
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in head.lower()):
        return "an SVG drawing (vector graphics); export it as PNG first"
    if text.startswith((b"<!doctype html", b"<html")):
        return "a web page"
    return None


def load_image(path: str | Path, max_side: int | None = None, keep_alpha: bool = False) -> Image.Image:
    """Open any raster image Pillow reads, as 8-bit RGB.

    EXIF orientation is applied; grey, palette, CMYK, 16-bit and float images are
    converted; transparency is composited onto white, unless ``keep_alpha`` (a
    painting, whose transparent parts are no part of its style): an image with
    a pixel less than opaque then comes back as RGBA. An animated image gives
    its first frame. With ``max_side`` the image is shrunk (with antialiasing)
    so that its long side is at most that, decoding at reduced size when the
    format allows.

    Raises
    ------
    ImageLoadError
        With a message that says what is wrong with which file.
    """
    path = Path(path)
    name = path.name or str(path)
    if path.is_dir():
        raise ImageLoadError(f"{name} is a folder, not an image")
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except FileNotFoundError:
        raise ImageLoadError(f"{path} does not exist") from None
    except PermissionError:
        raise ImageLoadError(f"{name} cannot be read: permission denied") from None
    except OSError as exc:
        raise ImageLoadError(f"{name} cannot be read: {exc.strerror or exc}") from None
    if not head:
        raise ImageLoadError(f"{name} is empty (0 bytes)")
    reason = _not_an_image_reason(head)
    if reason:
        raise ImageLoadError(f"{name} is {reason}, not an image")

    try:
        with open_picture(path) as image:
            if max_side and image.format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 size: far less memory.
                image.draft("RGB", (max_side, max_side))
            image.load()
            # exif_transpose always returns a new image, which outlives the file.
            rgb = _to_rgb(ImageOps.exif_transpose(image), keep_alpha)
    except UnidentifiedImageError:
        raise ImageLoadError(f"{name} is not an image Brushwork can read") from None
    except Image.DecompressionBombError as exc:
        # Pillow refuses at open() what is far beyond the limit; its message gives the pixel count.
        raise ImageLoadError(f"{name} is too large to open safely: {exc}; scale it down first") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        detail = str(exc).strip() or type(exc).__name__
        raise ImageLoadError(f"{name} is damaged or truncated ({detail})") from None
    except MemoryError:
        raise ImageLoadError(f"{name} is too large to open in the memory available") from None
    if min(rgb.size) < 1:
        raise ImageLoadError(f"{name} has no pixels")
    if rgb.mode == "RGBA" and rgb.getextrema()[3][1] == 0:
        raise ImageLoadError(f"{name} is transparent all over: it has no paint to take a style from")
    if max_side and max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return rgb


def open_picture(path: str | Path, say: bool = True) -> Image.Image:
    """``Image.open``, with Pillow's DecompressionBombWarning (from 89 MP) said in the log as what happens.

    Pillow refuses a picture from 179 MP on (DecompressionBombError, from the
    header); below that a 12000 x 8000 photo or its mask is no attack, and it is
    shrunk to the size painted as soon as it is read. The warning came on the
    terminal and the command line's stderr; other warnings pass as they were.
    Pillow checks in ``open`` (the header), so the lock, which keeps two threads
    from swapping the warnings module's state under each other, is held briefly.
    """
    with _OPENING, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", Image.DecompressionBombWarning)
        image = Image.open(path)
    for warning in caught:
        if not issubclass(warning.category, Image.DecompressionBombWarning):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        elif say:
            log.info(
                "%s is %d x %d px, over Pillow's warning size (%d megapixels): it is read as usual, then "
                "shrunk to the size painted (at most %d px on its long side)",
                Path(path).name,
                *image.size,
                Image.MAX_IMAGE_PIXELS // 1_000_000,
                MAX_DECODE_SIDE,
            )
    return image


def original_size(path: str | Path) -> tuple[int, int]:
    """(width, height) as the image is displayed (EXIF rotation included), from its header."""
    with open_picture(path, say=False) as image:  # said once, where the picture is read
        width, height = image.size
        if image.getexif().get(0x0112) in (5, 6, 7, 8):  # rotated by 90 degrees
            width, height = height, width
    return width, height


def _to_rgb(image: Image.Image, keep_alpha: bool = False) -> Image.Image:
    """RGB, or with ``keep_alpha`` RGBA where some pixel is less than opaque."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return _deep_to_rgb(image)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        if keep_alpha and rgba.getextrema()[3][0] < 255:
            return rgba
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _deep_to_rgb(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit and float grey images: scale to 8 bits instead of clipping."""
    with np.errstate(invalid="ignore"):  # signalling NaNs in float TIFFs warn when cast
        values = np.asarray(image, dtype=np.float64)
    finite = values[np.isfinite(values)]  # float TIFFs may hold NaN or inf
    top = finite.max() if finite.size else 0.0
    if image.mode.startswith("I;16"):
        scaled = values / 257.0
    elif image.mode == "F" and top <= 1.0:
        scaled = values * 255.0
    elif 255 < top <= 65535:
        scaled = values / 257.0
    elif top > 65535:
        scaled = values * (255.0 / top)  # 32-bit data: keep relative brightness
    else:
        scaled = values
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    grey = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return Image.fromarray(grey).convert("RGB")


def check_photo_size(name: str, size: tuple[int, int]) -> None:
    """An ``ImageLoadError`` for a photo too small to paint from (a 1 x 1 one painted pure texture).

    VGG's four poolings leave one feature of a 16 px side: a smaller photo has
    nothing left for the picture to keep at the deepest layers.
    """
    if min(size) < MIN_PHOTO_SIDE:
        raise ImageLoadError(
            f"{name} is {size[0]} x {size[1]} px, too small to paint from: "
            f"a photo needs at least {MIN_PHOTO_SIDE} px on each side"
        )


def fit_dims(width: int, height: int, long_side: int, min_side: int = 32) -> tuple[int, int]:
    """(height, width) with the long side ``long_side`` and the aspect kept.

    The short side is kept at ``min_side`` or more so that VGG's four poolings
    still leave a feature map, even for a long thin panorama.
    """
    scale = long_side / max(width, height)
    scale = max(scale, min_side / min(width, height))
    return max(min_side, round(height * scale)), max(min_side, round(width * scale))


def inner_box(width: int, height: int, share: float) -> tuple[int, int, int, int]:
    """The (left, top, right, bottom) box without ``share`` of each side; never below 32 px."""
    dx = min(round(width * share), max(0, (width - 32) // 2))
    dy = min(round(height * share), max(0, (height - 32) // 2))
    return dx, dy, width - dx, height - dy


def resize(image: Image.Image, height: int, width: int) -> Image.Image:
    """Resample with Lanczos (antialiased when shrinking)."""
    if image.size == (width, height):
        return image
    return image.resize((width, height), Image.Resampling.LANCZOS)


def to_tensor(image: Image.Image) -> torch.Tensor:
    """An RGB image as a float32 (1, 3, H, W) tensor in [0, 1]."""
    array = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0).contiguous().float().div_(255.0)


def mask_array(mask: Image.Image) -> np.ndarray:
    """A greyscale mask as float32 in [0, 1], (H, W)."""
    return np.asarray(mask.convert("L"), dtype=np.float32) / 255.0


def to_array(picture: torch.Tensor) -> np.ndarray:
    """A fresh uint8 H x W x 3 array from a (1, 3, H, W) tensor in [0, 1].

    Never a view of the optimiser's tensor: the caller may keep it or hand it
    to another thread while the optimisation goes on.
    """
    with torch.no_grad():
        pixels = picture.detach()[0].mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
        return pixels.permute(1, 2, 0).contiguous().cpu().numpy()


def to_array16(picture: torch.Tensor) -> np.ndarray:
    """Like ``to_array`` at 16 bits per channel (for export: the optimiser's picture has more than 8)."""
    with torch.no_grad():
        pixels = picture.detach()[0].float().mul(65535.0).round_().clamp_(0, 65535).to(torch.int32)
        return pixels.permute(1, 2, 0).contiguous().cpu().numpy().astype(np.uint16)


def to_pil(picture: torch.Tensor) -> Image.Image:
    return Image.fromarray(to_array(picture), "RGB")


def write_failure(exc: OSError) -> str:
    """Why a write failed, in the artist's words."""
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the folder is not writable"
    return exc.strerror or str(exc)


def save_image(image: Image.Image, path: str | Path, preset_json: str | None = None) -> Path:
    """Save as PNG or JPEG (by extension), atomically; a PNG keeps ``preset_json`` (``pictures.picture_metadata``).

    Raises
    ------
    ImageSaveError
        For an unsupported extension or a failed write; an existing file at
        ``path`` is then left as it was.
    """
    path = Path(path)
    fmt = SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageSaveError(f"Cannot save {path.name}: use a .png, .jpg or .jpeg file name")
    if not path.parent.is_dir():
        raise ImageSaveError(f"Cannot save {path.name}: the folder {path.parent} does not exist")
    options = {"quality": JPEG_QUALITY, "subsampling": 0} if fmt == "JPEG" else {"optimize": False}
    if fmt == "PNG" and preset_json is not None:
        options["pnginfo"] = png_info(preset_json)
    # A PNG keeps a painting's transparency (the autosave's copy of it); a JPEG has none.
    kept = image if fmt == "PNG" and image.mode == "RGBA" else image.convert("RGB")
    try:
        write_atomically(path, lambda handle: kept.save(handle, format=fmt, **options))
    except OSError as exc:
        reason = write_failure(exc)
        raise ImageSaveError(f"Could not save {path.name}: {reason}") from None
    return path
