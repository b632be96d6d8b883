"""A step in flight is given up when a newer change makes it worthless (engine.network.step_abandon).

A change reaches the engine part-way through a step here: the network's
checkpoints are wrapped so that the change is made at a chosen one, on the
way forward or on the way back, as a slider moved at that moment would.
"""

import pytest
import torch
from brushwork.engine.network import step_abandon
from brushwork.engine.network import vgg19 as network
from brushwork.engine.network.vgg19 import FeatureExtractor
from brushwork.engine.run import live_preview
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.style_params import StyleParams
from PIL import Image

from tests.conftest import make_painting, make_photo

PARAMS = StyleParams(size=96, steps=14, stop_early=False)  # one 96 px scale: every step at 96 px
STREAM_LIMIT = 5000  # checkpoints: a stream of changes ends here, so that a starved run fails instead of hanging


@pytest.fixture
def slow_scales(monkeypatch):
    """Every step counts as slow, so that a change of look on the 96 px scale starts a 48 px preview."""
    monkeypatch.setattr(live_preview, "LIVE_STEP_SECONDS", 1e-6)
    monkeypatch.setattr(live_preview, "TEXTURE_PREVIEW_SECONDS", 1e-6)
    monkeypatch.setattr(live_preview, "MIN_PREVIEW_SIDE", 48)
    monkeypatch.setattr(live_preview, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(live_preview, "MIN_PREVIEW_STEPS", 3)


class MidStep:
    """Makes a change at the ``at``-th checkpoint of a pass (``"forward"`` or ``"backward"``) once armed."""

    def __init__(self, monkeypatch):
        self.calls = {"forward": 0, "backward": 0}
        self.pass_name, self.at, self.change, self.repeat = None, 0, None, False
        original = step_abandon.checkpoint

        def counted(pass_name):
            def checkpoint(*check):
                self.calls[pass_name] += 1
                if self.repeat and self.calls[pass_name] > STREAM_LIMIT:
                    self.change = None  # a stream that starved the steps ends, and its test fails
                if self.change is not None and pass_name == self.pass_name and self.calls[pass_name] >= self.at:
                    self.change()
                    if not self.repeat:
                        self.change = None
                original(*check)

            return checkpoint

        # The network calls its own reference on the way forward; the backward
        # hooks call the module's.
        monkeypatch.setattr(network, "checkpoint", counted("forward"))
        monkeypatch.setattr(step_abandon, "checkpoint", counted("backward"))

    def arm(self, pass_name: str, at: int, change, repeat: bool = False) -> None:
        self.calls = {"forward": 0, "backward": 0}
        self.pass_name, self.at, self.change, self.repeat = pass_name, at, change, repeat


@pytest.fixture
def mid_step(monkeypatch):
    return MidStep(monkeypatch)


MATCHED = PARAMS.replace(keep_colors="match")


@pytest.mark.parametrize("pass_name", ["forward", "backward"])
def test_a_change_of_colours_that_starts_a_preview_abandons_the_step_in_flight(slow_scales, mid_step, pass_name):
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    reports, at_change = [], None
    for p in engine.run():
        reports.append(p)
        if p.step == 4 and at_change is None:
            at_change = engine._scale.visible_rgb().clone()
            mid_step.arm(pass_name, 5, lambda: engine.update(MATCHED))
        elif len(reports) == 5:
            preview = engine._preview
    assert mid_step.calls["backward"] > 0, "no checkpoint on the way back"
    after = reports[4]
    # Without abandoning, the step in flight would have been reported as step 5, with the old colours.
    assert (after.step, after.preview_side, after.params.keep_colors) == (4, 48, "match")
    # The abandoned step left the picture as step 4 had: the preview began from it.
    assert torch.equal(preview.full_rgb, at_change)
    # The abandoned step is taken again: the plan's 14 steps all ran.
    assert [p.step for p in reports if p.preview_side is None] == list(range(1, 15))
    assert engine.finished


def test_a_change_that_the_full_size_steps_take_up_lets_the_step_finish(mid_step):
    """A fast scale takes a change on its next step: abandoning for it would, during a drag
    (a change every 0.1 s), keep every step from finishing."""
    for change in (PARAMS.replace(beta=200.0), MATCHED):
        engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
        reports = []
        for p in engine.run():
            reports.append(p)
            if p.step == 4 and len(reports) == 4:
                mid_step.arm("forward", 5, lambda change=change, engine=engine: engine.update(change))
        assert [(p.step, p.params) for p in reports[3:6]] == [(4, PARAMS), (5, PARAMS), (6, change)]
        assert mid_step.change is None, "the change was never made"


def test_a_change_of_texture_lets_the_step_finish_before_its_preview(slow_scales, mid_step):
    """The step in flight carries part of a new weight's change, which a preview barely shows."""
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    reports = []
    for p in engine.run():
        reports.append(p)
        if p.step == 4 and len(reports) == 4:
            mid_step.arm("backward", 3, lambda: engine.update(PARAMS.replace(beta=200.0)))
        if len(reports) == 7:
            engine.cancel()
    assert mid_step.change is None, "the change was never made"
    assert [(p.step, p.preview_side, p.params.beta) for p in reports[3:]] == [
        (4, None, 10.0),
        (5, None, 10.0),  # the step in flight, finished
        (5, 48, 200.0),
        (5, 48, 200.0),
    ]


def test_cancel_abandons_the_step_in_flight(mid_step):
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    steps = []
    for p in engine.run():
        steps.append(p.step)
        if p.step == 4:
            at_cancel = engine.current_picture()
            mid_step.arm("backward", 3, engine.cancel)
    assert steps == [1, 2, 3, 4]
    assert engine.steps_done == 4 and not engine.finished
    assert engine.current_picture().tobytes() == at_cancel.tobytes()  # as step 4 left it


def test_a_new_photo_abandons_the_step_in_flight(mid_step):
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    reports = []
    for p in engine.run():
        reports.append(p)
        if p.step == 4 and len(reports) == 4:
            mid_step.arm("forward", 8, lambda: engine.update(content=make_photo(96, 48)))
        if len(reports) == 6:
            engine.cancel()
    # The step in flight was for the old photo (96 x 72): the next one reported is the new photo's.
    assert [(p.step, p.height, p.width) for p in reports[3:]] == [(4, 72, 96), (5, 48, 96), (6, 48, 96)]


def test_a_stream_of_changes_during_a_preview_still_shows_step_after_step(slow_scales, mid_step):
    """A drag of the colour strength: a new one at every checkpoint of every pass. The full-size step
    in flight is given up once; the preview's cheap steps are never, so the picture keeps moving."""
    engine = StyleTransfer(make_photo(), make_painting(), PARAMS)
    strengths = (n / 10**6 for n in range(10**6, 1, -1))
    reports = []
    for p in engine.run():
        reports.append(p)
        if p.step == 4 and len(reports) == 4:
            drag = lambda: engine.update(MATCHED.replace(color_strength=next(strengths)))  # noqa: E731
            mid_step.arm("forward", 1, drag, repeat=True)
        if len(reports) == 12:
            streaming = mid_step.change is not None
            engine.cancel()
            mid_step.change = None
    assert streaming, "no step was shown while the changes kept coming"
    during = reports[4:]
    assert all(p.preview_side == 48 and p.step == 4 for p in during)
    # Each preview step took up the changes made during the one before it.
    assert len({p.params.color_strength for p in during}) == len(during)


TILED = PARAMS.replace(tile=64)  # the 96 x 72 px scale in 64 px tiles, four of them


@pytest.mark.parametrize(
    ("pass_name", "at"),
    [
        ("forward", 20),  # pass 1, the second tile's network (13 layers a tile)
        ("forward", 60),  # pass 2, the second tile's network, the first tile's gradient already summed
        ("backward", 3),  # pass 2, within the first tile's way back
    ],
)
def test_stop_gives_up_a_tiled_step_and_the_picture_is_the_last_finished_steps(mid_step, pass_name, at):
    """A print-size step is given up between its tiles and within a tile, like a whole one; Resume goes on."""
    engine = StyleTransfer(make_photo(), make_painting(), TILED)
    steps = []
    for p in engine.run():
        steps.append(p.step)
        assert p.tile == 64
        if p.step == 4:
            at_cancel = engine.current_picture()
            mid_step.arm(pass_name, at, engine.cancel)
    assert mid_step.change is None, "the cancel was never made"
    assert steps == [1, 2, 3, 4]  # the step in flight was not finished
    assert engine.steps_done == 4 and not engine.finished
    assert engine.current_picture().tobytes() == at_cancel.tobytes()  # as step 4 left it, byte for byte

    # Resume: a new run from that picture and step goes on to the end of the plan.
    resumed = StyleTransfer(make_photo(), make_painting(), TILED, start_picture=at_cancel, start_step=4)
    reports = list(resumed.run())
    assert [p.step for p in reports] == list(range(5, 15))
    assert resumed.finished and reports[-1].finished


def test_stop_gives_up_building_a_tiled_scale(mid_step, monkeypatch):
    """The targets of a print-size scale take as long as a step to build: Stop does not wait for them either."""
    from brushwork.engine.objective import tiled_objective

    params = StyleParams(size=192, steps=20, tile=144, stop_early=False)  # 128 px whole, then 192 px tiled
    built = []
    original = tiled_objective.TiledObjective.__init__

    def building(self, *args, **kwargs):
        built.append(True)
        mid_step.arm("forward", 20, engine.cancel)  # within the photo's second tile (13 layers a tile)
        original(self, *args, **kwargs)

    monkeypatch.setattr(tiled_objective.TiledObjective, "__init__", building)
    engine = StyleTransfer(make_photo(), make_painting(), params)
    reports = list(engine.run())
    assert built and mid_step.change is None
    last = reports[-1]
    assert last.scale_finished and last.width == 128 and not engine.finished
    assert engine.current_picture().tobytes() == Image.fromarray(last.preview).tobytes()


def test_the_way_back_gives_up_on_whichever_thread_runs_it(oxford):
    """With CUDA or MPS, autograd runs the backward pass on a device thread of its own, where the engine
    thread's check is not set: the checkpoints on the way back must still give the step up. Emulated on
    the CPU by calling backward() on another thread."""
    import threading

    net = FeatureExtractor(oxford, "conv3_1")
    picture = torch.rand(1, 3, 32, 32, requires_grad=True)
    given_up = threading.Event()
    with step_abandon.abandonable(given_up.is_set):
        features = net(picture, {"conv3_1"})
    loss = features["conv3_1"].pow(2).sum()
    given_up.set()  # a change arrives after the forward pass, while the device goes back
    raised = []

    def backward():
        try:
            loss.backward()
        except step_abandon.StepAbandoned as exc:
            raised.append(exc)

    device_thread = threading.Thread(target=backward)
    device_thread.start()
    device_thread.join()
    assert raised, "the way back ran to the end on a thread without the check"
    assert picture.grad is None  # given up before the gradient reached the picture
