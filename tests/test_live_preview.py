"""Progressive refinement (engine.run.live_preview): a change on a slow scale is shown at a smaller,
cheaper side first, without losing the full-size picture's detail, and the plan then carries on."""

import pytest
import torch
from brushwork.engine.run import live_preview
from brushwork.engine.run import style_transfer as transfer
from brushwork.engine.run.live_preview import Pace, PreviewState, composite, preview_side, resample
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.style_params import StyleParams

from tests.conftest import make_painting, make_photo

# One scale of 96 px (coarse to fine starts at 128 px), with no early stop, so
# that every planned step runs at 96 px.
PARAMS = StyleParams(size=96, steps=14, stop_early=False)


@pytest.fixture
def slow_scales(monkeypatch):
    """Every step counts as slow and a preview may be small, so that a 96 px run previews at 48 px.

    The artist "lets go" as soon as the change has been shown for the minimum
    number of steps: no test waits on the clock.
    """
    monkeypatch.setattr(live_preview, "LIVE_STEP_SECONDS", 1e-6)
    monkeypatch.setattr(live_preview, "TEXTURE_PREVIEW_SECONDS", 1e-6)
    monkeypatch.setattr(live_preview, "MIN_PREVIEW_SIDE", 48)
    monkeypatch.setattr(live_preview, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(live_preview, "MIN_PREVIEW_STEPS", 3)
    # A frame with every step: 48 px steps can take under the 0.1 s between frames on a fast machine.
    monkeypatch.setattr(transfer, "PREVIEW_INTERVAL", 0.0)


def test_the_preview_side_makes_a_step_cost_about_the_live_budget():
    assert preview_side(512, None) is None  # nothing measured yet
    assert preview_side(512, 0.1) is None  # fast enough as it is
    # A step's cost goes with the pixel count: a quarter of the cost at half the side.
    assert preview_side(512, 4 * live_preview.LIVE_STEP_SECONDS, colours_only=True) == 256
    assert preview_side(512, 2.4) == round(512 * (live_preview.LIVE_STEP_SECONDS / 2.4) ** 0.5)
    assert preview_side(4096, 1000.0) == live_preview.MIN_PREVIEW_SIDE
    assert preview_side(128, 0.3, colours_only=True) is None  # 116 px would save too little
    # Anything but the colours: only where a full-size step is slower than a preview lasts.
    assert live_preview.TEXTURE_PREVIEW_SECONDS == live_preview.MIN_PREVIEW_STEPS * live_preview.LIVE_STEP_SECONDS
    assert preview_side(512, 0.95) is None  # 512 px with bfloat16
    assert preview_side(512, 0.95, colours_only=True) == round(512 * (live_preview.LIVE_STEP_SECONDS / 0.95) ** 0.5)


def test_the_composite_keeps_the_detail_and_adds_the_coarse_change():
    torch.manual_seed(0)
    full = torch.rand(1, 3, 64, 96) * 0.5 + 0.25
    low = resample(full, (32, 48))
    assert composite(full, low, low).equal(full)  # no change yet: exactly the full-size picture
    brighter = low + 0.1
    shown = composite(full, brighter, low)
    assert torch.allclose(shown, full + 0.1, atol=1e-5)  # a uniform change comes through whole...
    assert (shown - full).std() < 1e-4  # ...and the fine detail of ``full`` is untouched


def test_the_pace_follows_the_scale():
    pace = Pace()
    pace.record(256, 9.0)  # the first step builds the targets: not counted
    assert pace.seconds is None
    pace.record(256, 1.0)
    pace.record(256, 2.0)
    assert 1.0 < pace.seconds < 2.0
    pace.record(512, 40.0)  # a new scale starts afresh, again without its first step
    assert (pace.side, pace.seconds) == (512, None)
    pace.record(512, 4.0)
    assert pace.seconds == 4.0


def test_a_preview_settles_once_the_change_has_been_shown(monkeypatch):
    monkeypatch.setattr(live_preview, "SETTLE_SECONDS", 0.0)
    state = PreviewState(64, torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 4, 4))
    state.changed()
    for _ in range(live_preview.MIN_PREVIEW_STEPS - 1):
        state.steps_since_change += 1
        assert not state.settled()
    state.steps_since_change += 1
    assert state.settled()


