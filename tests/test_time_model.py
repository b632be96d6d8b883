"""How long a run takes: the time model (engine.run.time_model), what it learns from (engine.run.time_history)
and the clock of a run as it goes (engine.run.run_clock).

Most tests use synthetic machines and recorded histories: a machine whose steps take a known time, so that
the estimate can be checked against the truth without painting anything large.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import statistics

import pytest
from brushwork.engine.objective.loss_terms import LossTerms
from brushwork.engine.pictures.images import fit_dims
from brushwork.engine.run.convergence import LOOK_EVERY
from brushwork.engine.run.progress import Progress
from brushwork.engine.run.run_clock import RunClock
from brushwork.engine.run.schedule import plan_stages
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.run.time_history import KEPT_RECORDS, RunHistory, RunLog, ScaleRecord
from brushwork.engine.run.time_model import MEASURED, PRIOR_SETTLE, Span, TimeModel, format_span, plan_run
from brushwork.engine.settings.style_params import StyleParams

from tests.conftest import make_painting, make_photo

DEVICE = "CPU, float32"
PHOTO = (451, 300)  # 3:2


def machine(pixels: float, tiles: int = 0, boxes: int = 0) -> float:
    """A synthetic machine's step: a fixed cost and a cost per pixel that grows with the size."""
    if tiles:
        return 1.5 * tiles * machine(boxes / tiles) * 1.2
    return 0.01 + 2e-7 * pixels**1.1


def record(spec, taken: int, settled: bool, seconds: float | None = None, **changes) -> ScaleRecord:
    seconds = machine(spec.pixels, spec.tiles, spec.boxes) if seconds is None else seconds
    fields = dict(
        device=DEVICE,
        index=spec.index,
        side=spec.side,
        pixels=spec.pixels,
        tile=spec.tile,
        boxes=spec.boxes,
        tiles=spec.tiles,
        final=spec.final,
        budget=spec.budget,
        taken=taken,
        settled=settled,
        complete=True,
        from_start=True,
        stop_early=True,
        step_seconds=seconds,
        first_seconds=seconds * (1.7 if spec.tile is None else 5.0) + (3.0 if spec.index == 0 else 0.0),
        starts_run=spec.index == 0,
        cold=spec.index == 0,
        when=0.0,
    )
    fields.update(changes)
    return ScaleRecord(**fields)


def history_of(runs) -> list[ScaleRecord]:
    """Records of past runs: (params, [(taken, settled) per scale])."""
    out = []
    for params, scales in runs:
        for spec, (taken, settled) in zip(plan_run(PHOTO, params), scales, strict=True):
            out.append(record(spec, taken, settled))
    return out


PAST = [
    (StyleParams(size=256), [(50, True), (60, True)]),
    (StyleParams(size=512), [(60, True), (40, True), (60, True)]),
    (StyleParams(size=384, steps=150), [(50, True), (30, True), (32, False)]),
    (StyleParams(size=512), [(50, True), (30, True), (60, True)]),
    (StyleParams(size=1024), [(60, True), (40, True), (40, True), (60, True)]),
]


def test_a_step_between_the_sizes_painted_here_is_interpolated_and_beyond_them_unsure():
    model = TimeModel(history_of(PAST), DEVICE)
    assert model.measured
    for size in (320, 448):  # between 256 and 512 px
        spec = plan_run(PHOTO, StyleParams(size=size))[-1]
        step = model.step_seconds(spec)
        assert step.mid == pytest.approx(machine(spec.pixels), rel=0.03)
        assert step.high / step.mid == pytest.approx(1 + MEASURED)
    far = plan_run(PHOTO, StyleParams(size=2048))[-1]  # 4 times the pixels of the largest painted
    step = model.step_seconds(far)
    assert step.low < machine(far.pixels) < step.high
    assert step.high / step.mid > 1 + 2 * MEASURED  # beyond what was measured: it says so


