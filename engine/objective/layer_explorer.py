"""A look inside the network: one layer's feature maps and Gram matrix for an image.

This is what the style and content terms compare. Early layers respond to
colour and edges, later ones to textures and object parts, which is why the
early style layers carry fine texture and colour and the late ones larger
patterns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from ..network.layers import layer_channels
from ..network.vgg19 import FeatureExtractor
from ..network.vgg_weights import load_weights
from ..pictures import images
from .loss_terms import gram_matrix


@dataclass(frozen=True, eq=False)
class LayerView:
    """Feature maps and Gram matrix of one layer for one image."""

    layer: str
    channels: int  # all of the layer's channels
    maps: np.ndarray  # (k, h, w) uint8, the k most active channels, each scaled to its own range
    map_channels: tuple[int, ...]  # which channel each map is
    gram: np.ndarray  # (channels, channels) float32, the Gram as the style term sees it
    energy: np.ndarray  # (channels,) mean activation of each channel


@torch.no_grad()
def look_at_layer(
    image: Image.Image, layer: str, *, side: int = 256, count: int = 64, weights: str = "oxford"
) -> LayerView:
    """Run ``image`` (long side ``side``) through VGG19 up to ``layer``.

    Raises ``WeightsError`` like a run would.
    """
    net = FeatureExtractor(load_weights(weights), layer)
    tensor = images.to_tensor(images.resize(image.convert("RGB"), *images.fit_dims(*image.size, side)))
    features = net(tensor, [layer])[layer].float()
    energy = features.mean(dim=(0, 2, 3))
    order = torch.argsort(energy, descending=True)[: min(count, layer_channels(layer))]
    chosen = features[0, order]
    low = chosen.amin(dim=(1, 2), keepdim=True)
    high = chosen.amax(dim=(1, 2), keepdim=True)
    scaled = ((chosen - low) / (high - low).clamp_min(1e-6) * 255).round().to(torch.uint8)
    return LayerView(
        layer=layer,
        channels=features.shape[1],
        maps=scaled.numpy(),
        map_channels=tuple(order.tolist()),
        gram=gram_matrix(features)[0].numpy(),
        energy=energy.numpy(),
    )


def map_grid(view: LayerView, columns: int = 8, gap: int = 2) -> Image.Image:
    """The feature maps tiled in a grey grid, as a picture."""
    k, h, w = view.maps.shape
    rows = (k + columns - 1) // columns
    grid = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), 40, dtype=np.uint8)
    for i, fmap in enumerate(view.maps):
        r, c = divmod(i, columns)
        grid[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = fmap
    return Image.fromarray(grid, "L").convert("RGB")


# A small perceptual ramp: dark blue, purple, orange, pale yellow.
_RAMP = np.array([[12, 7, 40], [110, 30, 120], [230, 110, 40], [252, 245, 190]], dtype=float)
# The heat map is log-scaled over three decades below the largest entry.
HEATMAP_DECADES = 3


def _colours(fraction: np.ndarray) -> np.ndarray:
    """0..1 -> RGB along the ramp."""
    pos = fraction * (len(_RAMP) - 1)
    low = np.floor(pos).astype(int).clip(0, len(_RAMP) - 2)
    frac = (pos - low)[..., None]
    return _RAMP[low] * (1 - frac) + _RAMP[low + 1] * frac


def heatmap_fraction(value: np.ndarray | float, largest: float) -> np.ndarray:
    """Where ``value`` sits on the heat map's log scale (0 for <= 0, 1 for the largest entry)."""
    span = 10.0**HEATMAP_DECADES
    return np.log1p(np.maximum(value, 0) / max(largest, 1e-12) * span) / np.log1p(span)


def gram_heatmap(view: LayerView, size: int = 256) -> Image.Image:
    """The Gram matrix as a heat map (log-scaled, dark to bright)."""
    rgb = _colours(heatmap_fraction(view.gram, float(view.gram.max())))
    picture = Image.fromarray(rgb.astype(np.uint8), "RGB")
    return picture.resize((size, size), Image.Resampling.NEAREST)


def heatmap_scale(view: LayerView, height: int = 256, width: int = 16) -> tuple[Image.Image, list[tuple[float, float]]]:
    """The heat map's colour bar (largest value at the top) and its ticks as (value, height fraction from the top).

    Ticks sit at the largest entry and at each decade below it, down to 0.
    """
    largest = max(float(view.gram.max()), 1e-12)
    column = _colours(np.linspace(1.0, 0.0, height))[:, None, :].repeat(width, axis=1)
    bar = Image.fromarray(column.astype(np.uint8), "RGB")
    ticks = [(largest / 10.0**k, 1.0 - float(heatmap_fraction(largest / 10.0**k, largest))) for k in range(3)]
    ticks.append((0.0, 1.0))
    return bar, ticks
