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
- The other texture statistics (``engine.objective.texture_statistics``)
  tile the same way. W2 is a function of the sums sum f and sum f f^T: pass 1
  sums both, autograd on those small sums gives dL/d(sum f) and
  dL/d(sum f f^T), and pass 2's surrogate adds <d1, sum f>. Sliced needs a
  global sort: pass 1 keeps every position's projections (K x N per layer,
  float32: 488 bytes per pixel with the default layers), sorts them a few
  directions at a time, and puts in their place beta x the error's gradient
  in each projection (2 w (x - target), w the position's share of the
  weight, times the term's factor); pass 2's surrogate is <that, V^T F_int>.
  Both are exact, as for Grams.

Memory is that of one tile's forward and backward pass, plus the picture,
its gradient and the content target's features at the content layer (and,
for sliced, the projections).
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
from .guided_gram import guide_at, opaque_part
from .loss_scaling import LossScaler
from .loss_terms import inverse_energy
from .scale_objective import Objective, StyleTargets
from .texture_statistics import SORT_CHUNK, statistic_for

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


def _first_sum(part: torch.Tensor, guides: torch.Tensor | None = None) -> torch.Tensor:
    """sum_p f_p over a tile's interior, float32: (1, C), or with (K, h, w) guides (K, C), sum_p g f."""
    flat = part.reshape(part.shape[1], -1).float()
    if guides is None:
        return flat.sum(1).unsqueeze(0)
    return guides.reshape(guides.shape[0], -1) @ flat.transpose(0, 1)