def test_a_machine_whose_steps_stray_says_a_wider_range():
    """On a machine shared with other work, the same step took a third to three times as long from one run
    to the next: an estimate from its history says so."""
    steady = history_of(PAST)
    strays = [  # each run at its own pace: the machine's load differs from run to run
        dataclasses.replace(r, step_seconds=r.step_seconds * pace)
        for run, pace in zip(PAST, itertools.cycle((0.5, 1.0, 2.0)), strict=False)
        for r in history_of([run])
    ]
    spec = plan_run(PHOTO, StyleParams(size=384))[-1]
    sure = TimeModel(steady, DEVICE).step_seconds(spec)
    unsure = TimeModel(strays, DEVICE).step_seconds(spec)
    assert sure.high / sure.mid == pytest.approx(1 + MEASURED)
    assert unsure.high / unsure.mid > 1.8


def test_a_tiled_step_is_learnt_from_the_tiled_runs_here():
    tiled = StyleParams(size=512, tile=256)
    specs = plan_run(PHOTO, tiled)
    assert specs[-1].tile == 256 and specs[-1].tiles >= 4 and specs[-1].boxes > specs[-1].pixels
    runs = history_of([*PAST, (tiled, [(50, True), (30, True), (60, True)])])
    step = TimeModel(runs, DEVICE).step_seconds(specs[-1])
    truth = machine(specs[-1].pixels, specs[-1].tiles, specs[-1].boxes)
    assert step.mid == pytest.approx(truth, rel=0.05)
    assert step.mid > 2 * TimeModel(runs, DEVICE).step_seconds(plan_run(PHOTO, StyleParams(size=512))[-1]).mid


def test_a_tiled_step_takes_the_factor_of_the_nearest_tile_count_run_here():
    """On a quiet CPU, one tile and a sliver cost 2.0-2.55 times their boxes painted whole, 6-15 tiles
    1.35-1.44 times: one factor for all, learnt from both, put a 1024 px print in 512 px tiles 37 % over."""
    sliver = plan_run(PHOTO, StyleParams(size=512, tile=512))[-1]
    six = plan_run(PHOTO, StyleParams(size=512, tile=256))[-1]
    print_six = plan_run(PHOTO, StyleParams(size=1024, tile=512))[-1]
    print_fifteen = plan_run(PHOTO, StyleParams(size=1024, tile=256))[-1]
    assert (sliver.tiles, six.tiles, print_six.tiles, print_fifteen.tiles) == (2, 6, 6, 15)
    whole = TimeModel(history_of(PAST), DEVICE)

    def base(spec):
        return whole._tiled_base(spec.boxes, spec.tiles)

    runs = [
        *history_of(PAST),
        record(sliver, 18, False, seconds=2.2 * base(sliver)),
        record(six, 50, True, seconds=1.4 * base(six)),
    ]
    model = TimeModel(runs, DEVICE)
    assert model.step_seconds(print_six).mid == pytest.approx(1.4 * base(print_six), rel=0.01)
    assert model.step_seconds(print_fifteen).mid == pytest.approx(1.4 * base(print_fifteen), rel=0.01)
    assert model.step_seconds(sliver).mid == pytest.approx(2.2 * base(sliver), rel=0.01)
    # Surer at a tile count run here than at another one.
    same, other = model.step_seconds(print_six), model.step_seconds(print_fifteen)
    assert same.high / same.mid < other.high / other.mid


def test_a_scales_steps_are_where_scales_of_its_kind_settled_here():
    model = TimeModel(history_of(PAST), DEVICE)
    first, middle, final = plan_run(PHOTO, StyleParams(size=512))  # budgets 142, 94, 64
    assert model.steps(first).mid == 50 and model.steps(middle).mid == 40 and model.steps(final).mid == 60
    # A smaller budget caps it; without stop_early the budget runs whole.
    small = plan_run(PHOTO, StyleParams(size=512, steps=60))[-1]
    assert model.steps(small).high == small.budget
    whole = plan_run(PHOTO, StyleParams(size=512, stop_early=False))[-1]
    assert model.steps(whole) == Span(64, 64, 64)
    # Given the steps run: where scales of its kind settled (60), or past every stop seen, at the next look.
    assert model.steps(final, taken=55).mid == 5
    settled = TimeModel(history_of([PAST[0], PAST[1], PAST[3]]), DEVICE)  # every output scale settled by 60
    longer = plan_run(PHOTO, StyleParams(size=512, steps=600))[-1]  # a budget of 127
    nxt = LOOK_EVERY - 61 % LOOK_EVERY
    assert settled.steps(longer, taken=61) == Span(nxt, nxt, longer.budget - 61)  # at the next look, or its budget


