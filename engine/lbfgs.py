"""A small L-BFGS for optimising one picture, one objective evaluation per step.

Why not ``torch.optim.LBFGS``: its tests are absolute (a curvature pair is kept
only if y.s > 1e-10, a step is skipped if g.d > -1e-9), and with our normalised
losses on [0, 1] pixels those products can be that small, which silently stalls
the optimisation. It also allocates new history tensors and syncs with the
device on every step. This one uses scale-free tests, keeps its history in
reused buffers and never reads a value back to the host.

Like neural-style and pastiche it takes the full quasi-Newton step (t = 1) with
no line search: one function evaluation per step, which is what an interactive
preview wants.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


class LBFGS:
    """Limited-memory BFGS on a single tensor.

    Parameters
    ----------
    picture
        The leaf tensor being optimised (requires grad).
    history
        Number of curvature pairs kept.
    first_step
        Largest change of any element on the first step, before curvature is known.
    """

    def __init__(self, picture: torch.Tensor, history: int = 50, first_step: float = 0.02) -> None:
        self.picture = picture
        self.history = history
        self.first_step = first_step
        self._s: list[torch.Tensor] = []  # steps, oldest first
        self._y: list[torch.Tensor] = []  # gradient changes, oldest first
        self._rho: list[torch.Tensor] = []
        self._gamma: torch.Tensor | None = None  # initial inverse-Hessian scale
        self._pending_s: torch.Tensor | None = None  # last step taken, awaiting its y
        self._prev_grad: torch.Tensor | None = None
        self._spare: torch.Tensor | None = None  # a free buffer for the next direction

    def reset(self) -> None:
        """Forget the curvature pairs (the objective changed) but keep the step scale.

        Keeping gamma makes the first step after a reset a well-scaled gradient
        step instead of a tiny exploratory one, so a slider change mid-run does
        not cost the picture a visible stall.
        """
        self._s.clear()
        self._y.clear()
        self._rho.clear()
        self._pending_s = None

    @property
    def pairs(self) -> int:
        """Number of curvature pairs currently held."""
        return len(self._s)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:
        """Evaluate ``closure`` (which must call backward) and take one step."""
        self.picture.grad = None
        with torch.enable_grad():
            loss = closure()
        grad = self.picture.grad.reshape(-1)
        if self._gamma is None:
            # No curvature known yet: a gradient step whose largest change is first_step.
            self._gamma = self.first_step / grad.abs().max().clamp_min(1e-30)
        if self._pending_s is not None:
            self._add_pair(grad)
        direction = self._spare if self._spare is not None else torch.empty_like(grad)
        self._spare = None
        self._two_loop(grad, direction)
        self.picture.view(-1).add_(direction)
        self._pending_s = direction
        if self._prev_grad is None:
            self._prev_grad = grad.clone()
        else:
            self._prev_grad.copy_(grad)
        return loss

    def _add_pair(self, grad: torch.Tensor) -> None:
        s, self._pending_s = self._pending_s, None
        if len(self._y) == self.history:
            # Recycle the oldest pair's buffers: no allocation once warmed up.
            self._spare = self._s.pop(0)
            self._rho.pop(0)
            y = self._y.pop(0)
            torch.sub(grad, self._prev_grad, out=y)
        else:
            y = grad - self._prev_grad
        ys = torch.dot(y, s)
        yy = torch.dot(y, y)
        # Keep a pair only if its curvature is clearly positive, measured
        # relative to the vectors' lengths so that the test does not depend on
        # the loss scale. A rejected pair gets rho = 0, which makes it a no-op in
        # the two-loop recursion without a host sync to drop it.
        valid = ys > 1e-8 * torch.sqrt(yy * torch.dot(s, s))
        self._rho.append(torch.where(valid, 1.0 / ys.clamp_min(1e-30), torch.zeros_like(ys)))
        self._gamma = torch.where(valid, ys / yy.clamp_min(1e-30), self._gamma)
        self._s.append(s)
        self._y.append(y)

    def _two_loop(self, grad: torch.Tensor, d: torch.Tensor) -> None:
        """d = -H grad, by the standard two-loop recursion."""
        torch.neg(grad, out=d)
        alphas = []
        for s, y, rho in zip(reversed(self._s), reversed(self._y), reversed(self._rho), strict=True):
            a = rho * torch.dot(s, d)
            d.addcmul_(y, a, value=-1.0)
            alphas.append(a)
        d.mul_(self._gamma)
        for s, y, rho, a in zip(self._s, self._y, self._rho, reversed(alphas), strict=True):
            b = rho * torch.dot(y, d)
            d.addcmul_(s, a - b)