def test_a_change_on_a_slow_scale_is_previewed_then_the_plan_carries_on(slow_scales):
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    stronger = PARAMS.replace(beta=200.0)
    reports = []
    before_change = None
    for p in engine.run():
        reports.append(p)
        if p.step == 4 and p.preview_side is None and before_change is None:
            before_change = engine.current_picture()
            engine.update(stronger)
    previews = [p for p in reports if p.preview_side is not None]
    assert previews, "the change was never previewed"
    assert {p.preview_side for p in previews} == {48}
    # Preview steps are extra: the plan's 14 steps all ran, at the plan's own size.
    plan_steps = [p.step for p in reports if p.preview_side is None]
    assert plan_steps == list(range(1, 15))
    assert all(p.step == 4 for p in previews)
    assert len(previews) == live_preview.MIN_PREVIEW_STEPS
    # What is shown during the preview is full size, and it carries the change.
    assert all((p.height, p.width) == (72, 96) for p in previews)
    assert all(p.params.beta == 200.0 for p in previews)
    first_shown = next(p.preview for p in previews if p.preview is not None)
    assert first_shown.shape == (72, 96, 3)
    after = previews[-1]
    assert engine.finished and reports[-1].finished and reports[-1].preview_side is None
    assert after.losses.style == after.losses.style  # a real, finite report
    assert before_change.size == (96, 72)


def test_the_plan_resumes_from_the_previewed_picture(slow_scales):
    """Climbing back keeps the picture the artist saw: the full-size picture equals the last composite."""
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    last_shown = None
    climbed_back_from = None
    for p in engine.run():
        if p.step == 3 and last_shown is None and p.preview_side is None:
            engine.update(PARAMS.replace(beta=200.0))
        if p.preview_side is not None:
            last_shown = engine._shown_rgb().clone()
        elif last_shown is not None and climbed_back_from is None:
            # The first plan step after the preview started from the composite.
            climbed_back_from = engine._scale.best  # the canvas that step evaluated (the first since the picture)
            engine.cancel()
    margin = engine._scale.margin
    start = climbed_back_from[..., margin : climbed_back_from.shape[-2] - margin, margin:-margin]
    assert torch.allclose(start, last_shown, atol=1e-6)


def test_a_preview_moves_the_picture_towards_the_new_setting(slow_scales):
    """beta up: the style error, as the full-size objective counts it, falls during the preview alone.

    In float32: on a CPU with AMX the bfloat16 run's preview made a 19 % drop, and the 20 % bound is about
    the preview, not the number format."""
    params = PARAMS.replace(precision="float32")
    engine = StyleTransfer(make_photo(), make_painting(), params)
    stronger = params.replace(beta=500.0)
    shown = []
    for p in engine.run():
        if p.step == 4 and p.preview_side is None and not shown:
            shown.append(engine._shown_rgb().clone())
            engine.update(stronger)
        elif p.preview_side is not None:
            latest = engine._shown_rgb().clone()
        elif shown:
            shown.append(latest)
            engine.cancel()
    objective = engine._scale.objective  # the full-size objective, with beta 500 now
    margin = engine._scale.margin
    errors = []
    for picture in shown:
        canvas = torch.nn.functional.pad(picture, (margin,) * 4, mode="reflect")
        with torch.no_grad():
            errors.append(objective(canvas)[1][1].item())
    assert errors[1] < 0.8 * errors[0]


def test_a_new_photo_during_a_preview_goes_straight_back_to_the_plan(slow_scales):
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    sides = []
    for p in engine.run():
        sides.append(p.preview_side)
        if p.step == 3 and len(sides) == 3:
            engine.update(PARAMS.replace(beta=200.0))
        elif p.preview_side is not None and len(sides) == 4:
            engine.update(content=make_photo(80, 60))
        if len(sides) == 6:
            engine.cancel()
    assert sides[3] == 48  # previewing the new beta
    assert sides[4] is None  # the new photo: built at the plan's scale at once
    assert engine._preview is None and engine._scale.picture.shape[-1] == 96 + 2 * engine._scale.margin


def test_fast_scales_are_never_previewed():
    """Without the slow_scales fixture, a 96 px step is far below the live budget."""
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    sides = []
    for p in engine.run():
        sides.append(p.preview_side)
        if p.step == 4:
            engine.update(PARAMS.replace(beta=200.0))
    assert sides == [None] * 14


def test_only_the_colours_are_previewed_where_a_full_size_step_is_quicker_than_a_preview(slow_scales, monkeypatch):
    """Every step is slow for the live budget, but quicker than a preview lasts: a weight change goes
    straight to full-size steps, a change of colours is previewed."""
    monkeypatch.setattr(live_preview, "TEXTURE_PREVIEW_SECONDS", 1e6)
    assert preview_side(512, 2.4) is None and preview_side(512, 2.4, colours_only=True) is not None

    def sides_after(change):
        engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
        sides = []
        for p in engine.run():
            sides.append(p.preview_side)
            if p.step == 4 and len(sides) == 4:
                engine.update(change)
        return sides

    assert sides_after(PARAMS.replace(beta=200.0)) == [None] * 14
    assert sides_after(PARAMS.with_style_weight("conv4_1", 2.0)) == [None] * 14
    assert sides_after(PARAMS.replace(style_scale=1.5)) == [None] * 14
    # Colours and something else at once: not colours alone.
    assert sides_after(PARAMS.replace(keep_colors="match", beta=200.0)) == [None] * 14
    for colours in (PARAMS.replace(keep_colors="match"), PARAMS.replace(keep_colors="luminance")):
        previewed = [side for side in sides_after(colours) if side is not None]
        assert previewed == [48] * live_preview.MIN_PREVIEW_STEPS


