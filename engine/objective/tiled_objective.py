"""The objective of ``engine.objective.scale_objective``, tile by tile in memory bounded by the tile: exactly.

Why this is exact (the anchors' tiling scripts blend independently painted
tiles, and their seams come from there):

- A Gram is a sum over positions, G_l = sum_p f_p f_p^T / N_l, so it can be
  summed tile by tile, each position counted in exactly one tile (its
  *interior*).
- A tile is run through the network with a *halo* of extra pixels around its
  interior. The tile's own zero padding corrupts its feature maps only within
  ``reach(layer)`` pixels of its edge; with a halo at least that wide, every
  interior feature is the full picture's feature, bit for bit up to float
  rounding. Tiles start on multiples of 16 pixels so that the four poolings
  group the same positions as in the full picture.
- With the global Grams known (pass 1, no gradient), dL/dG_l is a fixed
  C x C matrix D_l, and dL/df_p = (D_l + D_l^T) f_p / N_l depends on the
  position's own feature only. So a second pass per tile, minimising the
  linear surrogate sum_l <D_l, F_int F_int^T / N_l> plus the (local) content
  term, gives each tile's share of the exact gradient; the shares add up
  over the pixels the halos overlap.

Memory is that of one tile's forward and backward pass, plus the picture,
its gradient and the content target's features at the content layer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..network.layers import CONV_LAYERS, layer_index
from ..network.vgg19 import FeatureExtractor
from ..settings.style_params import StyleParams
from .guided_gram import MIN_MASS, guide_at, opaque_part
from .loss_scaling import LossScaler
from .loss_terms import inverse_energy
from .scale_objective import Objective, StyleTargets

ALIGN = 16  # four 2x2 poolings: a tile must start where the full picture's pooling windows start


def stride(layer: str) -> int:
    """Input pixels per feature position at ``layer``."""
    return 2 ** (int(layer[4]) - 1)


def reach(layer: str) -> int:
    """How many pixels in from a tile's edge its zero padding can change ``layer``'s features.

    Each 3x3 convolution moves the damage one position further in, at its
    block's stride; a pooling after a damaged position damages the pooled one.
    The sum is rounded up to whole positions of the layer, plus one for the
    pooling's grouping.
    """
    total = 0
    for name in CONV_LAYERS[: layer_index(layer) + 1]:
        total += stride(name)
    s = stride(layer)
    return (math.ceil(total / s) + 1) * s


def halo_for(layers) -> int:
    """A halo wide enough for every layer in ``layers``, in whole multiples of ``ALIGN``."""
    widest = max(reach(name) for name in layers)
    return math.ceil(widest / ALIGN) * ALIGN


@dataclass(frozen=True)
class Tile:
    """A tile's interior [y0, y1) x [x0, x1) and the box it is computed on, halo included (clipped to the picture)."""

    y0: int
    y1: int
    x0: int
    x1: int
    by0: int
    by1: int
    bx0: int
    bx1: int

    def positions(self, layer: str, full_height: int, full_width: int) -> tuple[slice, slice]:
        """The interior's rows and columns in the full picture's feature map at ``layer``."""
        s = stride(layer)
        # The picture's last tile ends at the map's floored edge, as the full picture's does.
        end_y = self.y1 // s if self.y1 < full_height else full_height // s
        end_x = self.x1 // s if self.x1 < full_width else full_width // s
        return slice(self.y0 // s, end_y), slice(self.x0 // s, end_x)

    def interior(self, layer: str, full_height: int, full_width: int) -> tuple[slice, slice]:
        """The interior's rows and columns in the tile's own feature map at ``layer``."""
        s = stride(layer)
        rows, cols = self.positions(layer, full_height, full_width)
        oy, ox = self.by0 // s, self.bx0 // s
        return slice(rows.start - oy, rows.stop - oy), slice(cols.start - ox, cols.stop - ox)


def grid_offset(evaluation: int, tile: int) -> tuple[int, int]:
    """Where the tile grid starts (rows, columns) at the ``evaluation``-th evaluation of a scale.

    It moves every evaluation, by steps that are not multiples of each other,
    so that tile boundaries rarely fall on the same line twice running.
    """
    return evaluation * 48 % tile, evaluation * 80 % tile


def plan_tiles(height: int, width: int, tile: int, halo: int, offset: tuple[int, int] = (0, 0)) -> list[Tile]:
    """Tiles of ``tile`` pixels (a multiple of ``ALIGN``) covering the picture, the grid shifted by ``offset``.

    Shifting the grid between steps changes where the tiles meet; the
    objective is the same for every grid.
    """
    if tile % ALIGN or halo % ALIGN:
        raise ValueError(f"tile and halo must be multiples of {ALIGN} pixels")

    def cuts(size: int, shift: int) -> list[int]:
        shift = (shift // ALIGN * ALIGN) % tile
        edges = [0, *range(shift or tile, size, tile), size]
        return sorted(set(edges))

    tiles = []
    ys, xs = cuts(height, offset[0]), cuts(width, offset[1])
    for y0, y1 in itertools.pairwise(ys):
        for x0, x1 in itertools.pairwise(xs):
            tiles.append(
                Tile(
                    y0, y1, x0, x1, max(0, y0 - halo), min(height, y1 + halo), max(0, x0 - halo), min(width, x1 + halo)
                )
            )
    return tiles


def _gram_sum(part: torch.Tensor, guides: torch.Tensor | None = None) -> torch.Tensor:
    """sum_p f_p f_p^T over a tile's interior, float32: (1, C, C), or with (K, h, w) guides (K, C, C), sum_p g f f^T.

    A tile narrower than a deep layer's stride has no positions there, and gives zeros.
    """
    flat = part.reshape(1, part.shape[1], -1).float()
    if guides is not None:
        # Weighted by g, as engine.region_style weighs a region's Gram: sqrt(g) on both factors.
        flat = flat * guides.reshape(guides.shape[0], 1, -1).sqrt()
    return torch.bmm(flat, flat.transpose(1, 2))


TV_BAND = 256  # rows per band of the smoothness term: a few MB of differences at any width


def banded_tv_energy(
    picture: torch.Tensor, grad: torch.Tensor | None = None, weight: float | torch.Tensor = 1.0
) -> torch.Tensor:
    """``losses.tv_energy(picture)``, one band of rows at a time; with ``grad``, adds weight x its gradient there.

    Each band takes one row more than it owns, for the vertical differences
    across its lower edge, so every neighbouring pair is counted exactly once.
    """
    batch, channels, height, width = picture.shape
    per_x = 1.0 / max(1, batch * channels * height * (width - 1))
    per_y = 1.0 / max(1, batch * channels * (height - 1) * width)
    energy = torch.zeros((), dtype=torch.float32, device=picture.device)
    for top in range(0, height, TV_BAND):
        own = min(TV_BAND, height - top)
        slab = picture[..., top : min(top + own + 1, height), :].detach().float()
        if grad is not None:
            slab.requires_grad_(True)
        with torch.set_grad_enabled(grad is not None):
            dx = slab[..., :own, 1:] - slab[..., :own, :-1]
            dy = slab[..., 1:, :] - slab[..., :-1, :]
            band = dx.pow(2).sum() * per_x + dy.pow(2).sum() * per_y
            if grad is not None:
                (band * weight).backward()
                grad[..., top : top + slab.shape[-2], :] += slab.grad
        energy += band.detach()
    return energy


def _box(picture: torch.Tensor, t: Tile) -> torch.Tensor:
    return picture[..., t.by0 : t.by1, t.bx0 : t.bx1]


class TiledObjective(StyleTargets):
    """``Objective`` for a picture too large to run through the network at once: the same total, the same gradient.

    Built like ``Objective`` (content in the network's view, the paintings,
    the parameters, the regions' masks) plus the tile's interior side in
    pixels; the halo is worked out from the deepest layer. The style targets
    are summed over tiles of each painting too, so nothing here ever holds a
    whole large image's activations. With regions, each region's guided Gram
    (``engine.objective.guided_gram``) is a weighted sum over positions like the plain
    one, so it is summed over tiles the same way, with the guides cut to each
    tile's interior at each layer.
    """

    def __init__(
        self,
        extractor: FeatureExtractor,
        content: torch.Tensor,
        styles: torch.Tensor | list[torch.Tensor],
        params: StyleParams,
        tile: int,
        *,
        masks: torch.Tensor | None = None,
        style_masks: dict[int, tuple[int, torch.Tensor]] | None = None,
        coverage: Sequence[torch.Tensor | None] = (),
    ) -> None:
        self.extractor = extractor
        self.content_layer = params.content_layer
        self.tile = tile
        self.size = tuple(content.shape[-2:])
        self._tv_inv = 1.0 / banded_tv_energy(content).clamp_min(1e-6)
        listed = [name for name, _ in params.style_layers] + [self.content_layer]
        self.halo = halo_for(listed)
        target = self._stitch(content, self.content_layer)
        self._content_inv = inverse_energy(target)
        # Kept in half precision: at 4096 px the content layer's features are 357 MB in float32.
        # Differences are taken in float32; half's 11-bit mantissa costs 5e-4 of a feature, far
        # below what a step changes.
        self._content_target = target.half()
        self.set_styles(styles, params, style_masks, coverage)
        self.set_guides(masks, params)
        self.set_weights(params)

    def set_styles(
        self,
        styles: torch.Tensor | list[torch.Tensor],
        params: StyleParams,
        style_masks: dict[int, tuple[int, torch.Tensor]] | None = None,
        coverage: Sequence[torch.Tensor | None] = (),
    ) -> None:
        """New paintings or style layers: their Grams (of their opaque parts, ``Objective.set_styles``), and those
        of the regions' parts of them, tile by tile."""
        if isinstance(styles, torch.Tensor):
            styles = [styles]
        self.style_layers = tuple(name for name, _ in params.style_layers)
        self._grams = [
            self._tiled_grams(style, self.style_layers, opaque_part(coverage, i)) for i, style in enumerate(styles)
        ]
        masked = {}
        for region, (index, mask) in (style_masks or {}).items():
            opaque = opaque_part(coverage, index)
            part = mask if opaque is None else mask * opaque
            masked[region] = self._tiled_grams(styles[index], self.style_layers, part)
        self._masked_grams = masked
        self._mix_key = None
        self._mix(params)

    def set_weights(self, params: StyleParams) -> None:
        """New alpha, beta, layer, blend and tv weights (same layers, same images)."""
        self._mix(params)
        self.alpha, self.beta, self.tv_weight = params.alpha, params.beta, params.tv_weight
        self.layer_weights = {name: w for name, w in params.style_layers if w > 0} if params.beta > 0 else {}
        self.taps = set(self.layer_weights) | ({self.content_layer} if self.alpha > 0 else set())

    terms = Objective.terms  # reported the same way: a term switched off reads as NaN

    @torch.no_grad()
    def _tiled_grams(self, image: torch.Tensor, layers, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The Grams of ``image`` at ``layers``, (1, C, C), summed over tiles' interiors.

        With a (1, H, W) ``mask`` they are the guided Grams of the part it
        covers, as ``region_style.guided_targets`` gives for a whole painting.
        """
        if not layers:
            return {}
        height, width = image.shape[-2:]
        dims = {name: (height // stride(name), width // stride(name)) for name in layers}
        guides = {name: guide_at(mask, dims[name]).view(1, *dims[name]) for name in layers} if mask is not None else {}
        sums: dict[str, torch.Tensor] = {}
        for t in plan_tiles(height, width, self.tile, self.halo):
            feats = self.extractor(_box(image, t), set(layers))
            for name in layers:
                rows, cols = t.interior(name, height, width)
                guide = guides[name][(slice(None), *t.positions(name, height, width))] if guides else None
                gram = _gram_sum(feats[name][..., rows, cols], guide)
                sums[name] = gram if name not in sums else sums[name] + gram
        if guides:
            return {name: total / guides[name].sum().clamp_min(MIN_MASS) for name, total in sums.items()}
        return {name: total / (dims[name][0] * dims[name][1]) for name, total in sums.items()}

    def tiles(self, offset: tuple[int, int] = (0, 0)) -> list[Tile]:
        return plan_tiles(*self.size, self.tile, self.halo, offset)

    @torch.no_grad()
    def _stitch(self, image: torch.Tensor, layer: str) -> torch.Tensor:
        """``layer``'s full feature map of ``image``, assembled from tiles' interiors."""
        height, width = self.size
        s = stride(layer)
        out = None
        for t in self.tiles():
            f = self.extractor(_box(image, t), {layer})[layer].float()
            rows, cols = t.interior(layer, height, width)
            if out is None:
                out = f.new_zeros((1, f.shape[1], height // s, width // s))
            out[
                ..., t.y0 // s : t.y0 // s + (rows.stop - rows.start), t.x0 // s : t.x0 // s + (cols.stop - cols.start)
            ] = f[..., rows, cols]
        return out

    def _content_slice(self, t: Tile) -> torch.Tensor:
        s = stride(self.content_layer)
        rows, cols = t.interior(self.content_layer, *self.size)
        y, x = t.y0 // s, t.x0 // s
        return self._content_target[..., y : y + rows.stop - rows.start, x : x + cols.stop - cols.start].float()

    def _parts(self) -> dict[str, _LayerParts]:
        """Per style layer with a weight, the Grams its term matches: the picture's, or each live region's."""
        height, width = self.size
        device = self._content_target.device
        out = {}
        for name, weight in self.layer_weights.items():
            h, w = height // stride(name), width // stride(name)
            if self._regions is None:
                target, inv = self._style[name]
                out[name] = _LayerParts(
                    None, [], target, inv.view(1), torch.tensor([float(h * w)], device=device), weight
                )
                continue
            guides, masses = self._regions.weights_at((h, w))
            live = self._regions.live(masses)
            if not live:
                continue
            index = [t.guide for t in live]
            mass = torch.tensor([masses[i] for i in index], device=device)
            out[name] = _LayerParts(
                guides.view(-1, h, w),
                index,
                torch.cat([t.targets[name][0] for t in live]),
                torch.stack([t.targets[name][1].reshape(()) for t in live]),
                mass,
                # Layer weight x region strength x area share, as RegionStyle.loss weighs a region.
                weight * torch.tensor([t.strength for t in live], device=device) * mass / (h * w),
            )
        return out

    def loss_and_grad(
        self, picture: torch.Tensor, offset: tuple[int, int] = (0, 0), scaler: LossScaler | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(total, [content, style, tv, total], d total / d picture), each pass one tile at a time.

        ``scaler`` scales each tile's backward pass (float16 convolutions:
        ``engine.objective.loss_scaling``); the gradient returned is unscaled.
        """
        height, width = self.size
        tiles = self.tiles(offset)
        picture = picture.detach()
        parts = self._parts()

        def grams(feats: dict[str, torch.Tensor], t: Tile, name: str) -> torch.Tensor:
            """This tile's sums, sum_p g f f^T, one per Gram the layer matches: (P, C, C)."""
            rows, cols = t.interior(name, height, width)
            layer = parts[name]
            guides = None
            if layer.guides is not None:
                guides = layer.guides[(slice(None), *t.positions(name, height, width))][layer.index]
            return _gram_sum(feats[name][..., rows, cols], guides)

        # Pass 1: the global Grams and the content error, no gradient.
        sums: dict[str, torch.Tensor] = {}
        content = picture.new_zeros((), dtype=torch.float32)
        with torch.no_grad():
            for t in tiles:
                feats = self.extractor(_box(picture, t), self.taps) if self.taps else {}
                for name in parts:
                    gram = grams(feats, t, name)  # the sum, not the mean, over this tile
                    sums[name] = gram if name not in sums else sums[name] + gram
                if self.alpha > 0:
                    rows, cols = t.interior(self.content_layer, height, width)
                    diff = feats[self.content_layer][..., rows, cols].float() - self._content_slice(t)
                    content = content + diff.pow(2).sum()
        style = picture.new_zeros((), dtype=torch.float32)
        upstream = {}
        for name, layer in parts.items():
            mass = layer.mass.view(-1, 1, 1)
            error = sums[name] / mass - layer.targets
            per_gram = layer.factor * error.pow(2).sum((1, 2)) * layer.inv
            style = style + per_gram.sum()
            # d(beta * factor * ||G - A||^2 * inv) / dS, where G = S / mass and S = sum_p g f f^T.
            upstream[name] = (self.beta * 2 * (layer.factor * layer.inv).view(-1, 1, 1) / mass) * error
        content = content * self._content_inv
        # Pass 2: each tile's share of the gradient, through the linear surrogate.
        grad = torch.zeros_like(picture)
        scaler = scaler or LossScaler(enabled=False)
        for t in tiles:

            def share(t: Tile = t) -> tuple[torch.Tensor, torch.Tensor]:
                box = _box(picture, t).clone().requires_grad_(True)
                with torch.enable_grad():
                    feats = self.extractor(box, self.taps)
                    surrogate = box.new_zeros((), dtype=torch.float32)
                    for name, d in upstream.items():
                        # <D, F F^T> = sum(D * F F^T); its gradient in F is (D + D^T) F, the exact one.
                        surrogate = surrogate + (d * grams(feats, t, name)).sum()
                    if self.alpha > 0:
                        rows, cols = t.interior(self.content_layer, height, width)
                        diff = feats[self.content_layer][..., rows, cols].float() - self._content_slice(t)
                        surrogate = surrogate + self.alpha * self._content_inv * diff.pow(2).sum()
                return surrogate, box

            with torch.enable_grad():  # the loss is scaled in there: under no_grad its backward would not reach
                grad[..., t.by0 : t.by1, t.bx0 : t.bx1] += scaler.scaled_gradient(share)
        # The smoothness term is pixel-level: banded, so that its differences
        # never take several copies of a print-size picture.
        tv = banded_tv_energy(picture, grad, self.tv_weight * self._tv_inv) * self._tv_inv
        total = self.alpha * content + self.beta * style + self.tv_weight * tv
        return total, torch.stack([content, style, tv, total]), grad


@dataclass(frozen=True, eq=False)
class _LayerParts:
    """The Grams one layer's style term matches, P of them: the whole picture's (P = 1), or one per live region."""

    guides: torch.Tensor | None  # (K, h, w) guide stack at the layer's full size; None: every position, weight 1
    index: list[int]  # the guides of the P Grams
    targets: torch.Tensor  # (P, C, C)
    inv: torch.Tensor  # (P,) 1 / each target's energy
    mass: torch.Tensor  # (P,) the positions' total weight: their count, or the guide's sum
    factor: torch.Tensor | float  # (P,) layer weight, times region strength and area share with regions


__all__ = ["ALIGN", "Tile", "TiledObjective", "halo_for", "plan_tiles", "reach", "stride"]