def test_a_scale_that_ran_its_whole_budget_says_only_that_it_runs_at_least_as_far():
    final = plan_run(PHOTO, StyleParams(size=512))[-1]  # a budget of 64
    # Output scales that ran a budget of 127 whole: with a budget of 64, each of them would have run it whole.
    longer = history_of([(StyleParams(size=512, steps=600), [(50, True), (40, True), (127, False)])] * 6)
    assert TimeModel(longer, DEVICE).steps(final).mid == final.budget
    # A budget of 32 run whole says nothing of where a scale of 64 settles: the other scales (or the priors) do.
    shorter = history_of([(StyleParams(size=384, steps=150), [(50, True), (30, True), (32, False)])] * 6)
    assert TimeModel(shorter, DEVICE).steps(final).mid == statistics.median(PRIOR_SETTLE["final"])


def test_the_estimate_learns_from_a_run_on_this_machine():
    params = StyleParams(size=384)
    specs = plan_run(PHOTO, params)
    settles = [(44, True), (34, True), (56, True)]  # about where the priors put them: the steps are learnt here
    truth = sum(
        taken * machine(s.pixels) + (record(s, taken, True).first_seconds - machine(s.pixels))
        for s, (taken, _) in zip(specs, settles, strict=True)
    )
    guess = TimeModel([], DEVICE).forecast(specs)
    assert not guess.sure  # a first guess says so with a range
    learnt = TimeModel(history_of([(params, settles)]), DEVICE).forecast(specs)
    assert abs(learnt.mid - truth) < 0.1 * truth and learnt.low <= truth <= learnt.high
    assert abs(learnt.mid - truth) < abs(guess.mid - truth)


def _reports(params: StyleParams, settle: dict[int, int], seconds, startup: float = 3.0):
    """A run's reports on a synthetic machine: scale i settles after ``settle[i]`` steps, a step at scale i
    takes ``seconds(i, pixels)``."""
    stages = plan_stages(params.size, params.steps)
    elapsed, out = startup, []
    for stage in stages:
        height, width = fit_dims(*PHOTO, stage.side)
        taken = min(settle.get(stage.index, stage.steps), stage.steps)
        for n in range(1, taken + 1):
            elapsed += seconds(stage.index, width * height) * (1.7 if n == 1 else 1.0)
            step = stage.end if n == taken else stage.first_step + n
            finished = stage.index == len(stages) - 1 and n == taken
            terms = LossTerms(1.0, 1.0, 0.0, 2.0)
            where = (step, stages[-1].end, stage.index, len(stages), height, width)
            out.append(Progress(*where, terms, elapsed, params, DEVICE, scale_finished=n == taken, finished=finished))
    return out


def test_the_progress_bar_never_moves_backwards_over_a_run_whose_scales_end_early():
    params = StyleParams(size=1024, steps=2000)  # 4 scales of 830, 553, 369 and 248 steps
    reports = _reports(params, {0: 61, 1: 40, 2: 50, 3: 90}, lambda _i, pixels: machine(pixels))
    assert [r.step for r in reports if r.scale_finished][:2] == [830, 1383]  # the counter jumps
    clock = RunClock(TimeModel(history_of(PAST), DEVICE), plan_run(PHOTO, params))
    shares = []
    for report in reports:
        clock.add(report)
        shares.append(clock.fraction())
    assert all(b >= a for a, b in itertools.pairwise(shares))
    assert shares[-1] == 1.0 and shares[-2] < 1.0
    # By time: after the first scale ended early (a third of its steps), the bar is nowhere near its end.
    first_scale_end = next(i for i, r in enumerate(reports) if r.scale_finished)
    true_share = reports[first_scale_end].elapsed / reports[-1].elapsed
    assert shares[first_scale_end] == pytest.approx(true_share, abs=0.1)


