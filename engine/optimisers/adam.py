"""Adam (Kingma & Ba, 2015) on the one picture tensor.

Why not ``torch.optim.Adam``: constructing any ``torch.optim`` optimiser
imports ``torch._dynamo`` the first time (sympy and the rest of the compiler
stack), about 1.4 s of work that holds Python's interpreter lock. Switching a
live run to Adam froze the window for that long. The update rule is four lines.
"""

from __future__ import annotations

import torch


class Adam:
    """Adam with bias correction, the same update as ``torch.optim.Adam`` (no weight decay, no amsgrad)."""

    def __init__(
        self, picture: torch.Tensor, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        self.picture, self.lr, self.betas, self.eps = picture, lr, betas, eps
        self._mean = torch.zeros_like(picture)
        self._square = torch.zeros_like(picture)
        self._steps = 0

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.picture.grad = None

    @torch.no_grad()
    def step(self) -> None:
        grad = self.picture.grad
        beta1, beta2 = self.betas
        self._steps += 1
        self._mean.mul_(beta1).add_(grad, alpha=1 - beta1)
        self._square.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = self.lr / (1 - beta1**self._steps)
        denominator = (self._square / (1 - beta2**self._steps)).sqrt_().add_(self.eps)
        self.picture.addcdiv_(self._mean, denominator, value=-step_size)
