import math
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
import torchvision
from brushwork.engine.errors import DeviceError, WeightsError
from brushwork.engine.network.devices import available_devices, resolve_device
from brushwork.engine.pictures.images import fit_dims
from brushwork.engine.run import schedule
from brushwork.engine.run import style_transfer as transfer
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

from tests.conftest import make_painting, make_photo

FAST = StyleParams(size=64, steps=12)


def _run_all(engine):
    return list(engine.run())


def test_the_loss_falls_and_every_step_is_reported(photo, painting):
    reports = _run_all(StyleTransfer(photo, painting, FAST))
    assert [p.step for p in reports] == list(range(1, 13))
    assert all(p.total_steps == 12 for p in reports)
    assert reports[-1].losses.total < 0.5 * reports[0].losses.total
    last = reports[-1]
    assert last.finished and last.preview is not None
    assert last.preview.dtype == np.uint8 and last.preview.shape == (last.height, last.width, 3)
    assert (last.height, last.width) == fit_dims(64, 48, 64)
    assert all(r.elapsed > 0 for r in reports) and reports[-1].elapsed >= reports[0].elapsed


def test_total_is_alpha_content_plus_beta_style(photo, painting):
    params = FAST.replace(alpha=2.0, beta=30.0, tv_weight=0.5, steps=3)
    reports = _run_all(StyleTransfer(photo, painting, params))
    assert len(reports) == 3
    for p in reports:
        terms = p.losses
        assert terms.total == pytest.approx(2.0 * terms.content + 30.0 * terms.style + 0.5 * terms.tv, rel=1e-5)


def test_coarse_to_fine_grows_the_picture_and_ends_at_the_output_size(photo, painting, monkeypatch):
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    engine = StyleTransfer(photo, painting, StyleParams(size=96, steps=12))
    reports = _run_all(engine)
    widths = [p.width for p in reports]
    assert widths == sorted(widths) and widths[0] == fit_dims(64, 48, 32)[1] and widths[-1] == 96
    assert len(set(widths)) == 3
    assert [p.scale for p in reports if p.scale_finished] == [0, 1, 2]
    assert all(p.preview is not None for p in reports if p.scale_finished)
    assert engine.result().size == (96, 72)
    assert engine.current_picture().size == (96, 72)  # the canvas margin is never shown


def test_previews_are_rate_limited(photo, painting, monkeypatch):
    monkeypatch.setattr(transfer, "PREVIEW_INTERVAL", 1e9)
    reports = _run_all(StyleTransfer(photo, painting, FAST))
    assert [p.step for p in reports if p.preview is not None] == [12]


def test_update_reaches_the_very_next_step(photo, painting):
    engine = StyleTransfer(photo, painting, FAST)
    seen = []
    for p in engine.run():
        seen.append(p)
        if p.step == 3:
            engine.update(FAST.replace(beta=123.0, style_layers={"conv1_1": 1.0, "conv3_1": 2.0}))
    assert seen[2].params.beta == 10.0 and seen[3].params.beta == 123.0
    after = seen[3].losses
    assert after.total == pytest.approx(after.content + 123.0 * after.style, rel=1e-5)
    assert seen[3].params.style_weights == {"conv1_1": 1.0, "conv3_1": 2.0}


def test_a_layer_raised_from_zero_joins_the_objective(photo, painting):
    params = FAST.replace(style_layers={"conv1_1": 1.0, "conv4_1": 0.0}, steps=6)
    engine = StyleTransfer(photo, painting, params)
    styles = []
    for p in engine.run():
        styles.append(p.losses.style)
        if p.step == 3:
            engine.update(params.with_style_weight("conv4_1", 5.0))
    assert styles[3] > 2 * styles[2]  # a heavy new layer, far from matched


def test_a_new_content_image_mid_run_continues_from_the_picture(photo, painting):
    engine = StyleTransfer(photo, painting, FAST)
    dims = []
    for p in engine.run():
        dims.append((p.height, p.width))
        if p.step == 4:
            engine.update(content=make_photo(48, 64))  # portrait instead of landscape
    assert dims[3] == fit_dims(64, 48, 64) and dims[4] == fit_dims(48, 64, 64)
    assert engine.finished and engine.result().size == (48, 64)