def _gather(into: dict, name: str, got: list[torch.Tensor], at: tuple[slice, slice] | None, dims) -> None:
    """Add a tile's sums to ``into[name]`` or, for projections (``at``: where the interior lies in the layer's
    map of ``dims``), put the interior's (K, n) in their place in a (K, h, w) map made on first use."""
    if at is None:
        into[name] = got if name not in into else [a + b for a, b in zip(into[name], got, strict=True)]
        return
    projections = got[0]
    if name not in into:
        into[name] = [projections.new_zeros((len(projections), *dims))]
    rows, cols = at
    into[name][0][:, rows, cols] = projections.view(len(projections), rows.stop - rows.start, cols.stop - cols.start)


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
        """New paintings, style layers or statistic: the paintings' summaries (of their opaque parts,
        ``Objective.set_styles``), and those of the regions' parts of them, tile by tile."""
        if isinstance(styles, torch.Tensor):
            styles = [styles]
        self.style_layers = tuple(name for name, _ in params.style_layers)
        self._statistic = statistic_for(params.style_loss, params.seed)
        self._summaries = [
            self._tiled_summaries(style, self.style_layers, opaque_part(coverage, i)) for i, style in enumerate(styles)
        ]
        masked = {}
        for region, (index, mask) in (style_masks or {}).items():
            opaque = opaque_part(coverage, index)
            part = mask if opaque is None else mask * opaque
            masked[region] = self._tiled_summaries(styles[index], self.style_layers, part)
        self._masked_summaries = masked
        self._targets = {}
        self._mix_key = None
        self._mix(params)

    def set_weights(self, params: StyleParams) -> None:
        """New alpha, beta, layer, blend and tv weights (same layers, same images, same statistic)."""
        self._check_statistic(params)
        self._mix(params)
        self.alpha, self.beta, self.tv_weight = params.alpha, params.beta, params.tv_weight
        self.layer_weights = {name: w for name, w in params.style_layers if w > 0} if params.beta > 0 else {}
        self.taps = set(self.layer_weights) | ({self.content_layer} if self.alpha > 0 else set())

    terms = Objective.terms  # reported the same way: a term switched off reads as NaN

    @torch.no_grad()
    def _tiled_summaries(self, image: torch.Tensor, layers, mask: torch.Tensor | None = None) -> dict:
        """The statistic's summaries of ``image`` at ``layers``, from tiles' interiors: moments summed over
        tiles, or (sliced) every position's projections gathered and then sorted.

        With a (1, H, W) ``mask`` they are those of the part it covers, as
        ``guided_gram.guided_summaries`` gives for a whole painting.
        """
        if not layers:
            return {}
        statistic = self._statistic
        height, width = image.shape[-2:]
        dims = {name: (height // stride(name), width // stride(name)) for name in layers}
        guides = {name: guide_at(mask, dims[name]).view(1, *dims[name]) for name in layers} if mask is not None else {}
        sums: dict[str, list] = {}
        for t in plan_tiles(height, width, self.tile, self.halo):
            feats = self.extractor(_box(image, t), set(layers))
            for name in layers:
                rows, cols = t.interior(name, height, width)
                at = t.positions(name, height, width)
                part = feats[name][..., rows, cols]
                guide = guides[name][(slice(None), *at)] if guides else None
                if statistic.moments:
                    _gather(sums, name, [_first_sum(part, guide)[0], _gram_sum(part, guide)[0]], None, dims[name])
                else:
                    _gather(sums, name, [statistic.project(name, part)], at, dims[name])
        out = {}
        for name, got in sums.items():
            weights = guides[name].reshape(-1) if guides else None
            if not statistic.moments:
                out[name] = statistic.summary_of_projections(got[0].flatten(1), weights)
                continue
            count = weights.sum() if weights is not None else torch.tensor(float(dims[name][0] * dims[name][1]))
            out[name] = statistic.summary_of_sums(count.to(got[0].device), *got)
        return out

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
        """Per style layer with a weight, the targets its term matches: the picture's, or each live region's."""
        height, width = self.size
        device = self._content_target.device
        out = {}
        for name, weight in self.layer_weights.items():
            h, w = height // stride(name), width // stride(name)
            if self._regions is None:
                count = torch.tensor([float(h * w)], device=device)
                out[name] = _LayerParts(
                    None, [], [], [None], [self._style[name]], count, torch.tensor([weight], device=device)
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
                [t.guide if t.gradient_guide is None else t.gradient_guide for t in live],
                [self._regions.held_at((h, w), t) for t in live],
                [t.targets[name] for t in live],
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
        statistic = self._statistic

        def interior(feats: dict[str, torch.Tensor], t: Tile, name: str, gradient: bool = False):
            """This tile's interior features at ``name`` and, with regions, the live guides there (P, h, w): the
            statistic's weights, or with ``gradient`` the gradient's (they differ for joined faces)."""
            rows, cols = t.interior(name, height, width)
            layer = parts[name]
            guides = None
            if layer.guides is not None:
                index = layer.gradient_index if gradient else layer.index
                guides = layer.guides[(slice(None), *t.positions(name, height, width))][index]
            return feats[name][..., rows, cols], guides

        def tile_sums(feats: dict[str, torch.Tensor], t: Tile, name: str, gradient: bool = False) -> list[torch.Tensor]:
            """This tile's sums, one per guide: sum g f f^T (P, C, C), and sum g f (P, C) where the statistic
            uses the mean; or (sliced) its interior's projections (K, n). With ``gradient``, g is the gradient's
            weights: the second pass's surrogate then has the held-back gradient of a joined face."""
            part, guides = interior(feats, t, name, gradient)
            if not statistic.moments:
                return [statistic.project(name, part)]
            sums = [_gram_sum(part, guides)]
            return [*sums, _first_sum(part, guides)] if statistic.uses_mean else sums

        # Pass 1: the global sums (or every position's projections) and the content error, no gradient.
        sums: dict[str, list[torch.Tensor]] = {}
        content = picture.new_zeros((), dtype=torch.float32)
        with torch.no_grad():
            for t in tiles:
                feats = self.extractor(_box(picture, t), self.taps) if self.taps else {}
                for name in parts:
                    got = tile_sums(feats, t, name)  # the sums, not the means, over this tile
                    at = None if statistic.moments else t.positions(name, height, width)
                    _gather(sums, name, got, at, (height // stride(name), width // stride(name)))
                if self.alpha > 0:
                    rows, cols = t.interior(self.content_layer, height, width)
                    diff = feats[self.content_layer][..., rows, cols].float() - self._content_slice(t)
                    content = content + diff.pow(2).sum()
        style = picture.new_zeros((), dtype=torch.float32)
        upstream = {}
        for name, layer in parts.items():
            if statistic.moments:
                # d(beta * sum_p factor_p error_p) / d(each sum), by autograd on the small C x C sums: with the
                # sums fixed, it is what the second pass needs, and it is the exact gradient (the module's note).
                leaves = [total.requires_grad_(True) for total in sums[name]]
                with torch.enable_grad():
                    second = leaves[0] / layer.mass.view(-1, 1, 1)
                    mean = leaves[1] / layer.mass.view(-1, 1) if statistic.uses_mean else None
                    weighted = (layer.factor * statistic.moment_errors(mean, second, layer.targets)).sum()
                    upstream[name] = torch.autograd.grad(self.beta * weighted, leaves)
                style = style + weighted.detach()
            else:
                style = style + self._sliced_upstream(sums[name][0], layer)
                upstream[name] = (sums[name][0],)  # overwritten with each projection's gradient
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
                        got = tile_sums(feats, t, name, gradient=True)
                        if not statistic.moments:
                            # <D, V^T F>: its gradient in F is V D, each position's exact share.
                            at = t.positions(name, height, width)
                            d = (d[0][(slice(None), *at)].reshape(len(got[0]), -1),)
                        # <D, sum g f f^T> = sum(D * F F^T); its gradient in F is (D + D^T) F, the exact one.
                        for upstream_part, tile_part in zip(d, got, strict=True):
                            surrogate = surrogate + (upstream_part * tile_part).sum()
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

    @torch.no_grad()
    def _sliced_upstream(self, projections: torch.Tensor, layer: _LayerParts) -> torch.Tensor:
        """A layer's sliced error from every position's projections (K, h, w), which are replaced, in place, by
        beta x the error's gradient in them. Sorted a few directions at a time: the sort's indices and the
        targets it assigns are several times the projections' size."""
        flat = projections.view(len(projections), -1)
        weights = layer.guides.reshape(layer.guides.shape[0], -1)[layer.index] if layer.guides is not None else None
        total = projections.new_zeros(())
        for start in range(0, len(flat), SORT_CHUNK):
            rows = slice(start, start + SORT_CHUNK)
            value, gradient = self._statistic.gradient_of_projections(
                flat[rows], weights, layer.targets, layer.factor, rows, layer.held
            )
            total += value
            flat[rows] = self.beta * gradient
        return total


@dataclass(frozen=True, eq=False)
class _LayerParts:
    """The targets one layer's style term matches, P of them: the whole picture's (P = 1), or one per live region."""

    guides: torch.Tensor | None  # (K, h, w) guide stack at the layer's full size; None: every position, weight 1
    index: list[int]  # the guides of the P targets
    gradient_index: list[int]  # the guides their gradients take (a joined face's differ: guided_gram's note)
    held: list  # per target, None or its share of the gradient at each position (a joined face's)
    targets: list  # P targets of the statistic (``engine.objective.texture_statistics``)
    mass: torch.Tensor  # (P,) the positions' total weight: their count, or the guide's sum
    factor: torch.Tensor  # (P,) layer weight, times region strength and area share with regions


__all__ = ["ALIGN", "Tile", "TiledObjective", "halo_for", "plan_tiles", "reach", "stride"]
