"""What an artist meets first on the command line and on disk: --help, --version, presets by name, saved files."""

from __future__ import annotations

import os
import stat
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from brushwork.engine.cli import main as cli
from brushwork.engine.cli.painting_options import build_params
from brushwork.engine.errors import PresetError
from brushwork.engine.files.atomic_write import write_atomically
from brushwork.engine.pictures.images import save_image
from brushwork.engine.settings.presets import Preset, find_preset, save_preset
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_answer_without_loading_pytorch(flag):
    # --help took 4.7 s (it loaded PyTorch); --version failed asking for -o.
    code = (
        "import sys\nfrom brushwork.engine.cli.main import main\n"
        f"try:\n    main([{flag!r}])\nexcept SystemExit as e:\n    code = e.code\n"
        "print('torch loaded' if 'torch' in sys.modules else 'no torch', code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().endswith("no torch 0"), done.stdout + done.stderr
    if flag == "--version":
        assert "brushwork-render 0." in done.stdout


def test_a_preset_saved_in_the_studio_is_found_by_name(tmp_path, monkeypatch):
    mine = StyleParams(beta=123.0)
    save_preset(Preset("My Starry Look", mine), tmp_path / "My Starry Look.json")
    assert find_preset("my starry look", user_dir=tmp_path).params == mine
    # The command line looks in the studio's folder (XDG_DATA_HOME on Linux).
    data = tmp_path / "xdg"
    studio_presets = data / "Brushwork" / "Brushwork" / "presets"
    studio_presets.mkdir(parents=True)
    save_preset(Preset("Bold", StyleParams(beta=77.0)), studio_presets / "Bold.json")
    parser = cli._parser()
    args = parser.parse_args(["a.png", "b.png", "-o", "x.png", "--preset", "Bold"])
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    assert build_params(args).beta == 77.0


def test_an_unknown_preset_lists_the_ones_there_are(tmp_path):
    save_preset(Preset("Mine", StyleParams()), tmp_path / "Mine.json")
    with pytest.raises(PresetError, match=r"No preset called 'nope'.*Gatys 2016.*Mine"):
        find_preset("nope", user_dir=tmp_path)


@pytest.mark.parametrize(
    ("styles", "blend"),
    [(["s1.png", "s2.png"], ["3"]), (["s1.png"], ["3", "1"])],
)
def test_a_blend_that_does_not_match_the_styles_is_refused(image_files, tmp_path, capsys, styles, blend):
    content, style = image_files
    paths = [str(style)] * len(styles)
    code = cli.main([str(content), "--style", *paths, "--blend", *blend, "-o", str(tmp_path / "o.png"), "-q"])
    assert code == 1
    assert "--blend has" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def test_saved_files_get_the_users_umask_not_0600(tmp_path, photo):
    # The temporary file's 0600 used to survive the rename.
    old = os.umask(0o022)
    try:
        save_image(photo, tmp_path / "picture.png")
        write_atomically(tmp_path / "notes.json", b"{}")
        os.umask(0o027)
        save_image(photo, tmp_path / "group.png")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "picture.png").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "notes.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "group.png").stat().st_mode) == 0o640


def test_replacing_a_file_keeps_its_permissions(tmp_path, photo):
    target = tmp_path / "shared.png"
    target.write_bytes(b"old")
    target.chmod(0o664)
    save_image(photo, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o664


def read_png16(path) -> np.ndarray:
    """Decode a 16-bit RGB PNG written with filter type 0 (what engine.export writes), independently."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunks.setdefault(kind, b"")
        chunks[kind] += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (16, 2)
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, 1 + width * 6)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].copy().view(">u2").reshape(height, width, 3).astype(np.uint16)


def test_a_16_bit_png_keeps_every_bit(tmp_path):
    from brushwork.engine.pictures.picture_export import ExportOptions, export_picture

    rng = np.random.default_rng(0)
    sixteen = rng.integers(0, 65536, (20, 30, 3), dtype=np.uint16)
    eight = (sixteen // 257).astype(np.uint8)
    export_picture(eight, tmp_path / "a.png", ExportOptions(30, bits=16), sixteen)
    assert np.array_equal(read_png16(tmp_path / "a.png"), sixteen)
    with Image.open(tmp_path / "a.png") as opened:  # other readers see a valid PNG of the right size
        assert opened.size == (30, 20)
    export_picture(eight, tmp_path / "b.tif", ExportOptions(60), None)
    with Image.open(tmp_path / "b.tif") as tiff:
        assert tiff.format == "TIFF" and tiff.size == (60, 40)


def test_the_desktop_entry_and_icon_are_installed(tmp_path):
    from brushwork.gui.desktop_entry import install_desktop_entry

    entry, icon = install_desktop_entry(tmp_path)
    text = entry.read_text()
    assert "Exec=" in text and "Icon=brushwork" in text and "Name=Brushwork" in text
    with Image.open(icon) as image:
        assert image.size == (256, 256)
