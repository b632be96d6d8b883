"""The speed options: they must change the time, not the picture."""

import pytest
import torch
from brushwork.engine.errors import DeviceError
from brushwork.engine.network import precision
from brushwork.engine.network.devices import resolve_device
from brushwork.engine.network.precision import cpu_has_fast_bf16, resolve_precision
from brushwork.engine.network.vgg19 import FeatureExtractor
from brushwork.engine.run import convergence
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.style_params import StyleParams

FAST = StyleParams(size=64, steps=12)


def test_precision_choices(monkeypatch):
    cpu = resolve_device("cpu")
    assert resolve_precision("float32", cpu) == torch.float32
    assert resolve_precision("bfloat16", cpu) == torch.bfloat16
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: True)
    assert resolve_precision("auto", torch.device("cpu")) == torch.bfloat16
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: False)
    assert resolve_precision("auto", torch.device("cpu")) == torch.float32
    with pytest.raises(DeviceError, match="float16 convolutions need a GPU"):
        resolve_precision("float16", cpu)


@pytest.mark.parametrize(
    ("cap", "fast"), [(None, True), ("AVX2", False), ("avx512_core_vnni", False), ("AVX512_CORE_BF16", True)]
)
def test_a_onednn_capped_below_bf16_makes_auto_pick_float32(monkeypatch, tmp_path, cap, fast):
    """On a CPU with AVX-512 BF16, ``ONEDNN_MAX_CPU_ISA=AVX2`` makes oneDNN emulate bfloat16 (slowly)."""
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t\t: fpu avx2 fma avx512f avx512_bf16\n")
    real_path = precision.Path
    monkeypatch.setattr(precision, "Path", lambda p: cpuinfo if p == "/proc/cpuinfo" else real_path(p))
    monkeypatch.setattr(precision.platform, "system", lambda: "Linux")
    monkeypatch.setattr(precision.torch.backends.mkldnn, "is_available", lambda: True)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    if cap is None:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    else:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    precision.cpu_has_fast_bf16.cache_clear()
    try:
        assert precision.cpu_has_fast_bf16() is fast
        assert resolve_precision("auto", torch.device("cpu")) == (torch.bfloat16 if fast else torch.float32)
    finally:
        precision.cpu_has_fast_bf16.cache_clear()


def test_bf16_features_are_close_to_float32(oxford):
    x = torch.rand(1, 3, 48, 48, generator=torch.Generator().manual_seed(0))
    taps = ["conv1_1", "conv3_1", "conv5_1"]
    ref = FeatureExtractor(oxford, "conv5_1")(x, taps)
    low = FeatureExtractor(oxford, "conv5_1", dtype=torch.bfloat16)(x, taps)
    for name in taps:
        assert low[name].dtype == torch.bfloat16
        rel = (low[name].float() - ref[name]).norm() / ref[name].norm()
        assert rel < 0.03, (name, rel.item())


def test_bf16_runs_end_like_float32_runs(photo, painting, oxford, steady_threads):
    # L-BFGS paths part ways at the first rounding difference, so the pictures
    # are compared the way the benchmark's scorer does: by a float32 objective.
    from brushwork.engine.objective.scale_objective import Objective
    from brushwork.engine.pictures.images import fit_dims, resize, to_tensor

    # Without AVX-512 BF16 or AMX, bfloat16 convolutions are emulated at more than
    # ten times the cost of float32 ones: there, a shorter run on a smaller picture
    # (about 10 s instead of minutes), still long enough to take the loss far below
    # the photo's, before the two paths have drifted apart.
    size, steps = (64, 60) if cpu_has_fast_bf16() else (32, 15)
    # The same steps for both: with stop_early, two paths that part ways can also stop at different looks (the
    # loss is looked at every other step), and on a busy machine the thread count, and so the rounding, changes.
    params = FAST.replace(size=size, steps=steps, clean_edges=False, stop_early=False)
    content = to_tensor(resize(photo, *fit_dims(*photo.size, size)))
    judge = Objective(
        FeatureExtractor(oxford, "conv5_1"),
        content,
        to_tensor(resize(painting, *fit_dims(*painting.size, size))),
        params,
    )
    with torch.no_grad():
        start = judge(content)[0].item()  # the run starts from the photo
    totals, devices = {}, {}
    for precision_name in ("float32", "bfloat16"):
        engine = StyleTransfer(photo, painting, params.replace(precision=precision_name))
        devices[precision_name] = list(engine.run())[-1].device
        with torch.no_grad():
            totals[precision_name] = judge(to_tensor(engine.current_picture()))[0].item()
    assert devices["float32"].endswith("float32") and devices["bfloat16"].endswith("bfloat16")
    # Both runs got somewhere, so agreeing within 5 % says something.
    assert max(totals.values()) < 0.5 * start, (start, totals)
    assert abs(totals["bfloat16"] - totals["float32"]) / totals["float32"] < 0.05, totals


def test_stop_early_skips_the_rest_of_a_still_scale(photo, painting, monkeypatch):
    monkeypatch.setattr(convergence, "STILL_LEVELS", 1e9)  # everything counts as still
    reports = list(StyleTransfer(photo, painting, FAST.replace(steps=100)).run())
    # Checks come every 10 steps and never before MIN_STAGE_STEPS of a scale.
    assert len(reports) == 20 and reports[-1].step == 100 and reports[-1].finished
    kept = list(StyleTransfer(photo, painting, FAST.replace(steps=40, stop_early=False)).run())
    assert len(kept) == 40


