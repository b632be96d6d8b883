"""The objective: content, style and total-variation terms, each normalised.

This differs from Gatys et al. (2016) in how each term is scaled. The paper uses
raw sums of squares (content: 1/2 sum (F - P)^2; style per layer:
1/(4 N^2 M^2) sum (G - A)^2), whose size depends on the image size, the layer
and the weights' activation scale, so a given alpha/beta only means something
for one image size and one network. We use relative errors instead:

    content = ||F_l - P_l||^2 / ||P_l||^2                    (l = content layer)
    style   = sum_l w_l * ||G_l - A_l||^2 / ||A_l||^2        (G = F F^T / (H W))
    tv      = TV(x) / TV(content),  TV(x) = mean(dx^2) + mean(dy^2)
    total   = alpha * content + beta * style + tv_weight * tv

Every term is 0 for a perfect match, about 1 for "nothing in common", and
unchanged by the image size (Grams are divided by H*W, errors by the target's
own energy) and by the activation scale of the weights (the torchvision weights'
activations are ~255x smaller than Oxford's; the ratios cancel that).

Grams and losses are always computed in float32, whatever precision the
convolutions run in.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

_EPS = 1e-12


class _Gram(torch.autograd.Function):
    """F F^T with a backward pass of one matrix product instead of two.

    Autograd differentiates bmm(F, F^T) as two products (one per argument) and
    then adds two C x HW tensors. Since dL/dF = (dG + dG^T) F, one product of
    the small symmetrised C x C gradient with F does the same: at 512 px this
    saves a quarter of a second per step on two CPU cores.
    """

    @staticmethod
    def forward(ctx, flat: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(flat)
        return torch.bmm(flat, flat.transpose(1, 2))

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (flat,) = ctx.saved_tensors
        return torch.bmm(grad + grad.transpose(1, 2), flat)


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Channel correlations of (N, C, H, W) features: (N, C, C), divided by H*W, float32."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w).float()
    return _Gram.apply(flat).div_(h * w)


def relative_error(value: torch.Tensor, target: torch.Tensor, inv_norm: torch.Tensor | float) -> torch.Tensor:
    """||value - target||^2 / ||target||^2, with the target's inverse norm precomputed."""
    return (value.float() - target).pow(2).sum() * inv_norm


def inverse_energy(target: torch.Tensor) -> torch.Tensor:
    """1 / ||target||^2, guarded against an all-zero target."""
    return 1.0 / target.float().pow(2).sum().clamp_min(_EPS)


def tv_energy(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels (both directions)."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.float().pow(2).mean() + dy.float().pow(2).mean()


@dataclass(frozen=True)
class LossTerms:
    """One evaluation of the objective, as plain floats (unweighted terms)."""

    content: float
    style: float
    tv: float
    total: float
