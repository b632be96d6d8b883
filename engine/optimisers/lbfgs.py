"""A small L-BFGS for optimising one picture, one objective evaluation per step.

Why not ``torch.optim.LBFGS``: its tests are absolute (a curvature pair is kept
only if y.s > 1e-10, a step is skipped if g.d > -1e-9), and with our normalised
losses on [0, 1] pixels those products can be that small, which silently stalls
the optimisation. It also allocates new history tensors and syncs with the
device on every step. This one uses scale-free tests, keeps its history in
reused buffers and never reads a value back to the host.

At print size the history dominates memory (a 4096 px picture is 134 MB in
float32, and each curvature pair holds two of them), so it can be kept in a
narrower ``store`` dtype. The products that judge a pair (its curvature, its
damping, its rho) are taken in float32 before it is narrowed; bfloat16 then only
perturbs the two-loop's coefficients in their third digit, which L-BFGS, an
approximation of the inverse Hessian anyway, does not notice (see
tests/test_lbfgs.py).

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
    store
        The dtype the curvature pairs are kept in; the picture's by default.
    """

    def __init__(
        self,
        picture: torch.Tensor,
        history: int = 50,
        first_step: float = 0.02,
        store: torch.dtype | None = None,
    ) -> None:
        self.picture = picture
        self.history = history
        self.first_step = first_step
        self.store = store or picture.dtype
        self._s: list[torch.Tensor] = []  # steps, oldest first
        self._y: list[torch.Tensor] = []  # gradient changes, oldest first
        self._rho: list[torch.Tensor] = []
        self._gamma: torch.Tensor | None = None  # initial inverse-Hessian scale
        self._pending_s: torch.Tensor | None = None  # last step taken, awaiting its y
        self._prev_grad: torch.Tensor | None = None
        self._spare: torch.Tensor | None = None  # a free history buffer (a direction buffer when not narrowed)
        self._work: torch.Tensor | None = None  # narrowed history only: the full-precision direction
        self._capped = True  # whether the step scale has been checked against the objective being optimised

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
        self._capped = False

    def restarted(self, picture: torch.Tensor) -> LBFGS:
        """A new optimiser on ``picture`` (a new leaf tensor) that keeps this one's settings and step scale.

        When a preview hands its picture back to the full size, the picture is
        a new tensor and the objective's weights may have changed: no pair
        carries over, but a fresh optimiser's first step is an exploratory
        ``first_step`` one that barely moves the picture, which cost a
        slider's effect a whole step at the slowest scale. The kept scale is
        capped on the first step, as after ``reset``.
        """
        other = LBFGS(picture, history=self.history, first_step=self.first_step, store=self.store)
        other._gamma = None if self._gamma is None else self._gamma.clone()
        other._capped = False
        return other

    def step_scale_per_element(self) -> float | None:
        """The learnt step scale (gamma) per element of the picture; None before the first step."""
        return None if self._gamma is None else float(self._gamma) / self.picture.numel()

    def adopt_step_scale(self, per_element: float) -> None:
        """Start from another picture's step scale (``step_scale_per_element``), for this picture's size.

        The losses are normalised (``engine.objective.loss_terms``), so a pixel's gradient and the
        Hessian's scale fall with the pixel count, and the inverse Hessian's scale, gamma, grows with it.
        Capped on the first step, as after ``reset``.
        """
        self._gamma = torch.tensor(per_element * self.picture.numel(), dtype=torch.float32, device=self.picture.device)
        self._capped = False

    @property
    def pairs(self) -> int:
        """Number of curvature pairs currently held."""
        return len(self._s)

    @property
    def narrowed(self) -> bool:
        """Whether the history is kept in a narrower dtype than the picture's."""
        return self.store != self.picture.dtype

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
        if not self._capped:
            # The first step after a reset. The kept scale belongs to the old
            # objective: after beta went from 10 to 40000 in one drag, its
            # gradient step changed pixels by thousands and the loss went from
            # 1.4 to 2e12 (then NaN in bfloat16). Allow at most RESET_STEP.
            self._gamma = torch.minimum(self._gamma, RESET_STEP / grad.abs().max().clamp_min(1e-30))
            self._capped = True
        if self._pending_s is not None:
            self._add_pair(grad)
        if self.narrowed:
            if self._work is None:
                self._work = torch.empty_like(grad)
            direction = self._work
        else:
            direction = self._spare if self._spare is not None else torch.empty_like(grad)
            self._spare = None
        self._two_loop(grad, direction)
        self.picture.view(-1).add_(direction)
        if self.narrowed:
            kept = self._spare if self._spare is not None else torch.empty(grad.numel(), dtype=self.store)
            self._spare = None
            self._pending_s = kept.copy_(direction)
        else:
            self._pending_s = direction
        if self._prev_grad is None:
            self._prev_grad = grad.clone()
        else:
            self._prev_grad.copy_(grad)
        return loss

    def _add_pair(self, grad: torch.Tensor) -> None:
        s, self._pending_s = self._pending_s, None
        y = None
        if len(self._y) == self.history:
            # Recycle the oldest pair's buffers: no allocation once warmed up.
            self._spare = self._s.pop(0)
            self._rho.pop(0)
            y = self._y.pop(0)
        # y in full precision: in the narrowed case the direction buffer is free
        # until the two-loop, so it holds y while the pair is judged.
        full = self._work if self.narrowed else y
        if full is None:
            full = grad - self._prev_grad
        else:
            torch.sub(grad, self._prev_grad, out=full)
        ys = _dot(full, s)
        ss = _dot(s, s)
        # Powell's damping (Nocedal & Wright, procedure 18.2, with B = 1/gamma):
        # where the curvature along s is below DAMPING times the current
        # scale's, or negative, y is blended towards s / gamma until it is that.
        # Without it a pair of tiny positive curvature makes the next step
        # enormous along s: with regions, one step went from a loss of 16 to
        # 4e8. Keeping every pair this way also uses the first ones, whose
        # curvature on a photo start is negative and which were dropped before.
        curved = ss / self._gamma
        floor = DAMPING * curved
        theta = torch.where(ys >= floor, torch.ones_like(ys), (curved - floor) / (curved - ys).clamp_min(1e-30))
        full.mul_(theta)
        _add_scaled(full, s, (1 - theta) / self._gamma)
        ys = theta * ys + (1 - theta) * curved
        yy = torch.dot(full, full)
        if self.narrowed:
            y = (y if y is not None else torch.empty(grad.numel(), dtype=self.store)).copy_(full)
        else:
            y = full
        # A zero step (or a non-finite one) has no curvature to keep: rho = 0
        # makes the pair a no-op in the two-loop recursion, without a host sync to drop it.
        valid = (ys > 0) & torch.isfinite(ys) & (yy > 0)
        self._rho.append(torch.where(valid, 1.0 / ys.clamp_min(1e-30), torch.zeros_like(ys)))
        self._gamma = torch.where(valid, ys / yy.clamp_min(1e-30), self._gamma)
        self._s.append(s)
        self._y.append(y)

    def _two_loop(self, grad: torch.Tensor, d: torch.Tensor) -> None:
        """d = -H grad, by the standard two-loop recursion."""
        torch.neg(grad, out=d)
        alphas = []
        for s, y, rho in zip(reversed(self._s), reversed(self._y), reversed(self._rho), strict=True):
            a = rho * _dot(s, d)
            _add_scaled(d, y, -a)
            alphas.append(a)
        d.mul_(self._gamma)
        for s, y, rho, a in zip(self._s, self._y, self._rho, reversed(alphas), strict=True):
            b = rho * _dot(y, d)
            _add_scaled(d, s, a - b)


