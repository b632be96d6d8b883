import itertools

import pytest
from brushwork.engine.pictures.images import fit_dims
from brushwork.engine.run.schedule import FIRST_SIDE, plan_stages, stage_at, stage_sides


@pytest.mark.parametrize("size", [32, 128, 200, 512, 1024, 4096])
def test_sides_climb_from_about_128_to_the_output_at_most_doubling(size):
    sides = stage_sides(size)
    assert sides[-1] == size
    assert min(size, FIRST_SIDE) <= sides[0] <= FIRST_SIDE * 1.25  # about 128, or the output if smaller
    assert all(1.0 < b / a <= 2.0 + 1e-9 for a, b in itertools.pairwise(sides))  # climbing


@pytest.mark.parametrize(("size", "steps"), [(512, 300), (512, 5), (512, 2), (1024, 1), (64, 10), (2048, 1000)])
def test_every_step_is_planned_once_and_the_last_runs_at_full_size(size, steps):
    stages = plan_stages(size, steps)
    assert sum(s.steps for s in stages) == steps
    assert all(s.steps >= 1 for s in stages)
    assert stages[-1].side == size
    assert [stage_at(stages, i).index for i in range(steps)] == sorted(stage_at(stages, i).index for i in range(steps))
    assert stages[0].first_step == 0 and stages[-1].end == steps


def test_most_steps_are_spent_where_they_are_cheap():
    stages = plan_stages(512, 300)
    assert [s.side for s in stages] == [128, 256, 512]
    assert stages[0].steps > stages[1].steps > stages[2].steps
    # ...and the time goes mostly to the output size, where the detail is.
    cost = [s.steps * fit_dims(451, 300, s.side)[0] * fit_dims(451, 300, s.side)[1] for s in stages]
    single_scale = 300 * fit_dims(451, 300, 512)[0] * fit_dims(451, 300, 512)[1]
    assert sum(cost) < 0.4 * single_scale
    assert cost[-1] > cost[0] + cost[1]


def test_a_picture_goes_on_at_its_own_scale_whatever_the_plan():
    from brushwork.engine.run.schedule import resume_step

    plan = plan_stages(512, 300)  # 128 / 256 / 512 px
    assert resume_step(plan, 150, 256) == 150  # mid-scale, same plan: where it was
    assert resume_step(plan, plan[1].end, 256) == plan[2].first_step  # a scale's end: on to the next
    # A finished picture gets the last scale's budget again instead of stopping at once.
    assert resume_step(plan, 300, 512) == plan[2].first_step
    # Taken at step 300 of a 300-step plan, continued under 400 steps: step 300
    # now falls on the 256 px scale, which would shrink the 512 px picture.
    longer = plan_stages(512, 400)
    assert longer[1].first_step <= 300 < longer[1].end
    assert resume_step(longer, 300, 512) == longer[2].first_step