def test_cancel_stops_within_one_step(photo, painting):
    engine = StyleTransfer(photo, painting, FAST)
    steps = []
    for p in engine.run():
        steps.append(p.step)
        if p.step == 2:
            engine.cancel()
    assert steps == [1, 2]
    assert not engine.finished and engine.current_picture() is not None


def _wait_until(condition, what: str, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.005)


def test_cancel_and_pause_from_another_thread(photo, painting):
    engine = StyleTransfer(photo, painting, FAST.replace(steps=10_000))
    steps = []
    worker = threading.Thread(target=lambda: steps.extend(p.step for p in engine.run()), daemon=True)
    worker.start()
    try:
        _wait_until(lambda: len(steps) >= 2, "two steps")
        engine.pause()
        assert engine.paused
        # The step in flight finishes and is reported, then the run holds.
        _wait_until(lambda: engine.holding, "the run to hold")
        held = len(steps)
        assert held >= 2 and steps == list(range(1, held + 1))
        # Holding is established: no step may run now, however long we look.
        time.sleep(0.5)
        assert len(steps) == held and engine.holding and worker.is_alive()
        engine.resume()
        _wait_until(lambda: len(steps) >= held + 2, "two more steps after resume")
        assert not engine.holding
    finally:
        engine.cancel()
        worker.join(timeout=60)
    assert not worker.is_alive(), "the run did not end after cancel()"
    assert not engine.finished and len(steps) < 10_000


def test_cancel_while_paused_ends_the_run(photo, painting):
    engine = StyleTransfer(photo, painting, FAST)
    engine.pause()
    reports = []
    worker = threading.Thread(target=lambda: reports.extend(engine.run()), daemon=True)
    worker.start()
    try:
        _wait_until(lambda: engine.holding, "the paused run to hold")
        assert worker.is_alive() and reports == []
    finally:
        engine.cancel()
        worker.join(timeout=60)
    assert not worker.is_alive(), "the paused run did not end after cancel()"
    assert reports == [] and not engine.finished and not engine.holding


def test_same_seed_same_picture(photo, painting):
    params = FAST.replace(init="noise", steps=5, seed=3)
    first = _run_all(StyleTransfer(photo, painting, params))[-1].preview
    again = _run_all(StyleTransfer(photo, painting, params))[-1].preview
    other = _run_all(StyleTransfer(photo, painting, params.replace(seed=4)))[-1].preview
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_adam_also_lowers_the_loss(photo, painting):
    reports = _run_all(StyleTransfer(photo, painting, FAST.replace(optimizer="adam", steps=20)))
    assert reports[-1].losses.total < 0.7 * reports[0].losses.total


def test_switching_optimiser_mid_run(photo, painting):
    engine = StyleTransfer(photo, painting, FAST)
    for p in engine.run():
        if p.step == 3:
            engine.update(FAST.replace(optimizer="adam"))
    assert engine.finished and math.isfinite(p.losses.total)


def test_init_from_an_image_file_and_from_a_start_picture(tmp_path, photo, painting):
    flat = Image.new("RGB", (64, 48), (10, 200, 10))
    path = tmp_path / "init.png"
    flat.save(path)
    params = FAST.replace(init="image", init_image=str(path), alpha=0.0, steps=1)
    engine = StyleTransfer(photo, painting, params)
    list(engine.run())
    assert np.asarray(engine.current_picture()).reshape(-1, 3).mean(axis=0)[1] > 150  # still mostly green
    engine = StyleTransfer(photo, painting, FAST.replace(steps=1, alpha=0.0), start_picture=flat)
    list(engine.run())
    assert np.asarray(engine.current_picture()).reshape(-1, 3).mean(axis=0)[1] > 150