def test_the_time_left_follows_this_runs_steps_at_the_scale_it_is_at():
    """A machine twice as slow as its history (busy with other work): within a few steps of a scale the
    time left follows it, and steps/s is that scale's, not a run-long average."""
    params = StyleParams(size=1024, stop_early=False)
    reports = _reports(params, {}, lambda _i, pixels: 2 * machine(pixels))
    clock = RunClock(TimeModel(history_of(PAST), DEVICE), plan_run(PHOTO, params))
    assert reports[0].elapsed < 0.05 * reports[-1].elapsed  # the 10 % mark comes after steps that time it
    total = reports[-1].elapsed
    errors, within = {}, {}
    for report in reports[:-1]:
        clock.add(report)
        share = report.elapsed / total
        left, truth = clock.seconds_left(), total - report.elapsed
        for mark in (0.1, 0.5, 0.9):
            if share >= mark and mark not in errors:
                errors[mark] = abs(left.mid - truth) / total
                within[mark] = left.low <= truth <= left.high
        if report.scale == 1 and report.step == plan_stages(1024, 300)[1].first_step + 5:
            assert clock.steps_per_second() == pytest.approx(1 / (2 * machine(256 * 170)), rel=0.01)
    # At 10 % the run is at 256 px: a slowdown there counts only in part at 1024 px (real machines were
    # slower at 128 px than at 512), but the range holds the truth; on its last scale it is its own pace.
    assert all(within.values()), (errors, within)
    assert errors[0.5] < 0.15 and errors[0.9] < 0.15, errors


def test_a_first_run_here_takes_its_own_pace_to_the_scales_to_come():
    """No history: the priors are another CPU's, and this run's steps are all there is of this one. The first
    run on a quiet CPU twice as fast as the priors was 26 % off at 10 % when its pace counted only in part."""
    params = StyleParams(size=512, stop_early=False)
    model = TimeModel([], DEVICE)
    specs = plan_run(PHOTO, params)
    reports = _reports(params, {}, lambda i, _pixels: 0.5 * model.step_seconds(specs[i]).mid, startup=0.2)
    clock = RunClock(model, specs)
    for report in reports:
        clock.add(report)
        if report.scale == 1:
            break
    # After the first scale's steps, the output scale's step is the prior's at this run's pace, in full.
    assert clock._step_seconds(specs[2]).mid == pytest.approx(0.5 * model.step_seconds(specs[2]).mid, rel=0.02)


def test_a_new_size_part_way_replans_the_scales_to_come():
    params = StyleParams(size=256, stop_early=False)
    reports = _reports(params, {}, lambda _i, pixels: machine(pixels))[:5]
    clock = RunClock(TimeModel(history_of(PAST), DEVICE), plan_run(PHOTO, params))
    for report in reports:
        clock.add(report)
    before = clock.seconds_left().mid
    bigger = params.replace(size=1024)
    last = reports[-1]
    where = (last.step + 1, 300, 0, 4, last.height, last.width)
    clock.add(Progress(*where, last.losses, last.elapsed + 0.05, bigger, DEVICE))
    assert clock.seconds_left().mid > 3 * before


def test_the_run_log_records_each_scale_and_a_stopped_one_as_such():
    params = StyleParams(size=192, steps=12, stop_early=False, precision="float32")  # 7 steps at 128, 5 at 192 px
    stages = plan_stages(192, 12)
    engine = StyleTransfer(make_photo(), make_painting(), params)
    log = RunLog(cold=True)
    for p in engine.run():
        log.add(p)
        if p.step == stages[1].first_step + 2:
            engine.cancel()
    first, second = log.records(when=5.0)
    assert (first.side, first.taken, first.budget, first.complete, first.final) == (128, 7, 7, True, False)
    assert first.starts_run and first.cold and first.from_start and not first.settled
    assert first.step_seconds > 0 and first.first_seconds > first.step_seconds
    assert (second.side, second.taken, second.complete, second.final, second.starts_run) == (192, 2, False, True, False)
    assert {r.device for r in (first, second)} == {"CPU, float32"} and first.when == 5.0


