"""Loss scaling, so that float16 convolutions do not flush the gradient to zero.

Our losses are normalised to about 1 and spread over every activation, so the
gradient of the loss with respect to one activation is tiny, and it shrinks
with the pixel count: at 64 px on the test pair the largest is 3e-4 and most
are far below float16's smallest normal number (6.1e-5); at 256 px on the
sample pair every one of them is (the largest is 1e-5). In float16 such a
value keeps only a few significant bits or becomes 0. Multiplying the loss
by a large power of two before ``backward`` lifts the gradients into
float16's range, and dividing the picture's float32 gradient by the same
power of two afterwards is exact, so the optimiser sees the gradient that it
would have seen with no scaling (Micikevicius et al. 2018, "Mixed precision
training").

The scale is dynamic, as in ``torch.amp.GradScaler``: too high a scale makes
the largest gradients overflow float16 (65504) to inf, which is seen in the
picture's gradient, so the step is evaluated again at half the scale; after a
run of good steps the scale is doubled again, because gradients shrink as the
loss falls. Unlike GradScaler, an overflowing step is re-evaluated instead of
skipped (our L-BFGS takes one evaluation per step and cannot skip one), and
the scale grows after 50 good steps instead of 2000, since a whole run is a
few hundred steps.

A tiled step (``engine.objective.tiled_objective``) backpropagates each
tile's share on its own, into a float32 gradient of the whole picture:
``scaled_gradient`` scales each tile's pass and divides the scale back out
as the share is added, and a tile that overflows is evaluated again at half
the scale, alone. Without it the second pass went unscaled, and against
float32 a tiled float16 gradient was 25.6 % off where a whole one was 0.68 %
(96 x 80 px on the CPU).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

# At 64 px the largest activation gradient is 3e-4 and 2^24 lifts it to 5e3,
# below float16's 65504 (2^28 overflows); larger pictures have smaller
# gradients, so the first step rarely needs to back off.
INITIAL_SCALE = 2.0**24
GROWTH_INTERVAL = 50  # good steps before the scale is doubled again


class LossScaler:
    """Backpropagates ``scale * loss`` into a picture and divides the scale back out.

    Parameters
    ----------
    enabled
        False for float32 and bfloat16 convolutions (bfloat16 has float32's
        range): ``backward`` then evaluates once and backpropagates the loss as is.
    scale
        The starting scale, a power of two so that unscaling is exact.
    """

    def __init__(self, enabled: bool = True, scale: float = INITIAL_SCALE) -> None:
        self.enabled = enabled
        self.scale = scale if enabled else 1.0
        self._good_steps = 0

    @classmethod
    def for_dtype(cls, dtype: torch.dtype) -> LossScaler:
        """Scaling for convolutions in ``dtype``: on for float16 only."""
        return cls(enabled=dtype == torch.float16)

    def backward(
        self, evaluate: Callable[[], tuple[torch.Tensor, torch.Tensor]], picture: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Call ``evaluate()`` and leave the unscaled gradient of its loss in ``picture.grad``.

        ``evaluate`` returns ``(loss, anything)`` and is returned as is. If the
        gradient overflows at a finite loss, the scale is halved and
        ``evaluate`` called again. A non-finite loss is returned with its
        gradient: the caller decides what a broken step means.
        """
        while True:
            picture.grad = None
            loss, extra = evaluate()
            if not self.enabled:
                loss.backward()
                return loss, extra
            (loss * self.scale).backward()
            grad = picture.grad
            # One read-back per evaluation, needed before the optimiser uses the gradient.
            if bool(torch.isfinite(grad).all()):
                grad.div_(self.scale)
                self._good_steps += 1
                if self._good_steps == GROWTH_INTERVAL:
                    self.scale *= 2.0
                    self._good_steps = 0
                return loss, extra
            self._good_steps = 0
            if self.scale <= 1.0 or not bool(torch.isfinite(loss)):
                grad.div_(self.scale)
                return loss, extra
            self.scale /= 2.0

    def scaled_gradient(self, evaluate: Callable[[], tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """The gradient of a part of a step's loss, unscaled: ``evaluate()`` returns (loss, leaf) and the
        gradient of the loss with respect to the leaf comes back.

        Scaled like ``backward``, and evaluated again at half the scale while
        the leaf's gradient overflows; the scale does not grow here (a step
        counts once, in ``backward``).
        """
        while True:
            loss, leaf = evaluate()
            if not self.enabled:
                loss.backward()
                return leaf.grad
            (loss * self.scale).backward()
            grad = leaf.grad
            if bool(torch.isfinite(grad).all()) or self.scale <= 1.0 or not bool(torch.isfinite(loss)):
                return grad.div_(self.scale)
            self._good_steps = 0
            self.scale /= 2.0
