"""``brushwork-render CLIP.mp4 -s STYLE -o OUT.mp4``: a clip painted from the command line."""

from __future__ import annotations

import pytest
from brushwork.engine.cli import clip_options as cli_video
from brushwork.engine.cli import main as cli
from brushwork.engine.cli.painting_options import VIDEO_SUFFIXES
from brushwork.engine.objective import temporal_term as temporal
from brushwork.engine.video import clip_files as video_io
from brushwork.engine.video import clip_painter as video
from brushwork.engine.video.clip_files import probe

from tests.clips import make_clip, sound_seconds

SMALL = ["--size", "48", "--steps", "16", "--frame-steps", "3"]


def test_a_clip_is_painted_with_its_frames_rate_and_sound(image_files, tmp_path, capsys):
    _, style = image_files
    clip = make_clip(tmp_path / "walk.mp4", frames=4, fps=8)
    out = tmp_path / "painted.mp4"
    assert cli.main([str(clip), "-s", str(style), "-o", str(out), *SMALL]) == 0
    info = probe(out)
    assert (info.frames, info.rate, info.width, info.height, info.audio) == (4, 8, 48, 36, "aac")
    assert sound_seconds(out) == pytest.approx(sound_seconds(clip), abs=1e-3)
    err = capsys.readouterr().err
    assert "walk.mp4: 4 frames at 8 a second" in err and "painted at 48x36" in err
    assert "frame 4/4" in err and "3/3" in err and f"saved {out}" in err  # a later frame counts its own steps
    assert not video.work_folder(out).exists()


@pytest.mark.parametrize(
    ("extra", "output", "message"),
    [
        ([], "painted.png", "written as .mp4, .mov or .mkv"),
        (["--depth", "16"], "painted.mp4", "--depth 16 is for pictures"),
        (["--timelapse", "run.mp4"], "painted.mp4", "--timelapse is for pictures"),
        (["--temporal-weight", "-2"], "painted.mp4", "temporal weight must be from 0"),
        (["--frame-steps", "0"], "painted.mp4", "steps per frame must be from 1"),
    ],
)
def test_bad_clip_options_exit_1_before_painting(image_files, tmp_path, capsys, extra, output, message):
    _, style = image_files
    clip = make_clip(tmp_path / "walk.mp4", frames=2)
    out = tmp_path / output
    assert cli.main([str(clip), "-s", str(style), "-o", str(out), *SMALL, *extra]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not out.exists()


def test_clip_options_for_pictures_and_two_clips_are_refused(image_files, tmp_path, capsys):
    content, style = image_files
    assert cli.main([str(content), str(style), "-o", str(tmp_path / "p.png"), "--temporal-weight", "5"]) == 1
    assert "--temporal-weight is for a clip" in capsys.readouterr().err
    clips = [str(make_clip(tmp_path / f"c{i}.mp4", frames=2)) for i in range(2)]
    assert cli.main([*clips, "--style", str(style), "-o", str(tmp_path / "out.mp4")]) == 1
    assert "one clip at a time" in capsys.readouterr().err
    broken = tmp_path / "broken.mp4"
    broken.write_text("no video here")
    assert cli.main([str(broken), "-s", str(style), "-o", str(tmp_path / "out.mp4")]) == 1
    assert "broken.mp4 is not a video" in capsys.readouterr().err


def test_a_clip_as_the_style_and_a_clip_cut_short_are_told_plainly(image_files, tmp_path, capsys):
    content, style = image_files
    clip = make_clip(tmp_path / "walk.mp4", frames=12, audio=None, index_first=True)
    assert cli.main([str(content), str(clip), "-o", str(tmp_path / "p.png")]) == 1
    assert "walk.mp4 is a video clip: a clip can be the content; a style is a still image" in capsys.readouterr().err
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size * 9 // 10])
    assert cli.main([str(cut), "-s", str(style), "-o", str(tmp_path / "out.mp4"), *SMALL, "-q"]) == 0
    err = capsys.readouterr().err
    assert "warning: cut.mp4 announces 12 frames, but only" in err and "(is the file cut short?)" in err


def test_ctrl_c_keeps_the_painted_frames_and_the_same_command_goes_on(image_files, tmp_path, monkeypatch, capsys):
    _, style = image_files
    clip = make_clip(tmp_path / "walk.mp4", frames=4, audio=None)
    out = tmp_path / "painted.mp4"
    command = [str(clip), "-s", str(style), "-o", str(out), *SMALL]
    real_save = video.ClipRender._save_frame
    saved = []

    def save_then_interrupt(self, index, painted):
        real_save(self, index, painted)
        saved.append(index)
        if len(saved) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(video.ClipRender, "_save_frame", save_then_interrupt)
    assert cli.main(command) == 130
    assert "2 painted frame(s) are kept" in capsys.readouterr().err and not out.exists()
    monkeypatch.setattr(video.ClipRender, "_save_frame", real_save)
    assert cli.main(command) == 0
    assert "going on from frame 3" in capsys.readouterr().err
    assert probe(out).frames == 4


def test_the_command_line_defaults_and_suffixes_are_the_engines():
    assert cli_video.VIDEO_DEFAULTS == {"temporal_weight": temporal.TEMPORAL_WEIGHT, "frame_steps": video.FRAME_STEPS}
    assert VIDEO_SUFFIXES == video_io.VIDEO_SUFFIXES
    assert cli_video.VIDEO_OUTPUTS == tuple(video_io.OUTPUT_FORMATS)
