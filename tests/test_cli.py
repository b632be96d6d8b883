import subprocess
import sys

import pytest
from brushwork.engine.cli import main as cli
from brushwork.engine.cli.painting_options import build_params
from brushwork.engine.run import style_transfer as transfer
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

SMALL = ["--size", "48", "--steps", "3"]


def test_renders_a_valid_png_at_the_requested_size(image_files, tmp_path, capsys):
    content, style = image_files
    out = tmp_path / "out.png"
    assert cli.main([str(content), str(style), "-o", str(out), *SMALL]) == 0
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (48, 36)
    err = capsys.readouterr().err
    assert "3/3" in err and "steps/s" in err and "saved" in err


def test_the_progress_line_says_when_a_scale_is_painted_tile_by_tile(image_files, tmp_path, capsys):
    content, style = image_files
    size = ["--size", "96", "--steps", "4"]
    assert cli.main([str(content), str(style), "-o", str(tmp_path / "whole.png"), *size]) == 0
    assert "tiles" not in capsys.readouterr().err
    assert cli.main([str(content), str(style), "-o", str(tmp_path / "tiled.png"), *size, "--tile", "64"]) == 0
    err = capsys.readouterr().err
    assert "(96x72, in 64 px tiles)" in err and "saved" in err


def test_a_time_lapse_of_the_run_is_written_beside_the_picture(image_files, tmp_path, capsys):
    import av

    content, style = image_files
    video, out = tmp_path / "run.mp4", tmp_path / "out.png"
    options = ["--timelapse", str(video), "--timelapse-seconds", "2", "--timelapse-fps", "10"]
    assert cli.main([str(content), str(style), "-o", str(out), *SMALL, *options]) == 0
    with av.open(str(video)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 20 + 15 and frames[0].shape == (36, 48, 3)  # 2 s, then the end held 1.5 s
    assert "saved time-lapse" in capsys.readouterr().err and out.exists()
    # A format it cannot write is refused before any painting.
    bad = tmp_path / "other.png"
    assert cli.main([str(content), str(style), "-o", str(bad), *SMALL, "--timelapse", str(tmp_path / "x.avi")]) == 1
    assert ".mp4 or a .gif" in capsys.readouterr().err and not bad.exists()


def test_jpeg_output_and_the_demo_samples(tmp_path):
    out = tmp_path / "demo.jpg"
    assert cli.main(["--demo", "-o", str(out), *SMALL, "-q"]) == 0
    with Image.open(out) as image:
        assert image.format == "JPEG" and max(image.size) == 48


def test_options_and_presets_build_the_params():
    parser = cli._parser()
    args = parser.parse_args(["a", "b", "-o", "x.png", "--preset", "Gatys 2016", "--beta", "50", "--init", "noise"])
    params = build_params(args)
    assert params.beta == 50.0 and params.init == "noise" and params.pooling == "avg"
    args = parser.parse_args(["a", "b", "-o", "x.png", "--layer-weights", "0.5", "0", "2", "--init", "start.png"])
    params = build_params(args)
    assert params.style_weights == {"conv1_1": 0.5, "conv2_1": 0.0, "conv3_1": 2.0}
    assert (params.init, params.init_image) == ("image", "start.png")
    args = parser.parse_args(["a", "b", "-o", "x.png", "--layer-weights", "conv3_2=1.5", "conv1_1=1"])
    assert build_params(args).style_weights == {"conv1_1": 1.0, "conv3_2": 1.5}
    args = parser.parse_args(["a", "b", "-o", "x.png", "--size", "4096", "--memory-limit", "3"])
    assert (build_params(args).size, build_params(args).memory_limit) == (4096, 3.0)
    assert build_params(parser.parse_args(["a", "b", "-o", "x.png"])) == StyleParams()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--layer-weights", "conv9_1=1"], "unknown layer 'conv9_1'"),
        (["--layer-weights", "1", "conv2_1=2"], "either plain numbers or LAYER=W"),
        (["--beta", "-1"], "beta must be between"),
        (["--preset", "no such preset"], "No preset called"),
        (["--device", "cuda:7"], "cuda:7"),
        (["--memory-limit", "0.5"], "memory_limit must be 0 (the memory free) or at least 1.5 GiB"),
    ],
)
def test_bad_options_exit_1_with_one_line(image_files, tmp_path, capsys, extra, message):
    content, style = image_files
    code = cli.main([str(content), str(style), "-o", str(tmp_path / "o.png"), *SMALL, "-q", *extra])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith("brushwork-render: error:") and message in err
    assert len(err.splitlines()) == 1


def test_a_non_image_input_exits_1_and_writes_nothing(image_files, tmp_path, capsys):
    _, style = image_files
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    out = tmp_path / "o.png"
    assert cli.main([str(notes), str(style), "-o", str(out), "-q"]) == 1
    assert "notes.txt is not an image" in capsys.readouterr().err
    assert not out.exists()