def test_the_engine_makes_its_own_grad_mode(photo, painting):
    # A caller that happens to run under no_grad must not break the optimisation.
    with torch.no_grad():
        reports = _run_all(StyleTransfer(photo, painting, FAST))
    assert reports[-1].losses.total < 0.5 * reports[0].losses.total


def test_a_torchvision_layout_weights_file_runs(tmp_path, photo, painting):
    path = tmp_path / "vgg19-random.pth"
    torch.save(torchvision.models.vgg19(weights=None).state_dict(), path)
    reports = _run_all(StyleTransfer(photo, painting, FAST.replace(weights=str(path), steps=3)))
    assert [p.step for p in reports] == [1, 2, 3] and reports[-1].finished
    assert all(math.isfinite(p.losses.total) for p in reports)


def test_a_missing_weights_file_raises_a_clear_error(photo, painting):
    engine = StyleTransfer(photo, painting, FAST.replace(weights="/nonexistent/vgg.pth"))
    with pytest.raises(WeightsError, match="not found"):
        next(engine.run())


def test_devices(monkeypatch):
    assert available_devices()[-1] == "cpu"
    assert resolve_device("cpu").type == "cpu"
    # As on a machine without a CUDA GPU, whatever this one has.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert not any(name.startswith("cuda") for name in available_devices())
    assert resolve_device("auto").type in ("cpu", "mps")
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        resolve_device("cuda:0")


def test_engine_never_imports_qt():
    code = (
        "import sys, brushwork.engine, brushwork.engine.cli.main; "
        "print(any(m.startswith(('PySide6', 'qasync')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_render_returns_the_output_size():
    picture = transfer.render(make_photo(80, 40), make_painting(), FAST.replace(steps=2))
    assert picture.size == (64, 32) and picture.mode == "RGB"


# Three scales of 32, 55 and 96 px; 30 steps split 14 / 9 / 7.
THREE_SCALES = StyleParams(size=96, steps=30, stop_early=False)


def _change_mid_run(engine, at_step: int, change) -> list:
    reports = []
    for p in engine.run():
        reports.append(p)
        if p.step == at_step and len(reports) == at_step:
            engine.update(change)
        if len(reports) == at_step + 3:
            engine.cancel()
    return reports


def test_fewer_steps_mid_run_still_end_at_the_output_size(photo, painting, monkeypatch):
    """A user trial: Steps lowered at a middle scale below the steps taken ended the run at once, a
    55 px picture reported as finished. It goes on to the output size with the new budget."""
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    engine = StyleTransfer(photo, painting, THREE_SCALES)
    reports = []
    for p in engine.run():
        reports.append(p)
        if p.step == 18 and len(reports) == 18:
            assert p.width == 55
            engine.update(THREE_SCALES.replace(steps=12))  # 5 / 3 / 4 steps
    after = reports[18:]
    assert [(p.step, p.total_steps, p.width) for p in after] == [(step, 12, 96) for step in range(9, 13)]
    assert after[-1].finished and engine.result().size == (96, 72)


def test_more_steps_mid_run_keep_the_scale_being_painted(photo, painting, monkeypatch):
    """More steps put step 18 on the 32 px scale of the new plan: the picture must not shrink back."""
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    engine = StyleTransfer(photo, painting, THREE_SCALES)
    more = THREE_SCALES.replace(steps=300)
    reports = _change_mid_run(engine, 18, more)
    middle = schedule.plan_stages(96, 300)[1]
    assert reports[17].width == 55
    assert [(p.step, p.width) for p in reports[18:]] == [(middle.first_step + i, 55) for i in (1, 2, 3)]


def test_fewer_steps_than_taken_at_the_output_size_end_the_run(photo, painting, monkeypatch):
    monkeypatch.setattr(schedule, "FIRST_SIDE", 32)
    engine = StyleTransfer(photo, painting, THREE_SCALES)
    reports = _change_mid_run(engine, 25, THREE_SCALES.replace(steps=20))
    assert reports[24].width == 96
    assert len(reports) == 26 and reports[-1].finished and reports[-1].width == 96
    assert engine.result().size == (96, 72)
