"""Keeping the photo's colours (Gatys, Bethge, Hertzmann & Shechtman 2017).

Two methods, as in *Controlling Perceptual Factors in Neural Style Transfer*:

luminance
    Transfer style on luminance only: the content and style images become
    grey (the style's luminance first matched to the content's mean and
    spread), the picture is optimised as one luminance channel, and shown
    with the photo's chroma (YIQ's I and Q) put back.
match
    Colour matching: before its Grams are taken, the style image's colours
    are moved by an affine map so that their mean and covariance equal the
    photo's; the picture is optimised in colour as usual.

``color_strength`` (0-1) sets how much: for ``match`` the style image is
blended between its own colours and the matched ones; for ``luminance`` it
scales the chroma put back (1 = the photo's colours, 0 = grey).
"""

from __future__ import annotations

import torch

# RGB -> YIQ (NTSC); its exact inverse is used to go back.
_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]])
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)


def _apply(matrix: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", matrix.to(image), image)


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) RGB in [0, 1] to YIQ."""
    return _apply(_RGB_TO_YIQ, image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    return _apply(_YIQ_TO_RGB, image)


def luminance(image: torch.Tensor) -> torch.Tensor:
    """The Y channel, (N, 1, H, W)."""
    return rgb_to_yiq(image)[:, :1]


def match_luminance(source_y: torch.Tensor, reference_y: torch.Tensor) -> torch.Tensor:
    """``source_y`` shifted and scaled to the mean and spread of ``reference_y``."""
    mu_s, sd_s = source_y.mean(), source_y.std().clamp_min(1e-6)
    mu_r, sd_r = reference_y.mean(), reference_y.std()
    return ((source_y - mu_s) * (sd_r / sd_s) + mu_r).clamp(0.0, 1.0)


def _sqrt_and_inverse_sqrt(cov: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    values, vectors = torch.linalg.eigh(cov)
    values = values.clamp_min(1e-8)
    return (vectors * values.sqrt()) @ vectors.T, (vectors * values.rsqrt()) @ vectors.T


def match_colors(source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """``source`` with its colours' mean and covariance moved to ``reference``'s.

    x' = A (x - mu_s) + mu_r with A = C_r^(1/2) C_s^(-1/2), the
    "image analogies" variant that Gatys et al. (2017) use.
    """
    src = source[0].reshape(3, -1).double()
    ref = reference[0].reshape(3, -1).double()
    mu_s, mu_r = src.mean(1, keepdim=True), ref.mean(1, keepdim=True)
    cov_s = torch.cov(src) + 1e-5 * torch.eye(3, dtype=src.dtype, device=src.device)
    cov_r = torch.cov(ref) + 1e-5 * torch.eye(3, dtype=src.dtype, device=src.device)
    _, inv_sqrt_s = _sqrt_and_inverse_sqrt(cov_s)
    sqrt_r, _ = _sqrt_and_inverse_sqrt(cov_r)
    moved = sqrt_r @ inv_sqrt_s @ (src - mu_s) + mu_r
    return moved.reshape_as(source[0]).unsqueeze(0).to(source.dtype).clamp(0.0, 1.0)


def prepare_style(style: torch.Tensor, content: torch.Tensor, mode: str, strength: float) -> torch.Tensor:
    """The style image as the network should see it under ``mode``."""
    if mode == "match":
        return torch.lerp(style, match_colors(style, content), strength)
    if mode == "luminance":
        return match_luminance(luminance(style), luminance(content)).expand(-1, 3, -1, -1)
    return style


class ColourView:
    """How the optimised canvas relates to what the network and the artist see.

    In colour modes the canvas is RGB. In ``luminance`` mode it is one channel
    of luminance: the network gets it as grey RGB, the artist gets it with the
    photo's chroma (scaled by ``strength``) put back.
    """

    def __init__(self, mode: str, content: torch.Tensor, strength: float) -> None:
        self.mode = mode
        self.strength = strength
        self.chroma = rgb_to_yiq(content)[:, 1:] if mode == "luminance" else None

    def to_canvas(self, rgb: torch.Tensor) -> torch.Tensor:
        return luminance(rgb) if self.mode == "luminance" else rgb

    def to_network(self, canvas: torch.Tensor) -> torch.Tensor:
        return canvas.expand(-1, 3, -1, -1) if self.mode == "luminance" else canvas

    def to_rgb(self, canvas: torch.Tensor) -> torch.Tensor:
        if self.mode != "luminance":
            return canvas
        chroma = self.chroma * self.strength
        return yiq_to_rgb(torch.cat([canvas, chroma.to(canvas)], dim=1)).clamp(0.0, 1.0)
