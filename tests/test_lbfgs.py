import pytest
import torch
from brushwork.engine.optimisers.lbfgs import LBFGS, RESET_STEP


def _quadratic(scale: float, x: torch.Tensor | None = None):
    """An ill-conditioned quadratic 0.5 x^T A x with its minimum at 1, times ``scale``, on ``x`` (zeros if None)."""
    generator = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(40, 40, generator=generator, dtype=torch.float64))
    a = q @ torch.diag(torch.logspace(0, 3, 40, dtype=torch.float64)) @ q.T
    if x is None:
        x = torch.zeros(40, dtype=torch.float64, requires_grad=True)

    def closure():
        d = x - 1
        loss = 0.5 * scale * d @ a @ d
        loss.backward()
        return loss

    return x, closure


def _run(optimizer_factory, scale, steps=200):
    x, closure = _quadratic(scale)
    opt = optimizer_factory(x)
    for _ in range(steps):
        opt.step(closure)
    return (x.detach() - 1).abs().max().item()


def test_converges_on_an_ill_conditioned_quadratic():
    assert _run(lambda x: LBFGS(x, history=20, first_step=0.1), 1.0) < 1e-4


def test_result_does_not_depend_on_the_loss_scale():
    # A loss a billion times smaller must give the same iterates. torch's L-BFGS
    # does not: its absolute tolerances stop it from making progress.
    big = _run(lambda x: LBFGS(x, history=20, first_step=0.1), 1.0)
    tiny = _run(lambda x: LBFGS(x, history=20, first_step=0.1), 1e-9)
    assert abs(big - tiny) < 1e-6
    torch_tiny = _run(lambda x: torch.optim.LBFGS([x], max_iter=1, history_size=20), 1e-9)
    assert tiny < 1e-4 and torch_tiny > 0.5  # torch's has not moved from the start


def test_history_is_capped_and_reset_keeps_the_step_scale():
    x, closure = _quadratic(1.0)
    points, grads = [], []

    def recording_closure():
        loss = closure()
        points.append(x.detach().clone())
        grads.append(x.grad.detach().clone())
        return loss

    opt = LBFGS(x, history=5, first_step=0.1)
    for _ in range(12):
        opt.step(recording_closure)
    assert opt.pairs == 5
    opt.reset()
    assert opt.pairs == 0
    # The step scale the curvature had reached: s.y / y.y of the last pair kept
    # before the reset (a convex quadratic: every pair has positive curvature).
    s, y = points[-1] - points[-2], grads[-1] - grads[-2]
    gamma = torch.dot(s, y) / torch.dot(y, y)
    start = x.detach().clone()
    opt.step(recording_closure)
    step = x.detach() - start
    # No pairs, so a plain gradient step, scaled by that gamma rather than
    # restarted at first_step (whose largest change would be exactly 0.1).
    torch.testing.assert_close(step, -gamma * grads[-1], rtol=1e-9, atol=0)
    assert abs(step.abs().max().item() - opt.first_step) > 0.5 * opt.first_step


def test_after_a_reset_a_jump_of_the_losss_scale_cannot_throw_the_picture_away():
    """beta from 10 to 40000 in one drag: the step scale kept through the reset belongs to a loss 4000 times
    smaller, and its gradient step would move the picture 4000 times too far."""
    scale = [1.0]
    x, unit_closure = _quadratic(1.0)

    def closure():
        loss = unit_closure()
        x.grad.mul_(scale[0])
        return loss * scale[0]

    opt = LBFGS(x, history=5, first_step=0.1)
    for _ in range(12):
        opt.step(closure)
    scale[0] = 4000.0
    opt.reset()
    start = x.detach().clone()
    opt.step(closure)
    assert (x.detach() - start).abs().max().item() <= RESET_STEP * (1 + 1e-9)
    error = (x.detach() - 1).abs().max().item()
    for _ in range(60):  # the curvature it learns next is the new loss's: it goes on converging
        opt.step(closure)
    assert (x.detach() - 1).abs().max().item() < 0.1 * error


def test_a_restarted_optimiser_on_a_new_picture_keeps_the_step_scale_but_no_pairs():
    """A preview hands back a new picture tensor: the first step there is a step of the learnt scale,
    not an exploratory ``first_step`` one."""
    x, closure = _quadratic(1.0)
    opt = LBFGS(x, history=5, first_step=0.1)
    for _ in range(12):
        opt.step(closure)
    moved = x.detach().clone().requires_grad_(True)
    fresh = LBFGS(moved.detach().clone().requires_grad_(True), history=5, first_step=0.1)
    again = opt.restarted(moved)
    assert again.picture is moved and again.pairs == 0 and again.history == 5

    def first_step(optimizer):
        start = optimizer.picture.detach().clone()
        optimizer.step(_quadratic(1.0, optimizer.picture)[1])
        return (optimizer.picture.detach() - start).abs().max().item()

    assert first_step(fresh) == pytest.approx(0.1)  # a new optimiser: an exploratory step
    kept = first_step(again)
    assert abs(kept - 0.1) > 0.05 and kept <= RESET_STEP * (1 + 1e-9)  # the learnt scale: 0.011 here
    _, on_moved = _quadratic(1.0, moved)
    for _ in range(200):  # and it converges from there like any L-BFGS
        again.step(on_moved)
    assert (moved.detach() - 1).abs().max().item() < 1e-4


def test_history_kept_in_bfloat16_converges_like_full_precision(monkeypatch):
    # Print size keeps the curvature pairs in bfloat16 to halve their memory.
    # Slices of 7 elements make the mixed-precision products run in pieces, as
    # they do on a 4096 px picture.
    monkeypatch.setattr("brushwork.engine.optimisers.lbfgs._CHUNK", 7)

    def run(store):
        x, closure = _quadratic(1.0)
        x32 = x.detach().float().requires_grad_(True)

        def closure32():
            x.grad = None
            with torch.enable_grad():
                x.data.copy_(x32.detach().double())
                loss = closure()
            x32.grad = x.grad.float()
            return loss

        opt = LBFGS(x32, history=20, first_step=0.1, store=store)
        for _ in range(200):
            opt.step(closure32)
        return opt, (x32.detach() - 1).abs().max().item()

    narrowed, error = run(torch.bfloat16)
    assert narrowed.narrowed and {t.dtype for t in narrowed._s + narrowed._y} == {torch.bfloat16}
    _, full_error = run(None)
    assert error < 1e-4 and full_error < 1e-4
