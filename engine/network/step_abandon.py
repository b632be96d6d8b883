"""Abandoning a step in flight once a newer change has made it worthless.

A step at 512 px takes 1.7-2.4 s on a CPU without bfloat16. A slider moved
while one runs used to wait for it to finish, and that step was optimising the
old settings: on average half a step, at worst a whole one, before the change
even began to show. The network calls ``checkpoint()`` between its layers, on
the way forward and on the way back; inside ``abandonable(check)``, a
checkpoint raises ``StepAbandoned`` once ``check()`` says so. The step's
picture and optimiser are untouched until its gradient is complete, so the
run simply goes on with the new settings from where it was.

The check is held per thread: the network is shared, and only the engine
thread's own steps may be abandoned. The way back does not read it there:
with CUDA or MPS, autograd runs a backward pass on threads of its own, one
per device, where the engine thread's check is not set, so the steps would
only be given up on the way forward. Each backward checkpoint carries the
check of the pass that made it instead, whichever thread runs it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch


class StepAbandoned(Exception):
    """The step in flight was given up: a change arrived that makes it worthless."""


_local = threading.local()


@contextmanager
def abandonable(check: Callable[[], bool]) -> Iterator[None]:
    """Within this block, the network's passes give up (``StepAbandoned``) once ``check()`` is True."""
    outer = getattr(_local, "check", None)
    _local.check = check
    try:
        yield
    finally:
        _local.check = outer


def checkpoint(check: Callable[[], bool] | None = None) -> None:
    """Raise ``StepAbandoned`` if the step has been given up: by ``check``, or by this thread's check."""
    check = check or getattr(_local, "check", None)
    if check is not None and check():
        raise StepAbandoned


def watch_backward(activation: torch.Tensor) -> None:
    """Make the backward pass reach a checkpoint where it passes ``activation``'s gradient.

    The checkpoint asks the check in force now, on the forward pass's
    thread, not one of the thread that will run the hook (see the module's
    docstring). An exception raised in a hook reaches the caller of
    ``backward()`` as is, from a device's thread too.
    """
    check = getattr(_local, "check", None)
    if activation.requires_grad and check is not None:
        activation.register_hook(functools.partial(_backward_checkpoint, check))


def _backward_checkpoint(check: Callable[[], bool], _grad: torch.Tensor) -> None:
    checkpoint(check)
