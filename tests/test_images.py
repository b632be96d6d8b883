import struct
import zlib

import numpy as np
import pytest
import torch
from brushwork.engine.errors import ImageLoadError, ImageSaveError
from brushwork.engine.pictures.images import fit_dims, load_image, save_image, to_array, to_tensor
from PIL import Image

from tests.conftest import make_photo


def _load_saved(tmp_path, image, name, **save_args):
    path = tmp_path / name
    image.save(path, **save_args)
    return load_image(path)


def test_rgb_png_round_trips_exactly(tmp_path, photo):
    loaded = _load_saved(tmp_path, photo, "p.png")
    assert loaded.mode == "RGB" and np.array_equal(np.asarray(loaded), np.asarray(photo))


@pytest.mark.parametrize(
    ("mode", "name"),
    [("L", "g.png"), ("1", "b.png"), ("P", "p.png"), ("CMYK", "c.jpg"), ("RGB", "w.webp"), ("RGB", "t.tiff")],
)
def test_every_mode_becomes_rgb(tmp_path, photo, mode, name):
    loaded = _load_saved(tmp_path, photo.convert(mode), name)
    assert loaded.mode == "RGB" and loaded.size == photo.size


def test_cmyk_jpeg_keeps_its_colours(tmp_path):
    red = Image.new("RGB", (16, 16), (220, 30, 30))
    loaded = _load_saved(tmp_path, red.convert("CMYK"), "cmyk.jpg", quality=100)
    r, g, b = np.asarray(loaded).reshape(-1, 3).mean(axis=0)
    assert r > 180 and g < 80 and b < 80


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 32896, 65535, 1000]], dtype=np.uint16).repeat(4, axis=0)
    loaded = _load_saved(tmp_path, Image.fromarray(values), "deep.png")
    row = np.asarray(loaded)[0, :, 0]
    assert row.tolist() == [0, 128, 255, 4]


def test_transparency_is_composited_on_white(tmp_path):
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    rgba.putpixel((0, 0), (255, 0, 0, 255))
    loaded = np.asarray(_load_saved(tmp_path, rgba, "a.png"))
    assert loaded[0, 0].tolist() == [255, 0, 0] and loaded[1, 1].tolist() == [255, 255, 255]
    la = np.asarray(_load_saved(tmp_path, Image.new("LA", (4, 4), (0, 0)), "la.png"))
    assert la[2, 2].tolist() == [255, 255, 255]
    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([0, 0, 0, 10, 200, 10] + [0] * 762)
    palette.info["transparency"] = 1
    assert np.asarray(_load_saved(tmp_path, palette, "pt.png", transparency=1))[0, 0].tolist() == [255, 255, 255]


def test_exif_orientation_is_applied(tmp_path):
    image = make_photo(40, 20)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    loaded = _load_saved(tmp_path, image, "rot.jpg", exif=exif)
    assert loaded.size == (20, 40)


def test_animated_gif_gives_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 8), c) for c in ((250, 0, 0), (0, 250, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    r, g, _ = np.asarray(load_image(path))[4, 4]
    assert r > 200 and g < 50


def test_max_side_shrinks_with_antialiasing_keeping_the_aspect(tmp_path):
    big = make_photo(1200, 900)
    path = tmp_path / "big.jpg"
    big.save(path, quality=90)
    small = load_image(path, max_side=256)
    assert small.size == (256, 192)
    checker = Image.fromarray(((np.indices((400, 400)).sum(0) % 2) * 255).astype(np.uint8))
    checker.save(tmp_path / "checker.png")
    shrunk = np.asarray(load_image(tmp_path / "checker.png", max_side=100))
    assert 100 < shrunk.mean() < 155 and shrunk.std() < 30  # averaged to grey, not aliased


def _png_header_only(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.png", "is empty"),
        (b"just some text\n", "notes.png", "not an image"),
        (b"%PDF-1.4\n...", "doc.pdf", "PDF document"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg", "SVG drawing"),
        (_png_header_only(20000, 20000), "bomb.png", "too large.*400000000 pixels.*scale it down"),
    ],
)
def test_not_images_are_refused_with_a_specific_message(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageLoadError, match=message):
        load_image(path)


def test_truncated_folder_and_missing(tmp_path, photo):
    path = tmp_path / "cut.png"
    photo.save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ImageLoadError, match="damaged or truncated"):
        load_image(path)
    with pytest.raises(ImageLoadError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(ImageLoadError, match="does not exist"):
        load_image(tmp_path / "gone.png")


def test_unicode_paths_with_spaces(tmp_path, photo):
    path = tmp_path / "mes images" / "chat été.png"
    path.parent.mkdir()
    photo.save(path)
    assert load_image(path).size == photo.size


def test_tensor_conversions(photo):
    t = to_tensor(photo)
    assert t.shape == (1, 3, 48, 64) and t.dtype == torch.float32 and t.is_contiguous()
    assert 0 <= t.min() and t.max() <= 1
    array = to_array(t)
    assert array.dtype == np.uint8 and array.shape == (48, 64, 3)
    assert np.array_equal(array, np.asarray(photo))
    array[:] = 0  # a fresh array: writing to it leaves the tensor alone
    assert t.max() > 0
    assert to_array(torch.tensor([[[[2.0]], [[-1.0]], [[0.5]]]])).tolist() == [[[255, 0, 128]]]


def test_fit_dims_keeps_aspect_and_a_minimum_side():
    assert fit_dims(451, 300, 512) == (341, 512)
    assert fit_dims(300, 451, 128) == (128, 85)
    assert fit_dims(2000, 20, 128) == (32, 3200)  # a panorama still leaves a feature map


@pytest.mark.parametrize(("name", "expected_format"), [("out.png", "PNG"), ("out.jpg", "JPEG"), ("out.JPEG", "JPEG")])
def test_save_writes_a_valid_image(tmp_path, photo, name, expected_format):
    path = save_image(photo, tmp_path / name)
    with Image.open(path) as saved:
        assert saved.size == photo.size and saved.format == expected_format
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary files left


def test_save_refuses_unknown_extensions_and_missing_folders(tmp_path, photo):
    with pytest.raises(ImageSaveError, match=r"use a \.png"):
        save_image(photo, tmp_path / "out.gif")
    with pytest.raises(ImageSaveError, match="does not exist"):
        save_image(photo, tmp_path / "no" / "out.png")


def test_failed_save_keeps_the_old_file(tmp_path, photo, monkeypatch):
    path = tmp_path / "keep.png"
    photo.save(path)
    before = path.read_bytes()

    def disk_full(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(ImageSaveError, match="disk is full"):
        save_image(photo, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]