def test_a_photo_too_small_to_paint_from_is_refused_as_in_the_window(image_files, tmp_path, capsys):
    # A user's trial: a 10 x 10 px photo painted pure texture on the command line; the window refused it.
    _, style = image_files
    dot = tmp_path / "dot.png"
    Image.new("RGB", (10, 10), "red").save(dot)
    out = tmp_path / "o.png"
    assert cli.main([str(dot), str(style), "-o", str(out), *SMALL, "-q"]) == 1
    err = capsys.readouterr().err
    assert "dot.png is 10 x 10 px, too small to paint from" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ray-cpus", "2"], "--ray-cpus goes with --ray"),  # cluster_options.check
        (["--ray", "auto", "--shrink-on-oom"], "--shrink-on-oom is for the in-process run"),  # cluster_options.check
        (["--frame-steps", "5"], "--frame-steps is for a clip (.mp4, .mov, ...), not pictures"),  # clip_options.check
        (["--timelapse-size", "320"], "--timelapse-size sets the time-lapse"),  # picture_run.check
    ],
)
def test_each_features_check_runs_through_the_one_parser(tmp_path, capsys, extra, message):
    # Neither file exists: the check must speak before any picture is read, let alone painted.
    out = tmp_path / "o.png"
    assert cli.main(["photo.png", "painting.png", "-o", str(out), *extra]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"brushwork-render: error: {message}") and len(err.splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("extra", [["--region", "red=photo"], ["--outside", "photo"], ["--style-regions", "a=m.png"]])
def test_region_options_without_a_mask_are_a_usage_error(capsys, extra):
    # region_options.check; --outside and --style-regions were silently ignored without --regions
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["photo.png", "painting.png", "-o", "o.png", *extra])
    assert exit_info.value.code == 2
    assert "give the mask with --regions MASK.png" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["-o", "x.png"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["a.png", "b.png", "--demo", "-o", "x.png"])
    assert exit_info.value.code == 2


def test_ctrl_c_keeps_the_picture_so_far(image_files, tmp_path, monkeypatch, capsys):
    content, style = image_files
    real_run = transfer.StyleTransfer.run

    def interrupted(self):
        for i, progress in enumerate(real_run(self)):
            if i == 2:
                raise KeyboardInterrupt
            yield progress

    monkeypatch.setattr(transfer.StyleTransfer, "run", interrupted)
    out = tmp_path / "partial.png"
    assert cli.main([str(content), str(style), "-o", str(out), "--size", "48", "--steps", "50", "-q"]) == 130
    assert out.exists() and "interrupted" in capsys.readouterr().err


def test_ctrl_c_during_a_tiled_step_gives_it_up_and_keeps_the_last_finished_step(
    image_files, tmp_path, monkeypatch, capsys, steady_threads
):
    """Ctrl+C arrives in the middle of a print-size step: the run ends at the next checkpoint, not after
    the step, and the picture kept is the last finished step's, byte for byte."""
    import os
    import signal

    from brushwork.engine.network import vgg19

    content, style = image_files
    real_run = transfer.StyleTransfer.run
    finished = []  # the picture after each finished step

    def recorded(self):
        for progress in real_run(self):
            finished.append((progress.step, self.current_picture()))
            yield progress

    original = vgg19.checkpoint
    pressed = []

    def checkpoint(*check):
        # In the 5th step, at its first checkpoint: the key is pressed.
        if len(finished) == 4 and not pressed:
            pressed.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        original(*check)

    monkeypatch.setattr(transfer.StyleTransfer, "run", recorded)
    monkeypatch.setattr(vgg19, "checkpoint", checkpoint)
    out = tmp_path / "partial.png"
    # Without --no-stop-early a scale that settles early makes the step numbers jump (1, 2, 3, 12): whether it
    # does can turn on the rounding.
    args = [str(content), str(style), "-o", str(out), "--size", "96", "--steps", "20", "--tile", "64", "-q"]
    assert cli.main([*args, "--no-stop-early"]) == 130
    assert pressed and [step for step, _ in finished] == [1, 2, 3, 4]
    with Image.open(out) as saved:
        assert saved.tobytes() == finished[-1][1].tobytes()
    assert "interrupted" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's own handler is back


def test_dry_run_prints_the_plan_and_the_estimate_and_paints_nothing(image_files, tmp_path, capsys):
    import re

    content, style = image_files
    out = tmp_path / "out" / "picture.png"
    args = [str(content), str(style), "-o", str(out), "--size", "192", "--steps", "40", "--tile", "144"]
    assert cli.main([*args, "--dry-run"]) == 0
    printed = capsys.readouterr()
    lines = printed.out.strip().splitlines()
    assert lines[0].startswith("content.png: 192 x 144 px, 40 steps in 2 scales, on CPU")
    assert lines[1].startswith("  scale 1: 128 x 96 px, whole, 24 steps") and "GiB" in lines[1]
    assert lines[2].startswith("  scale 2: 192 x 144 px, in 144 px tiles, 16 steps")
    assert "a first guess" in printed.out  # nothing timed on this machine yet
    assert re.fullmatch(r"estimate: (\d+|\d+-\d+) s", lines[-1]), lines[-1]
    assert not out.exists() and not out.parent.exists()  # nothing painted, nothing written
    # A run here is kept; the next estimate learns from it.
    assert cli.main([*args, "-q"]) == 0 and out.exists()
    assert cli.main([*args, "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "from 2 scales painted here before" in printed and "first guess" not in printed
    # Gram's runs say nothing of W2's steps: its first guess says which statistic has no run timed.
    assert cli.main([*args, "--dry-run", "--style-loss", "w2"]) == 0
    assert "a first guess: no W2 run on this device has been timed here yet" in capsys.readouterr().out


def test_a_dry_run_needs_no_output_and_a_run_still_does(capsys):
    assert cli.main(["--demo", "--dry-run", "--size", "64"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("estimate: ")
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--demo"])
    assert stopped.value.code == 2 and "-o/--output" in capsys.readouterr().err


def test_dry_run_is_for_pictures_here(tmp_path, capsys):
    from tests.clips import make_clip

    clip = make_clip(tmp_path / "clip.mp4", frames=2, audio=None)
    for output in (["-o", str(tmp_path / "out.mp4")], []):
        assert cli.main([str(clip), "-s", str(clip), *output, "--dry-run"]) == 1
        assert "--dry-run plans pictures" in capsys.readouterr().err


def test_the_module_runs_as_a_command():
    command = [sys.executable, "-m", "brushwork.engine", "--help"]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "brushwork-render" in out.stdout and "--layer-weights" in out.stdout
