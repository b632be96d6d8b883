"""The loupe (engine.run.loupe): a change of texture is painted first in a square at full resolution,
where the artist looks, and never leaves a trace in the picture that is kept."""

import numpy as np
import pytest
import torch
from brushwork.engine.pictures import images
from brushwork.engine.run import live_preview
from brushwork.engine.run import loupe as loupes
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.style_params import StyleParams

from tests.conftest import fit_a_small_loupe, make_painting, make_photo

# One 96 x 72 px scale, every step at full size, in float32 (the reference objective's format).
PARAMS = StyleParams(size=96, steps=14, stop_early=False, precision="float32")
STRONGER = PARAMS.replace(beta=300.0)


@pytest.fixture
def loupe_fits(monkeypatch):
    """A 32 px loupe fits the 96 px picture and the artist lets go at once: no test waits on the clock."""
    fit_a_small_loupe(monkeypatch, settle_seconds=0.0)


def _run_with_change(engine, change, at_step=4):
    """Run ``engine`` to its end, making ``change`` after plan step ``at_step``; the reports, and the
    picture on screen when the change was made."""
    reports, before = [], None
    for p in engine.run():
        reports.append(p)
        if p.step == at_step and before is None and not p.adjusting:
            before = p.preview.copy()
            change(engine)
    return reports, before


def _outside(picture: np.ndarray, box) -> np.ndarray:
    left, top, right, bottom = box
    kept = np.ones(picture.shape[:2], bool)
    kept[top:bottom, left:right] = False
    return picture[kept]


def test_a_texture_change_mid_run_shows_first_in_the_loupe_square(loupe_fits):
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    reports, before = _run_with_change(engine, lambda e: e.update(STRONGER))
    after = reports[4]
    # The next report is the loupe's, at the same plan step: the plan's steps wait for it.
    assert after.loupe is not None and after.loupe.live and after.adjusting and after.step == 4
    assert after.loupe.side == 32 and (after.height, after.width) == (72, 96)
    left, top, right, bottom = after.loupe.box
    assert 0 <= left and right <= 96 and 0 <= top and bottom <= 72
    # On screen: the picture as it was, with the new settings painted in the square only.
    assert np.array_equal(_outside(after.preview, after.loupe.box), _outside(before, after.loupe.box))
    inside = np.abs(after.preview[top:bottom, left:right].astype(int) - before[top:bottom, left:right]).mean()
    assert inside > 1.0, inside
    live = [p for p in reports if p.loupe is not None and p.loupe.live]
    assert len(live) == loupes.MIN_LOUPE_STEPS and all(p.step == 4 for p in live)
    # The loupe's own objective (the new settings on its square) falls as it steps.
    assert live[-1].losses.total < 0.8 * live[0].losses.total, [p.losses.total for p in live]
    # Then the plan goes on, all 14 of its steps at full size, and ends without the loupe.
    assert [p.step for p in reports if not p.adjusting] == list(range(1, 15))
    assert reports[-1].finished and reports[-1].loupe is None


def test_the_finished_picture_has_no_loupe_border(loupe_fits):
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    seen_during = []

    def change(e):
        e.update(STRONGER)

    reports = []
    for p in engine.run():
        reports.append(p)
        if p.step == 4 and len(reports) == 4:
            change(engine)
        if p.loupe is not None and p.loupe.live:
            # What is kept (and saved) during the loupe is the picture, never the square.
            seen_during.append((p.loupe.box, np.asarray(engine.current_picture()), p.preview))
    assert seen_during
    box, kept, shown = seen_during[-1]
    left, top, right, bottom = box
    assert not np.array_equal(kept[top:bottom, left:right], shown[top:bottom, left:right])
    final = reports[-1].preview
    assert reports[-1].loupe is None and np.array_equal(final, np.asarray(engine.result()))
    # Measured as the tile-seam benchmark measures a seam: the step across the square's edges against the
    # steps between neighbouring pixels everywhere else.
    picture = final.astype(float)
    dx = np.abs(np.diff(picture, axis=1)).mean(axis=(0, 2))  # between column i and i + 1
    dy = np.abs(np.diff(picture, axis=0)).mean(axis=(1, 2))
    edges = [dx[left - 1], dx[right - 1], dy[top - 1], dy[bottom - 1]]
    ratio = np.mean(edges) / np.mean(np.concatenate([dx, dy]))
    assert ratio < 1.5, ratio