# The largest change of any pixel (on [0, 1]) the first step after a reset may
# make. A slider moved by a few times keeps its kept scale's step (its largest
# change was 0.01-0.07 at 192 px, for beta times 0.2 to 5 or a layer weight
# times 5); only a jump of the objective's scale meets the cap.
RESET_STEP = 0.1

# Mixed-precision products go in slices of this many elements, so that widening
# a narrowed vector never needs a full-size temporary (134 MB at 4096 px).
_CHUNK = 1 << 20
# The floor of a pair's curvature along its step, as a fraction of the current
# scale's (1 / gamma). Nocedal & Wright use 0.2; on an ill-conditioned quadratic
# that slows convergence 5000-fold, as it hides the flat directions that
# L-BFGS is for. Below 0.03 a region run from a photo start still jumped (a
# total of 16 to 35 at 0.02); above 0.04 a preview after a slider move moved
# the picture too little (the style error fell 13 % instead of over 20 % at
# 0.05). At 256 px (default settings, two pairs) the finished totals with 0.05
# were within 0.3 % and 1.1 % of the undamped ones.
DAMPING = 0.04


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a . b in the wider dtype of the two, accumulated in float32 or better."""
    if a.dtype == b.dtype:
        return torch.dot(a, b)
    wide = torch.promote_types(a.dtype, b.dtype)
    total = torch.zeros((), dtype=torch.promote_types(wide, torch.float32), device=a.device)
    for i in range(0, a.numel(), _CHUNK):
        total += torch.dot(a[i : i + _CHUNK].to(wide), b[i : i + _CHUNK].to(wide))
    return total


def _add_scaled(d: torch.Tensor, v: torch.Tensor, scale: torch.Tensor) -> None:
    """d += scale * v in place, with v possibly narrower than d."""
    if v.dtype == d.dtype:
        d.addcmul_(v, scale)
        return
    for i in range(0, d.numel(), _CHUNK):
        d[i : i + _CHUNK].addcmul_(v[i : i + _CHUNK].to(d.dtype), scale.to(d.dtype))