def test_climbing_back_keeps_the_full_size_step_scale(slow_scales):
    """The first full-size step after a preview is one of the scale's learnt size, not a fresh
    optimiser's exploratory one, which barely moved the picture and cost a whole slow step."""
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    learnt = None
    for p in engine.run():
        if p.step == 4 and p.preview_side is None and learnt is None:
            learnt = engine._scale.optimizer._gamma.clone()
            engine.update(PARAMS.replace(beta=20.0))
        elif p.preview_side is None and learnt is not None and p.step == 5:
            optimizer = engine._scale.optimizer
            engine.cancel()
    # A fresh optimiser would have taken its scale from the first gradient (first_step / max |g|);
    # the kept one starts from the learnt scale, capped only for a jump of the loss's size.
    assert optimizer.picture is engine._scale.picture
    assert optimizer.pairs == 0
    assert optimizer._gamma is not None
    fresh = optimizer.first_step / engine._scale.picture.grad.abs().max()
    assert optimizer._gamma.item() == pytest.approx(min(learnt.item(), optimizer._gamma.item()))
    assert optimizer._gamma.item() > 3 * fresh.item(), (optimizer._gamma.item(), fresh.item(), learnt.item())


def test_a_new_colour_mode_shows_during_the_preview(slow_scales):
    """Luminance only puts the photo's colours back at once: the composite must carry that too."""
    from tests.conftest import make_photo as photo_of

    photo = photo_of()
    engine = StyleTransfer(photo, make_painting(), PARAMS)
    shown = {}
    for p in engine.run():
        if p.step == 4 and p.preview_side is None and not shown:
            shown["before"] = engine._shown_rgb().clone()
            engine.update(PARAMS.replace(keep_colors="luminance"))
        elif p.preview_side is not None and "during" not in shown:
            shown["during"] = engine._shown_rgb().clone()
            engine.cancel()
    assert "during" in shown

    def chroma(rgb):  # the I and Q channels of YIQ
        from brushwork.engine.objective.colour_transfer import rgb_to_yiq

        return rgb_to_yiq(rgb)[:, 1:]

    from brushwork.engine.pictures import images

    photo_rgb = images.to_tensor(images.resize(photo, 72, 96))  # at the picture's size
    # On the first preview step, the picture's colours are already much nearer the photo's.
    before = (chroma(shown["before"]) - chroma(photo_rgb)).abs().mean()
    during = (chroma(shown["during"]) - chroma(photo_rgb)).abs().mean()
    assert during < 0.5 * before, (before.item(), during.item())


def test_a_preview_leaves_the_tiled_scales_memory_plan_as_it_was(slow_scales, monkeypatch):
    """The preview is a scale of its own, so the plan's tiled scale keeps its memory plan through it.

    An optimiser built after the preview (here: switching to Adam and back) must still hold the few
    narrow curvature pairs that the tiled scale's memory allows. Once, a preview took the plan's scale
    apart attribute by attribute and put it back without its memory plan: after a preview, a 4096 px
    scale's next L-BFGS would have held 20 float32 pairs, about 5.4 GB, instead of 3 in bfloat16.
    """
    from brushwork.engine.run import scale_building
    from brushwork.engine.run.memory_plan import LBFGS_HISTORY, MIN_TILED_HISTORY, NARROW_STORE

    monkeypatch.setattr(scale_building, "available_bytes", lambda device: None)  # memory unknown: the narrow plan
    params = PARAMS.replace(tile=64)  # the 96 px scale in 64 px tiles; its 48 px preview is whole
    engine = StyleTransfer(make_photo(), make_painting(), params)
    sides, switches = [], iter([params.replace(beta=200.0, optimizer="adam"), params.replace(beta=200.0)])
    for p in engine.run():
        sides.append(p.preview_side)
        if p.step == 4 and len(sides) == 4:
            engine.update(params.replace(beta=200.0))  # previewed at 48 px
        elif p.preview_side is None and 48 in sides:
            change = next(switches, None)
            if change is None:
                break
            engine.update(change)
    engine.cancel()
    assert sides[4:7] == [48, 48, 48], sides
    scale = engine._scale
    assert scale.tiled and engine.params.optimizer == "lbfgs"
    assert (scale.memory.history, scale.memory.store) == (MIN_TILED_HISTORY, NARROW_STORE)
    assert MIN_TILED_HISTORY != LBFGS_HISTORY  # else the check below could not tell the preview's plan apart
    assert (scale.optimizer.history, scale.optimizer.store) == (MIN_TILED_HISTORY, NARROW_STORE)