def test_stopping_during_the_loupe_leaves_the_picture_on_screen_without_its_square(loupe_fits):
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    reports = []
    for p in engine.run():
        reports.append(p)
        if p.step == 4 and len(reports) == 4:
            engine.update(STRONGER)
        elif p.loupe is not None and p.loupe.live and p.loupe.steps == 2:
            engine.cancel()
    last = reports[-1]
    assert last.loupe is None and not last.finished
    assert np.array_equal(last.preview, np.asarray(engine.current_picture()))
    assert np.array_equal(last.preview, images.to_array(engine._scale.visible_rgb()))


@pytest.mark.parametrize(("focus", "corner"), [((0.0, 0.0), "top left"), ((1.0, 1.0), "bottom right")])
def test_the_loupe_goes_where_the_artist_looks(loupe_fits, focus, corner):
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    engine.set_focus(*focus)
    reports, _ = _run_with_change(engine, lambda e: e.update(STRONGER))
    box = next(p.loupe for p in reports if p.loupe is not None).box
    margin = engine._scale.margin
    # As near the corner as the context around the square allows.
    reach = loupes.CONTEXT - margin
    expected = {"top left": (reach, reach), "bottom right": (96 - reach - 32, 72 - reach - 32)}[corner]
    assert box[:2] == expected, box


def test_a_change_of_colours_is_previewed_smaller_not_in_the_loupe(loupe_fits, monkeypatch):
    monkeypatch.setattr(live_preview, "LIVE_STEP_SECONDS", 1e-6)
    monkeypatch.setattr(live_preview, "MIN_PREVIEW_SIDE", 48)
    monkeypatch.setattr(live_preview, "SETTLE_SECONDS", 0.0)
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    reports, _ = _run_with_change(engine, lambda e: e.update(PARAMS.replace(keep_colors="match")))
    assert reports[4].preview_side == 48 and reports[4].loupe is None


def test_no_loupe_where_full_size_steps_are_quick(loupe_fits, monkeypatch):
    monkeypatch.setattr(loupes, "SLOW_STEP_SECONDS", 1e9)
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    reports, _ = _run_with_change(engine, lambda e: e.update(STRONGER))
    assert all(p.loupe is None and not p.adjusting for p in reports)
    assert reports[4].step == 5 and reports[4].params.beta == 300.0


def test_the_loupe_side_follows_the_machines_pace():
    canvas = (357, 528)  # 512 x 341 px with its margin
    # 1.7 s a step there (AVX2): about a third of a second a loupe step, for a square of about 130 px.
    side = loupes.loupe_side(1.7, canvas)
    assert loupes.MIN_LOUPE <= side <= 140
    pixels = (side + 2 * loupes.CONTEXT) ** 2
    assert pixels / (canvas[0] * canvas[1]) * 1.7 == pytest.approx(loupes.LOUPE_STEP_SECONDS, rel=0.1)
    assert loupes.loupe_side(0.95, canvas) > side  # bfloat16: a larger square in the same time
    assert loupes.loupe_side(0.3, canvas) is None  # full-size steps are quick enough
    assert loupes.loupe_side(100.0, (150, 200)) is None  # the picture is about the loupe's size


def test_a_texture_change_keeps_the_loupe_stepping_while_the_artist_drags(loupe_fits):
    """Each new value reaches the loupe's next step; the plan waits until the artist lets go."""
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    betas = iter([30.0, 60.0, 120.0, 240.0])
    reports = []
    for p in engine.run():
        reports.append(p)
        if (p.step == 4 and len(reports) == 4) or (p.loupe is not None and p.loupe.live and p.loupe.steps == 1):
            beta = next(betas, None)
            if beta is not None:
                engine.update(PARAMS.replace(beta=beta))
    live = [p for p in reports if p.loupe is not None and p.loupe.live]
    assert [p.params.beta for p in live][:4] == [30.0, 60.0, 120.0, 240.0]
    assert all(p.step == 4 for p in live)
    assert torch.isfinite(torch.tensor([p.losses.total for p in reports])).all()