def test_the_history_is_kept_in_the_folder_and_a_broken_file_is_no_history(tmp_path):
    history = RunHistory.in_folder(tmp_path)
    assert history.records == [] and history.last_device() is None
    records = history_of(PAST)
    history.add(records)
    again = RunHistory.in_folder(tmp_path)
    assert again.records == records and again.for_device(DEVICE) == records
    assert again.for_device("CUDA 0 (NVIDIA H100), bfloat16") == []
    again.add(records * (KEPT_RECORDS // len(records) + 1))
    assert len(RunHistory.in_folder(tmp_path).records) == KEPT_RECORDS  # the newest only
    (tmp_path / "run_times.json").write_text("{not json")
    assert RunHistory.in_folder(tmp_path).records == []
    (tmp_path / "run_times.json").write_text(json.dumps({"version": 1, "scales": [{"device": "CPU"}]}))
    assert RunHistory.in_folder(tmp_path).records == []  # written by another version: skipped


def test_a_range_is_said_where_the_estimate_is_unsure():
    assert format_span(Span(60, 65, 70)) == "about 1:05"
    assert format_span(Span(40, 80, 160)) == "0:40-2:40"
    assert format_span(None) == "?"


def test_asking_whether_the_weights_are_loaded_never_waits_for_a_run_reading_them():
    """The window asks, on its GUI thread, as a run starts; the run holds the weights' lock for the
    seconds it reads them. The answer must not wait for that."""
    import threading

    from brushwork.engine.network import vgg_weights

    answers = []
    with vgg_weights._cache_lock:  # as load_weights holds it while it reads a file
        asking = threading.Thread(target=lambda: answers.append(vgg_weights.weights_loaded("oxford")))
        asking.start()
        asking.join(timeout=5)
        assert not asking.is_alive(), "it waited for the run's lock"
    assert answers in ([True], [False])


def test_each_texture_statistic_is_timed_from_its_own_runs(tmp_path):
    """w2 and sliced cost more a step than gram (docs/objective.md): a history of gram's runs alone said a w2
    run would take what a gram run takes."""
    from brushwork.engine.run.time_model import STATISTIC_PRIOR

    params = StyleParams(size=512, style_loss="w2")
    log = RunLog(cold=True)
    for report in _reports(params, {0: 50, 1: 30, 2: 60}, lambda _i, pixels: 3 * machine(pixels)):
        log.add(report)
    w2 = log.records(when=1.0)
    assert {r.statistic for r in w2} == {"w2"}
    gram = history_of(PAST)
    spec = plan_run(PHOTO, params)[-1]
    step = TimeModel(gram + w2, DEVICE, "w2").step_seconds(spec).mid
    assert step == pytest.approx(3 * machine(spec.pixels), rel=0.05)
    assert TimeModel(gram + w2, DEVICE).step_seconds(spec).mid == pytest.approx(machine(spec.pixels), rel=0.05)
    # Never run here: the first guess, times what the statistic costs, said as a range.
    unrun = TimeModel(gram, DEVICE, "sliced")
    assert not unrun.measured
    guess = TimeModel([], DEVICE).step_seconds(spec)
    assert unrun.step_seconds(spec).mid == pytest.approx(STATISTIC_PRIOR["sliced"] * guess.mid)
    # Kept with their statistic; the runs of a file from before there was a choice were gram's.
    history = RunHistory.in_folder(tmp_path)
    history.add(w2)
    assert [r.statistic for r in RunHistory.in_folder(tmp_path).records] == ["w2"] * len(w2)
    data = json.loads((tmp_path / "run_times.json").read_text())
    for entry in data["scales"]:
        del entry["statistic"]
    (tmp_path / "run_times.json").write_text(json.dumps(data))
    assert {r.statistic for r in RunHistory.in_folder(tmp_path).records} == {"gram"}
