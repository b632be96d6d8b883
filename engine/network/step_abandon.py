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
thread's own steps may be abandoned.
"""

from __future__ import annotations

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


def checkpoint() -> None:
    """Raise ``StepAbandoned`` if this thread's step has been given up."""
    check = getattr(_local, "check", None)
    if check is not None and check():
        raise StepAbandoned


def watch_backward(activation: torch.Tensor) -> None:
    """Make the backward pass reach a checkpoint where it passes ``activation``'s gradient."""
    if activation.requires_grad and getattr(_local, "check", None) is not None:
        activation.register_hook(_backward_checkpoint)


def _backward_checkpoint(_grad: torch.Tensor) -> None:
    # CPU backward runs on the thread that called backward(), so the engine
    # thread's check is the one seen here; an exception raised in a hook
    # reaches that caller as is.
    checkpoint()
