"""The time-lapse: what the recorder keeps, how it is sampled, and files that decode as they should."""

from __future__ import annotations

import dataclasses

import av
import numpy as np
import pytest
from brushwork.engine.errors import BrushworkError
from brushwork.engine.objective.loss_terms import LossTerms
from brushwork.engine.run.progress import Progress
from brushwork.engine.settings.style_params import StyleParams
from brushwork.engine.video.timelapse import (
    TimelapseOptions,
    TimelapseRecorder,
    frame_size,
    sampled,
    write_timelapse,
)
from PIL import Image

TERMS = LossTerms(1.0, 1.0, 0.0, 2.0)


def report(elapsed: float, value: int, size=(64, 48), *, finished=False) -> Progress:
    """A step's report carrying a flat picture of grey ``value``: which frame a video shows is then readable."""
    width, height = size
    preview = np.full((height, width, 3), value, dtype=np.uint8)
    return Progress(1, 10, 0, 1, height, width, TERMS, elapsed, StyleParams(), "CPU", preview, finished=finished)


def decoded_mp4(path) -> tuple[list[np.ndarray], float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
        return frames, float(stream.average_rate)


def test_the_recorder_keeps_frames_evenly_spaced_in_bounded_memory():
    recorder = TimelapseRecorder(capacity=16)
    recorder.begin(continuing=False)
    for i in range(400):  # 40 s of painting at the engine's ten previews a second
        recorder.add(report(i * 0.1, i % 256))
    recording = recorder.recording()
    assert 8 <= len(recording.frames) <= 17  # at most the capacity, and the newest picture
    gaps = np.diff(recording.times[:-1])
    assert gaps.max() - gaps.min() <= 0.2 + 1e-6  # evenly spaced, to a preview interval either way
    assert recording.times[0] == 0.0 and recording.times[-1] == pytest.approx(39.9)
    assert recording.frames[-1][0, 0, 0] == 399 % 256  # the newest picture is always there
    assert recorder.duration == pytest.approx(39.9)


def test_a_continued_run_goes_on_in_the_same_recording_and_a_fresh_one_clears_it():
    recorder = TimelapseRecorder()
    recorder.begin(continuing=False)
    for i in range(5):
        recorder.add(report(i * 1.0, 10 + i))
    recorder.begin(continuing=True)  # a new engine: its elapsed time starts again at 0
    for i in range(5):
        recorder.add(report(i * 1.0, 20 + i))
    times = recorder.recording().times
    assert list(times) == sorted(times) and times[-1] == pytest.approx(8.0)
    recorder.add(report(0.5, 99, finished=False))  # reports without a picture are skipped
    recorder.begin(continuing=False)
    assert recorder.frames == 0 and recorder.duration == 0.0


def test_sampling_shows_the_picture_on_screen_at_even_moments():
    times = (0.0, 1.0, 2.0, 9.0, 10.0)  # a slow stretch from 2 s to 9 s
    picks = sampled(times, 11)  # moments 0, 1, ..., 10 s
    assert picks == [0, 1, 2, 2, 2, 2, 2, 2, 2, 3, 4]  # the slow stretch holds its picture, as the artist saw it
    assert sampled((5.0,), 4) == [0, 0, 0, 0]
    width, height = frame_size((513, 341), 0)
    assert width % 2 == height % 2 == 0 and abs(width - 513) <= 1 and abs(height - 341) <= 1  # even for H.264
    assert frame_size((300, 400), 720) == (540, 720)


def test_an_mp4_has_the_chosen_length_rate_and_size_and_holds_the_end(tmp_path):
    recorder = TimelapseRecorder()
    recorder.begin(continuing=False)
    # A coarse scale at half size, then the full size: the video never changes size.
    for i in range(20):
        recorder.add(report(i * 0.5, 40, size=(32, 24)))
    for i in range(20, 40):
        recorder.add(report(i * 0.5, 200, size=(64, 48)))
    options = TimelapseOptions(long_side=128, fps=10, seconds=4.0, hold=1.0)
    written = write_timelapse(recorder.recording(), tmp_path / "run.mp4", options)
    frames, rate = decoded_mp4(tmp_path / "run.mp4")
    assert len(frames) == written.frames == 40 + 10 and rate == 10
    assert {frame.shape for frame in frames} == {(96, 128, 3)}
    # Half of the run's time on each scale: half of the 40 frames show each (H.264 rounds the greys a little).
    means = [float(frame.mean()) for frame in frames]
    assert all(abs(m - 40) < 6 for m in means[:19]) and all(abs(m - 200) < 6 for m in means[21:])


def test_a_gif_lasts_the_chosen_time_and_shows_each_picture_whole(tmp_path):
    """Unchanged pixels are written as transparent over the last frame: what shows must still be each picture."""
    ramp = np.broadcast_to(np.linspace(0, 255, 48, dtype=np.uint8)[None, :, None], (36, 48, 3))
    recorder = TimelapseRecorder()
    recorder.begin(continuing=False)
    pictures = []
    for i in range(30):
        picture = ramp.copy()
        picture[:, 24:] = 255 - i * 8  # the right half changes, the left half's ramp stays
        pictures.append(picture)
        recorder.add(dataclasses.replace(report(i * 0.2, 0, size=(48, 36)), preview=picture))
    options = TimelapseOptions(long_side=48, fps=10, seconds=3.0, hold=2.0)
    write_timelapse(recorder.recording(), tmp_path / "run.gif", options)
    with Image.open(tmp_path / "run.gif") as gif:
        durations, shown = [], []
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.append(gif.info["duration"])
            shown.append(np.asarray(gif.convert("RGB"), dtype=np.int16))
        assert gif.size == (48, 36)
    assert sum(durations) == pytest.approx(5000, abs=100)
    assert durations[-1] >= 2000  # the finished picture held
    for frame, picture in ((shown[0], pictures[0]), (shown[-1], pictures[-1])):
        assert np.abs(frame - picture).mean() < 4  # one palette of 255 colours, no dithering
    assert np.abs(shown[-1][:, :24] - ramp[:, :24]).max() < 8  # the transparent, unchanged half shows through


def test_bad_time_lapses_are_refused_with_a_clear_message(tmp_path):
    recorder = TimelapseRecorder()
    recorder.begin(continuing=False)
    with pytest.raises(BrushworkError, match="nothing to make a time-lapse of"):
        write_timelapse(recorder.recording(), tmp_path / "run.mp4", TimelapseOptions())
    recorder.add(report(0.0, 100))
    with pytest.raises(BrushworkError, match=r"\.mp4 or \.gif"):
        write_timelapse(recorder.recording(), tmp_path / "run.avi", TimelapseOptions())
    with pytest.raises(BrushworkError, match="frames a second"):
        write_timelapse(recorder.recording(), tmp_path / "run.mp4", TimelapseOptions(fps=500))
    with pytest.raises(BrushworkError, match="Could not write"):
        write_timelapse(recorder.recording(), tmp_path / "missing" / "run.mp4", TimelapseOptions())
    existing = tmp_path / "kept.mp4"
    existing.write_bytes(b"an earlier file")
    with pytest.raises(BrushworkError):
        write_timelapse(recorder.recording(), existing, TimelapseOptions(long_side=5))
    assert existing.read_bytes() == b"an earlier file"  # a failed write leaves what was there


def test_a_print_size_picture_is_kept_reduced():
    recorder = TimelapseRecorder()
    recorder.begin(continuing=False)
    recorder.add(report(0.0, 50, size=(1600, 800)))
    assert recorder.size == (1600, 800)  # what the dialog says: the picture as painted
    recorder.add(report(0.01, 60, size=(1600, 800)))  # same slot: only the newest picture, kept aside
    frames = recorder.recording().frames
    assert [frame.shape for frame in frames] == [(640, 1280, 3), (640, 1280, 3)]
    assert recorder.size == (1600, 800)
