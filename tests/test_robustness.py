"""Bad input and faults, at the engine and in brushwork-render."""

from __future__ import annotations

import errno
import math
import os
import pickle
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
import torch
from brushwork.engine.cli import main as cli
from brushwork.engine.errors import ImageLoadError, ImageSaveError, OutOfMemoryError, PresetError, WeightsError
from brushwork.engine.network.vgg_weights import load_weights
from brushwork.engine.objective.scale_objective import Objective
from brushwork.engine.pictures.images import MIN_PHOTO_SIDE, load_image, save_image
from brushwork.engine.run import schedule
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.presets import load_preset
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image, ImageFile

from tests.bad_inputs import AWKWARD_IMAGES, BAD_IMAGES, BAD_PRESETS, preset_text
from tests.conftest import make_painting, make_photo

SMALL = ["--size", "32", "--steps", "2", "-q"]


@pytest.mark.parametrize("kind", BAD_IMAGES)
def test_bad_images_are_refused_with_a_specific_message(tmp_path, kind):
    make, words = BAD_IMAGES[kind]
    with pytest.raises(ImageLoadError, match=words):
        load_image(make(tmp_path))


@pytest.mark.parametrize("kind", BAD_IMAGES)
def test_bad_images_in_the_cli_exit_1_with_one_line(tmp_path, capsys, image_files, kind):
    make, words = BAD_IMAGES[kind]
    _, style = image_files
    out = tmp_path / "out.png"
    assert cli.main([str(make(tmp_path)), str(style), "-o", str(out), *SMALL]) == 1
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and not out.exists()


def test_a_web_address_in_the_cli_is_refused_without_a_download(tmp_path, capsys, image_files, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_network)
    _, style = image_files
    out = tmp_path / "out.png"
    assert cli.main(["https://example.com/cat.jpg", str(style), "-o", str(out), *SMALL]) == 1
    assert "https://example.com/cat.jpg is a web address" in capsys.readouterr().err and not out.exists()


def test_an_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.png"
    make_photo().save(path)

    def refuse(file, *args, **kwargs):  # root ignores chmod, so refuse the way the OS would
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return open(file, *args, **kwargs)

    monkeypatch.setattr("brushwork.engine.pictures.images.open", refuse, raising=False)
    with pytest.raises(ImageLoadError, match=r"secret\.png cannot be read: permission denied"):
        load_image(path)


@pytest.mark.parametrize("kind", AWKWARD_IMAGES)
def test_awkward_but_valid_images_load_and_render(tmp_path, kind):
    make, size = AWKWARD_IMAGES[kind]
    path = make(tmp_path)
    image = load_image(path)
    assert image.mode == "RGB" and image.size == size
    out = tmp_path / "out.png"
    photo = path
    if min(size) < MIN_PHOTO_SIDE:
        # Too small to paint from, as in the window (a 1 x 1 photo painted pure texture); fine as a painting.
        assert cli.main([str(path), str(path), "-o", str(out), "--size", "48", "--steps", "2", "-q"]) == 1
        photo = tmp_path / "photo.png"
        make_photo().save(photo)
    # 48 px: the long side of a 4:3 picture whose short side stays >= 32 px.
    assert cli.main([str(photo), str(path), "-o", str(out), "--size", "48", "--steps", "2", "-q"]) == 0
    with Image.open(out) as result:
        assert max(result.size) == 48


def test_a_large_jpeg_is_shrunk_while_it_decodes(tmp_path, monkeypatch):
    path = tmp_path / "big.jpg"
    make_photo(3200, 2400).save(path, quality=85)
    seen = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        seen.append(self.size)  # the size the decoder actually produces
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    assert load_image(path, max_side=400).size == (400, 300)
    assert seen and max(seen[0]) <= 800  # decoded at 1/4 scale, never at 3200 x 2400