def test_a_moving_picture_is_not_still():
    check = convergence.StillnessCheck()
    picture = torch.zeros(1, 3, 8, 8)
    for step in range(1, 10):
        assert not check.is_still(picture, 1.0, step, 100, final=True)
    assert not check.is_still(picture, 1.0, 10, 100, final=True)  # first look: nothing to compare yet
    for step in range(11, 20):
        check.is_still(picture, 1.0, step, 100, final=True)
    assert not check.is_still(picture + 0.5, 0.5, 20, 100, final=True)  # moved a lot, loss halved
    assert check.last_change == pytest.approx(127.5) and check.last_gain == pytest.approx(0.5)
    for step in range(21, 30):
        check.is_still(picture + 0.5, 0.5, step, 100, final=True)
    assert check.is_still(picture + 0.5, 0.5, 30, 100, final=True)  # not moved at all


def _first_still(losses, final=True, moving=True) -> int | None:
    """The first step (1-based) at which a scale with these losses counts as done; the picture moves by a
    level a step if ``moving`` (texture shuffling), so that only the loss can end it."""
    check = convergence.StillnessCheck()
    picture = torch.zeros(1, 3, 8, 8)
    for step, loss in enumerate(losses, 1):
        if check.is_still(picture + step / 255 * moving, loss, step, 1000, final):
            return step
    return None


@pytest.mark.parametrize("final", [True, False])
def test_a_scale_whose_loss_has_flattened_is_done_even_while_texture_shuffles(final):
    gain = convergence.FINAL_MIN_GAIN if final else convergence.COARSE_MIN_GAIN
    window = convergence.GAIN_WINDOW

    def falling(per_window: float, steps: int, start: float = 1.0) -> list[float]:
        rate = (1 - per_window) ** (1 / window)
        return [start * rate**k for k in range(1, steps + 1)]

    paying = falling(2 * gain, 60)  # twice the gain it asks for: never done
    assert _first_still(paying, final) is None
    flat = falling(gain / 2, 30, start=paying[29])  # half of it from step 31 on: done within a window and a look
    done = _first_still(paying[:30] + flat, final)
    assert done is not None and 30 + window <= done <= 30 + window + convergence.LOOK_EVERY
    # The output scale asks for less gain than a coarse one before it counts as done.
    assert convergence.FINAL_MIN_GAIN < convergence.COARSE_MIN_GAIN


def test_the_loss_is_looked_at_often_over_a_short_window():
    """A scale whose loss flattened after step 24 ends at step 30, where looking every ten steps over the last
    ten ended it at 40: that ran each scale on for about ten steps after it had stopped paying (5 s of the
    40 s output scale of a default 256 px run on an AVX2 CPU)."""
    gain = convergence.FINAL_MIN_GAIN
    losses = [1.0 - 0.02 * step for step in range(1, 25)] + [0.52 * (1 - gain / 20) ** k for k in range(1, 31)]
    assert _first_still(losses) == 30


def test_one_step_up_does_not_end_a_scale_that_still_pays():
    """L-BFGS without a line search now and then takes a step up: the gain counts from the window's best."""
    gain = convergence.FINAL_MIN_GAIN
    rate = (1 - 3 * gain) ** (1 / convergence.GAIN_WINDOW)
    losses = [rate**k for k in range(1, 41)]
    losses[29] = losses[22]  # step 30 jumps back to where step 23 was
    assert _first_still(losses) is None


def test_new_settings_restart_the_count_of_a_scale(photo, painting, monkeypatch):
    """A loss from other settings says nothing about progress: a slider move must not end a scale."""
    engine = StyleTransfer(photo, painting, FAST.replace(steps=60))
    steps = []
    for p in engine.run():
        steps.append(p.step)
        if p.step == 25:
            engine.update(p.params.replace(beta=p.params.beta * 5))  # the loss jumps up at once...
    # ...which the check at step 30 must not read as a scale that stopped paying.
    assert steps[:32] == list(range(1, 33))


def test_clean_edges_off_optimises_the_visible_picture_only(photo, painting):
    engine = StyleTransfer(photo, painting, FAST.replace(clean_edges=False, steps=2))
    list(engine.run())
    assert engine._scale.margin == 0 and engine._scale.picture.shape[-2:] == (48, 64)
    engine = StyleTransfer(photo, painting, FAST.replace(steps=2))
    list(engine.run())
    assert engine._scale.margin > 0 and engine._scale.picture.shape[-1] == 64 + 2 * engine._scale.margin
    assert engine.current_picture().size == (64, 48)


def test_a_new_scale_starts_with_the_last_scales_step_scale(photo, painting, monkeypatch, steady_threads):
    """A fresh L-BFGS's first step is exploratory (at most ``first_step`` anywhere): at each new scale that was
    a step that barely moved the picture. The last scale's learnt step scale carries over instead."""
    from brushwork.engine.optimisers.lbfgs import LBFGS

    params = StyleParams(size=192, steps=30, stop_early=False, precision="float32")  # 128, then 192 px

    def first_move_at_the_second_scale() -> float:
        engine = StyleTransfer(photo, painting, params)
        for p in engine.run():
            if p.scale == 1:
                scale = engine._scale  # its first step: evaluated is the picture it started from
                engine.cancel()
                return (scale.picture.detach() - scale.evaluated.float()).abs().mean().item() * 255
        raise AssertionError("no second scale")

    carried = first_move_at_the_second_scale()
    monkeypatch.setattr(LBFGS, "adopt_step_scale", lambda self, per_element: None)
    fresh = first_move_at_the_second_scale()
    assert carried > 5 * fresh, (carried, fresh)
