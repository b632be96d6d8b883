"""Sharing the cores with other programs (engine.run.core_share): spinning threads give way."""

import itertools

import pytest
import torch
from brushwork.engine.run import core_share
from brushwork.engine.run.core_share import CoreShare
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.style_params import StyleParams

from tests.conftest import make_painting, make_photo


def test_the_cores_other_processes_use_are_given_up():
    share = CoreShare(cores=4)
    share.most = 4
    assert share.threads_for(0.0) == 4
    assert share.threads_for(0.4) == 4  # a little background work: not worth a core
    assert share.threads_for(0.6) == 3
    assert share.threads_for(2.2) == 2
    assert share.threads_for(9.0) == 1  # always at least one


def test_others_busy_counts_the_machine_minus_this_process():
    share = CoreShare(cores=2)
    # 200 ticks passed on 2 cores (100 per core); the machine was busy 150, this process 50.
    assert share.others_busy((0, 0, 0), (150, 200, 50)) == 1.0
    assert share.others_busy((0, 0, 0), (50, 200, 60)) == 0.0  # never negative
    assert share.others_busy((5, 5, 5), (5, 5, 5)) == 0.0


def _machine_where_others_use(cores_busy: float, cores: int):
    """Fake /proc readings: each sample, 100 ticks per core pass; others use ``cores_busy`` of them."""
    counter = itertools.count(1)

    def ticks():
        n = next(counter)
        total = 100 * cores * n
        return int(total * cores_busy / cores), total, 0

    return ticks


@pytest.mark.skipif(torch.get_num_threads() < 2, reason="one thread: nothing to give up")
def test_a_run_gives_way_to_a_busy_machine_and_puts_the_thread_count_back(monkeypatch):
    original = torch.get_num_threads()
    monkeypatch.setattr(core_share, "SAMPLE_SECONDS", 0.0)
    monkeypatch.setattr(core_share, "_allowed_cpus", lambda: {0, 1})
    monkeypatch.setattr(core_share, "_machine_and_own_ticks", _machine_where_others_use(1.0, cores=2))
    engine = StyleTransfer(make_photo(), make_painting(), StyleParams(size=48, steps=4))
    # The run drives the engine on this thread, so this thread's count is the engine's.
    seen = [torch.get_num_threads() for _ in engine.run()]
    assert seen[0] == 2  # nothing measured yet: both cores
    assert seen[1:] == [1, 1, 1]  # another process holds a core from then on
    assert torch.get_num_threads() == original  # the run's end put the count back


def test_an_idle_machine_leaves_the_thread_count_alone(monkeypatch):
    calls = []
    monkeypatch.setattr(core_share, "SAMPLE_SECONDS", 0.0)
    monkeypatch.setattr(core_share, "_machine_and_own_ticks", _machine_where_others_use(0.0, cores=2))
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    list(StyleTransfer(make_photo(), make_painting(), StyleParams(size=48, steps=4)).run())
    # Not even a call that would change nothing: PyTorch's first call creates a
    # thread pool named after the calling thread (see create_thread_pools).
    assert calls == []