@pytest.mark.parametrize("kind", BAD_PRESETS)
def test_bad_presets_are_refused_naming_the_problem(tmp_path, capsys, image_files, kind):
    path = tmp_path / "bad.json"
    path.write_text(preset_text(kind))
    with pytest.raises(PresetError, match=BAD_PRESETS[kind].replace("(", r"\(")):
        load_preset(path)
    content, style = image_files
    assert cli.main([str(content), str(style), "-o", str(tmp_path / "o.png"), "--preset", str(path), *SMALL]) == 1
    assert BAD_PRESETS[kind] in capsys.readouterr().err


def test_a_50_mb_preset_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(PresetError, match=r"52\.4 MB; a preset is a small JSON file"):
        load_preset(path)


class _LeavesAMark:
    """Unpickling this creates the folder ``marker``: proof that the bytes were unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_a_pickled_preset_is_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    path = tmp_path / "evil.json"
    path.write_bytes(pickle.dumps({"schema_version": 3, "params": _LeavesAMark(marker)}))
    pickle.loads(path.read_bytes())  # the payload works: unpickling it leaves the mark...
    assert marker.is_dir()
    marker.rmdir()
    with pytest.raises(PresetError):
        load_preset(path)
    assert not marker.exists()  # ...and loading it as a preset did not


class _Exploit:
    ran = False

    def __reduce__(self):
        return (exec, ("import tests.test_robustness as t; t._Exploit.ran = True",))


def test_weights_files_never_run_code(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"features.0.weight": _Exploit()}, path)
    with pytest.raises(WeightsError, match=r"evil\.pth"):
        load_weights(str(path))
    assert not _Exploit.ran


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda t: t / "missing.pth", "not found"),
        (lambda t: (t / "c.pth").write_bytes(b"\x80\x02garbage") and t / "c.pth", "corrupt"),
        (lambda t: _truncated_weights(t), "corrupt, truncated"),
        (lambda t: _wrong_shapes(t), "layer conv1_1 has weight (8, 3, 3, 3)"),
        (lambda t: (t / "n.pth").write_bytes(b"") or t / "n.pth", "is empty (0 bytes)"),
    ],
)
def test_weights_problems_in_the_cli(tmp_path, capsys, image_files, make, words):
    content, style = image_files
    path = make(tmp_path)
    assert cli.main([str(content), str(style), "-o", str(tmp_path / "o.png"), "--weights", str(path), *SMALL]) == 1
    assert words in capsys.readouterr().err


def _truncated_weights(tmp):
    import torchvision

    path = tmp / "cut.pth"
    torch.save(torchvision.models.vgg19(weights=None).features.state_dict(), path)
    path.write_bytes(path.read_bytes()[:100_000])
    return path


def _wrong_shapes(tmp):
    path = tmp / "small.pth"
    tensors = {}
    for i in range(40):
        tensors[f"features.{i}.weight"] = torch.zeros(8, 3, 3, 3)
        tensors[f"features.{i}.bias"] = torch.zeros(8)
    torch.save(tensors, path)
    return path


def _oom_above(monkeypatch, width):
    real = Objective.__call__

    def call(self, picture):
        if picture.shape[-1] >= width:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(self, picture)

    monkeypatch.setattr(Objective, "__call__", call)


def test_out_of_memory_names_a_size_that_fits(monkeypatch, photo, painting):
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    _oom_above(monkeypatch, 90)
    engine = StyleTransfer(photo, painting, StyleParams(size=96, steps=12, clean_edges=False))
    seen = []
    with pytest.raises(OutOfMemoryError, match="Out of memory painting at 96 px") as info:
        for p in engine.run():
            seen.append(p)
    assert info.value.failed_size == 96 and 32 <= info.value.suggested_size <= 76
    assert info.value.step == seen[-1].step
    assert engine.current_picture() is not None  # the last good picture stays


def test_the_cli_continues_at_a_smaller_size_when_allowed(monkeypatch, tmp_path, capsys, image_files):
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    _oom_above(monkeypatch, 90)
    content, style = image_files
    out = tmp_path / "o.png"
    args = [str(content), str(style), "-o", str(out), "--size", "96", "--steps", "12", "-q"]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "Out of memory" in err and "--shrink-on-oom" in err and out.exists()  # the picture so far is kept
    out.unlink()
    assert cli.main([*args, "--shrink-on-oom"]) == 0
    assert "continuing at" in capsys.readouterr().err
    with Image.open(out) as image:
        assert max(image.size) < 96


def test_a_read_only_folder_fails_cleanly(tmp_path, photo, monkeypatch):
    target = tmp_path / "keep.png"
    make_painting().save(target)
    before = target.read_bytes()

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("brushwork.engine.files.atomic_write.tempfile.mkstemp", read_only)
    with pytest.raises(ImageSaveError, match="not writable"):
        save_image(photo, target)
    assert target.read_bytes() == before


def test_a_full_disk_mid_write_leaves_no_partial_file(tmp_path, photo, monkeypatch):
    target = tmp_path / "keep.png"
    make_painting().save(target)
    before = target.read_bytes()
    real_fdopen = os.fdopen

    class FillsUp:
        """A file that takes 100 bytes, then reports a full disk."""

        def __init__(self, handle):
            self.handle, self.written = handle, 0

        def write(self, data):
            self.written += len(data)
            if self.written > 100:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.handle.write(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

    fills_up = lambda fd, mode: FillsUp(real_fdopen(fd, mode))  # noqa: E731
    monkeypatch.setattr("brushwork.engine.files.atomic_write.os.fdopen", fills_up)
    with pytest.raises(ImageSaveError, match=r"keep\.png: the disk is full"):
        save_image(photo, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]  # the temporary file is gone


def test_a_kill_in_the_middle_of_a_save_keeps_the_old_file(tmp_path):
    target = tmp_path / "picture.png"
    make_painting().save(target)
    before = target.read_bytes()
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from brushwork.engine.files.atomic_write import write_atomically
        def slow(handle):
            handle.write(b"half a picture")
            handle.flush()
            print("writing", flush=True)
            time.sleep(60)
        write_atomically(Path({str(target)!r}), slow)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    assert target.read_bytes() == before


def test_nothing_touches_the_network(monkeypatch, tmp_path, image_files):
    def no_network(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    content, style = image_files
    assert cli.main([str(content), str(style), "-o", str(tmp_path / "o.png"), *SMALL]) == 0


def test_many_parameter_changes_mid_run_never_break_it(photo, painting):
    import random

    rng = random.Random(5)
    engine = StyleTransfer(photo, painting, StyleParams(size=48, steps=150))
    reports = 0
    for p in engine.run():
        reports += 1
        change = rng.random()
        if change < 0.6:
            engine.update(
                p.params.replace(
                    alpha=rng.choice([0.0, 0.1, 1.0, 50.0]),
                    beta=rng.choice([0.5, 10.0, 1e4]),
                    style_layers={"conv1_1": rng.random() * 2, "conv4_1": rng.random() * 2},
                    tv_weight=rng.choice([0.0, 0.3]),
                    optimizer=rng.choice(["lbfgs", "adam"]),
                    size=rng.choice([32, 40, 48]),
                )
            )
        elif change < 0.7:
            engine.update(content=make_photo(rng.randint(20, 60), rng.randint(20, 60)))
        elif change < 0.8:
            engine.update(style=make_painting(rng.randint(20, 60), rng.randint(20, 60), seed=rng.randint(0, 9)))
        # alpha = 0 is valid (beta and style layers remain): the content term is
        # then reported as NaN, but the total must stay a finite number.
        assert math.isfinite(p.losses.total), (p.step, p.params.alpha, p.losses)
    assert engine.finished and reports > 0 and p.finished
