"""A batch on a local Ray cluster of two worker processes gives the in-process batch's pictures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from brushwork.engine.cli import main as cli
from brushwork.engine.cluster import batch_cluster as cluster
from brushwork.engine.video import clip_painter as video
from PIL import Image

from tests.conftest import make_photo

ray = pytest.importorskip("ray")
SMALL = ["--size", "40", "--steps", "6", "--init", "noise", "--seed", "3"]


# Each test sets up the cluster it needs (none, or the module's local one) itself, so that any one of them
# runs alone, or in any order, as well as in the file's: the tests once relied on the first two running
# before the module's cluster started.


@pytest.fixture(scope="module")
def _module_cluster():
    """Stops the local cluster, if a test started one, once the module is done with it."""
    yield
    if ray.is_initialized():
        ray.shutdown()


@pytest.fixture
def local_cluster(_module_cluster):
    """Two worker processes on this machine, this process connected to them. Started by the first test that
    needs them and kept for the module's others (a start takes seconds); started again if a test that needs
    no cluster stopped it in between."""
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)


@pytest.fixture
def no_cluster():
    """This process connected to no cluster: with one connected, ``--ray ADDRESS`` would paint on it instead of
    trying ADDRESS (``engine.cluster.batch_cluster.connect`` joins a cluster only when none is connected)."""
    if ray.is_initialized():
        ray.shutdown()


def test_cluster_options_are_checked_before_anything_is_painted(image_files, tmp_path, capsys):
    content, style = image_files
    out = str(tmp_path / "o.png")
    assert cli.main([str(content), str(style), "-o", out, "--ray-cpus", "2"]) == 1
    assert "--ray-cpus goes with --ray" in capsys.readouterr().err
    assert cli.main([str(content), str(style), "-o", out, "--ray", "auto", "--timelapse", "t.mp4"]) == 1
    assert "--timelapse is for the in-process run" in capsys.readouterr().err
    assert cli.main([str(content), str(style), "-o", out, "--ray", "auto", "--ray-cpus", "0"]) == 1
    assert "--ray-cpus must be above 0" in capsys.readouterr().err
    assert cli.main([str(content), str(style), "-o", out, "--ray-overlap", "2"]) == 1
    assert "--ray-overlap goes with --ray" in capsys.readouterr().err
    assert cli.main([str(content), str(style), "-o", out, "--ray", "auto", "--ray-overlap", "2"]) == 1
    assert "--ray-overlap is for a clip, not pictures" in capsys.readouterr().err


def test_an_unreachable_cluster_is_a_clear_error(no_cluster, image_files, tmp_path, capsys):
    content, style = image_files
    assert cli.main([str(content), str(style), "-o", str(tmp_path / "o.png"), "--ray", "127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert "Cannot reach the Ray cluster at 127.0.0.1:9" in err and not (tmp_path / "o.png").exists()


@pytest.fixture
def one_thread():
    """The in-process run on one thread, as each worker of ``--ray-cpus 1`` paints: the convolutions' sums then
    go in the same order in both, so the pictures can be compared level for level. (On two threads, and
    more so in bfloat16, the order differs and so do the last bits, by up to a few levels after a run.)"""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        make_photo(64 - 8 * i, 48).save(folder / f"p{i}.png")
    (folder / "p9.png").write_text("not a picture")  # a bad file fails alone; the batch goes on
    return folder


def test_a_ray_batch_gives_the_in_process_batchs_pictures(
    local_cluster, one_thread, photos, image_files, tmp_path, capsys
):
    _, style = image_files
    pattern = str(photos / "*.png")
    assert cli.main([pattern, "-s", str(style), "-o", str(tmp_path / "here"), *SMALL]) == 1  # p9 fails
    assert cli.main([pattern, "-s", str(style), "-o", str(tmp_path / "ray"), *SMALL, "--ray", "auto"]) == 1
    err = capsys.readouterr().err
    assert "batch: 3 of 4 pictures" in err and "on 2 Ray workers, 1 failed" in err and "p9.png" in err
    workers = {line.split(" on ")[1].split(";")[0] for line in err.splitlines() if "saved" in line and " on " in line}
    for i in range(3):
        here = np.asarray(Image.open(tmp_path / "here" / f"p{i}.png"), dtype=int)
        there = np.asarray(Image.open(tmp_path / "ray" / f"p{i}.png"), dtype=int)
        assert here.shape == there.shape and np.abs(here - there).max() <= 1, f"p{i} differs"
    # The noise start makes the seed matter: another seed is another picture, so equal ones are no accident.
    assert (
        cli.main([str(photos / "p0.png"), "-s", str(style), "-o", str(tmp_path / "other.png"), *SMALL, "--seed", "4"])
        == 0
    )
    other = np.asarray(Image.open(tmp_path / "other.png"), dtype=int)
    assert np.abs(other - np.asarray(Image.open(tmp_path / "here" / "p0.png"), dtype=int)).mean() > 5
    assert len(workers) == 2  # both worker processes painted


def test_a_failing_task_is_retried_once_then_reported_and_the_batch_goes_on(local_cluster, painting):
    from brushwork.engine.settings.style_params import StyleParams

    good = StyleParams(size=32, steps=2)
    bad = good.replace(weights="/nowhere/weights.pth")  # fails on the worker, every time
    tasks = [cluster.PaintTask(0, "good.png", make_photo(), good), cluster.PaintTask(1, "bad.png", make_photo(), bad)]
    reports = []
    workers = cluster.paint_batch(tasks, 2, [painting], reports.append)
    assert workers == 2
    by_name = {}
    for report in reports:
        by_name.setdefault(report.task.name, []).append(report)
    assert [r.painted is not None for r in by_name["good.png"]] == [True]
    assert by_name["good.png"][0].painted.picture.shape == (32, 43, 3)  # the short side is kept at 32 px
    bad_reports = by_name["bad.png"]
    assert [r.retrying for r in bad_reports] == [True, False] and all(r.painted is None for r in bad_reports)
    assert "weights" in bad_reports[-1].error


CLIP_SMALL = ["--size", "48", "--steps", "12", "--frame-steps", "3"]


def test_a_clip_on_ray_is_painted_in_overlapping_chunks_and_joined(local_cluster, image_files, tmp_path, capsys):
    from brushwork.engine.video.clip_files import probe

    from tests.clips import make_clip, sound_seconds

    _, style = image_files
    clip = make_clip(tmp_path / "walk.mp4", frames=12, fps=8)
    out = tmp_path / "painted.mp4"
    assert (
        cli.main([str(clip), "-s", str(style), "-o", str(out), *CLIP_SMALL, "--ray", "auto", "--ray-overlap", "2"]) == 0
    )
    err = capsys.readouterr().err
    # Two chunks, one per worker: frames 1-6, and 5-12 (5 and 6 painted by both, and faded).
    assert "2 chunk(s), 2 frames shared at each join: painting 2 on 2 worker(s)" in err
    assert "[chunk 1/2] frames 1-6 painted" in err and "[chunk 2/2] frames 5-12 painted" in err
    assert "12 frames in 2 chunk(s) on 2 Ray workers" in err
    workers = {line.rsplit(" on ", 1)[1] for line in err.splitlines() if line.startswith("[chunk")}
    assert len(workers) == 2
    info = probe(out)
    assert (info.frames, info.rate, info.width, info.height, info.audio) == (12, 8, 48, 36, "aac")
    assert sound_seconds(out) == pytest.approx(sound_seconds(clip), abs=1e-3)
    assert not video.work_folder(out).exists()
    # A clip cut short: its chunks hold what could be read, and the artist is told.
    whole = make_clip(tmp_path / "whole.mp4", frames=12, fps=8, audio=None, index_first=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 8 // 10])
    out = tmp_path / "cut_painted.mp4"
    assert (
        cli.main([str(cut), "-s", str(style), "-o", str(out), *CLIP_SMALL, "--ray", "auto", "--ray-overlap", "2"]) == 0
    )
    err = capsys.readouterr().err
    assert "warning: cut.mp4 announces 12 frames, but only" in err
    read = int(err.split("but only ")[1].split()[0])
    assert 0 < read < 12 and probe(out).frames == read


def test_a_chunk_is_the_in_process_chain_and_a_run_goes_on_from_the_chunks_kept(
    local_cluster, one_thread, painting, tmp_path
):
    from brushwork.engine.cluster.clip_cluster import ChunkedClip, paint_clip
    from brushwork.engine.settings.style_params import StyleParams
    from brushwork.engine.video.clip_files import probe

    from tests.clips import make_clip

    clip = make_clip(tmp_path / "walk.mp4", frames=12, fps=8, audio=None)
    params = StyleParams(size=32, steps=4)
    settings = video.VideoSettings(frame_steps=2)
    out = tmp_path / "out.mp4"
    first = ChunkedClip(clip, [painting], params, out, settings, overlap=2)
    reports = []
    assert paint_clip(first, reports.append) == (2, 0)
    assert first.done() == {0, 1} and len(reports) == 2
    # The first chunk's frames are the in-process chain's, level for level, up to where the second fades in.
    here = video.ClipRender(clip, [painting], params, tmp_path / "here.mp4", settings)
    for progress in here.run():
        if progress.frame_finished and progress.frame == 3:
            break
    for frame in range(4):
        ours = np.asarray(Image.open(first.work / "chunk_000" / f"frame_{frame:06d}.png"), dtype=int)
        theirs = np.asarray(Image.open(here.work / f"frame_{frame:06d}.png"), dtype=int)
        assert np.abs(ours - theirs).max() <= 1, f"frame {frame + 1} differs"

    (first.work / "chunk_001.done").unlink()  # as if the run had stopped before the second chunk came back
    again = ChunkedClip(clip, [painting], params, out, settings, overlap=2)
    reports.clear()
    assert paint_clip(again, reports.append) == (1, 0)
    assert [r.task.index for r in reports] == [1] and again.done() == {0, 1}
    assert again.write() == 12 and probe(out).frames == 12 and not again.work.exists()
    # Another job (here: other settings) does not take an earlier job's chunks: it starts anew.
    first = ChunkedClip(clip, [painting], params, out, settings, overlap=2)
    assert paint_clip(first, reports.append) == (2, 0)
    other = ChunkedClip(clip, [painting], params.replace(beta=20), out, settings, overlap=2)
    other.plan(2)
    assert other.done() == set()


def test_a_chunk_that_fails_twice_is_reported_and_the_clip_is_not_written(local_cluster, painting, tmp_path):
    from brushwork.engine.cluster.clip_cluster import ChunkedClip, paint_clip
    from brushwork.engine.settings.style_params import StyleParams

    from tests.clips import make_clip

    clip = make_clip(tmp_path / "walk.mp4", frames=12, fps=8, audio=None)
    params = StyleParams(size=32, steps=4, weights=str(tmp_path / "nowhere.pth"))  # fails on every worker
    chunked = ChunkedClip(clip, [painting], params, tmp_path / "out.mp4", video.VideoSettings(frame_steps=2), 2)
    reports = []
    assert paint_clip(chunked, reports.append) == (2, 2)
    by_chunk = {}
    for report in reports:
        by_chunk.setdefault(report.task.index, []).append(report.retrying)
    assert by_chunk == {0: [True, False], 1: [True, False]}  # each tried twice, then given up
    assert "nowhere.pth" in reports[-1].error
    assert chunked.done() == set() and not (tmp_path / "out.mp4").exists()