def test_after_the_artist_lets_go_the_loupe_goes_on_while_its_square_gains(loupe_fits, monkeypatch):
    """Up to MAX_LOUPE_STEPS while two steps still gain STALL of its loss; here every step gains."""
    monkeypatch.setattr(loupes, "MAX_LOUPE_STEPS", 6)
    monkeypatch.setattr(loupes, "STALL", 0.0)  # any gain counts: the loupe takes all six steps
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    reports, _ = _run_with_change(engine, lambda e: e.update(STRONGER))
    assert sum(1 for p in reports if p.loupe is not None and p.loupe.live) == 6
    monkeypatch.setattr(loupes, "STALL", 1.0)  # nothing counts as a gain: it lets go after the first three
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    reports, _ = _run_with_change(engine, lambda e: e.update(STRONGER))
    assert sum(1 for p in reports if p.loupe is not None and p.loupe.live) == 3


def _first_loupe(engine, change, spy) -> tuple[list, object]:
    """Run ``engine`` until the loupe's first frame after ``change`` (made after plan step 4); what ``spy``
    recorded from the change on, and the loupe's scale."""
    seen = None
    for p in engine.run():
        if p.step == 4 and seen is None and not p.adjusting:
            change(engine)
            seen = len(spy)
        if p.loupe is not None and p.loupe.live:
            engine.cancel()
            return spy[seen:], engine._loupe.scale
    raise AssertionError("no loupe")


def test_a_weight_changes_loupe_takes_the_scales_targets_over_and_counts_the_same(loupe_fits, monkeypatch):
    """The loupe's first frame waited a second for the paintings' targets, which the whole scale already had."""
    from brushwork.engine.run import scale_building

    built = []
    original = scale_building.ScaleBuilder._style_tensors

    def spying(self, *args, **kwargs):
        built.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(scale_building.ScaleBuilder, "_style_tensors", spying)
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    after_change, square = _first_loupe(engine, lambda e: e.update(STRONGER), built)
    assert after_change == []  # no painting went through the network for the loupe
    # The same objective as one built from the paintings (the sample left out: the painting whole).
    monkeypatch.setattr(scale_building, "_sampled", lambda paintings, coverage, dims: (paintings, coverage))
    full = engine._scale
    keys, full.keys = full.keys, None  # as if the whole scale's targets were another's: built anew
    try:
        plan = scale_building.plan_scale_for(engine._inputs, max(full.visible().shape[-2:]))
        reference = engine._builder.build_loupe(engine._inputs, plan, full, engine._loupe.crop_box(), 8)
    finally:
        full.keys = keys
    with torch.no_grad():
        picture = square.view.to_network(square.picture)
        shared, fresh = square.objective(picture)[1], reference.objective(picture)[1]
    assert torch.allclose(shared, fresh, rtol=1e-5), (shared, fresh)


def test_a_stroke_scale_loupe_takes_its_targets_from_a_sample_no_larger_than_the_picture(loupe_fits, monkeypatch):
    from brushwork.engine.network.vgg19 import FeatureExtractor

    shapes = []
    original = FeatureExtractor.forward

    def spying(self, image, taps):
        shapes.append(tuple(image.shape[-2:]))
        return original(self, image, taps)

    monkeypatch.setattr(FeatureExtractor, "forward", spying)
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    after_change, _ = _first_loupe(engine, lambda e: e.update(PARAMS.replace(style_scale=1.5)), shapes)
    picture_pixels = 96 * 72
    # The painting at 1.5 times is 144 px square, three times the picture's pixels: the loupe took a sample.
    assert max(h * w for h, w in after_change) <= picture_pixels, after_change
    assert 0.8 * picture_pixels <= max(h * w for h, w in after_change if (h, w) != (48, 48))


def test_a_painting_sample_has_a_piece_of_every_quarter_and_leaves_small_paintings_whole():
    painting = torch.zeros(1, 3, 200, 300)
    quarters = ((0, 0, 0.2), (0, 1, 0.4), (1, 0, 0.6), (1, 1, 0.8))
    for row, col, value in quarters:
        painting[..., row * 100 : (row + 1) * 100, col * 150 : (col + 1) * 150] = value
    sample = loupes.painting_sample(painting, 20_000)
    assert 0.95 * 20_000 <= sample.shape[-2] * sample.shape[-1] <= 20_000
    assert sample.shape[-2] / sample.shape[-1] == pytest.approx(200 / 300, rel=0.05)
    values = {round(v, 1) for v in sample.unique().tolist()}
    assert values == {0.2, 0.4, 0.6, 0.8}  # each quarter, none of the others' borders
    for row, col, value in quarters:
        h, w = sample.shape[-2] // 2, sample.shape[-1] // 2
        assert (sample[..., row * h : (row + 1) * h, col * w : (col + 1) * w] == value).all()
    assert loupes.painting_sample(painting, 60_000) is painting
