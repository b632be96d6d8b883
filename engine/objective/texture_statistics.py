"""The texture statistic the style term matches: Gram matrices, mean and covariance (W2), or sliced Wasserstein.

Each statistic summarises a painting's features at a layer once per scale
(``summary``), mixes several paintings' summaries for a blend (``mix``),
turns a summary into a target with what the error needs precomputed
(``target``), and gives the error of the picture's features against targets,
one per guide (``errors``: the whole picture, or one weighted part of it per
region). Every error is relative, as in ``engine.objective.loss_terms``: 0 for
a match, about 1 for "nothing in common", the same at every size.

- ``gram`` (Gatys et al. 2016): ||G - A||^2 / ||A||^2, G = E[f f^T].
- ``w2`` (the features as a Gaussian; after crowsonkb/style-transfer-pytorch):
  (||mu - mu_t||^2 + tr(S + S_t - 2 (R S R)^1/2)) / (||mu_t||^2 + tr S_t),
  R = S_t^1/2, both covariances with eps I added (see ``W2_EPS``).
- ``sliced`` (Heitz et al. 2021): along K = C random orthonormal directions v,
  the mean squared difference of the sorted projections v^T f from the
  target's quantiles at the same levels, over the target's mean squared
  projection.

Gram and W2 are functions of the moments sum g, sum g f and sum g f f^T, so
weighted (regions), blended and tiled versions are exact: see
``engine.objective.tiled_objective``. The mathematics and the deviations are
in docs/objective.md.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..network.layers import layer_channels, layer_index
from .loss_terms import _Gram, inverse_energy

# Each statistic's error is multiplied by this, so that the default beta = 10 and
# the default layer weights paint a picture about as styled with each statistic
# as with Gram matrices: as far from the photo at conv4_2 at the end of a default
# 256 px run (docs/objective.md, "Texture statistics": the four pairs that set them).
# At 1, w2 moved 17-31 % further from the photo than gram and lost the coffee cup's
# rim to The Great Wave; sliced errors are the smallest (along K directions they see
# less of a difference than W2's full covariance, and far less than a Gram's squared
# second moments).
STYLE_SCALE = {"gram": 1.0, "w2": 0.55, "sliced": 3.5}
# eps = W2_EPS x the target covariance's mean eigenvalue, added to both covariances: the W2 distance between
# the two Gaussians each widened by the same small isotropic one. Still 0 at a match; without it the
# square root's gradient is unbounded where the picture's covariance is singular (a deep layer of a small
# picture has fewer positions than channels).
W2_EPS = 1e-4
# At most this many quantile levels per direction in a sliced target (64 x 16384 floats at conv1_1).
MAX_LEVELS = 16384
# Directions sorted at once (targets, steps, tiled steps): the sort's indices and what is read through them
# are several times the projections' size, which at print size is gigabytes for all directions together.
SORT_CHUNK = 16


# -- moments: what Gram and W2 are made of -----------------------------------------------------------------


class Moments(NamedTuple):
    """E[f] (C,) and E[f f^T] (C, C) over a painting's positions (weighted where a guide says), float32."""

    mean: torch.Tensor
    second: torch.Tensor


def weighted_moments(
    features: torch.Tensor, weights: torch.Tensor | None, with_mean: bool = True
) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Per guide, the weighted means (P, C) and second moments (P, C, C) of (1, C, h, w) features.

    ``weights`` (P, h*w), or None for every position at weight 1 (P = 1).
    Second moments by ``_Gram`` (one matrix product backwards), as the Gram
    term always was; weights as sqrt(g) on both factors, as in ``guided_gram``.
    Without ``with_mean`` the means are None (the Gram term does not use them).
    """
    c = features.shape[1]
    flat = features.reshape(1, c, -1).float()
    if weights is None:
        count = flat.shape[-1]
        return (flat.mean(-1) if with_mean else None), _Gram.apply(flat).div_(count)
    mass = weights.sum(1).clamp_min(1e-6)
    second = _Gram.apply(flat * weights.sqrt().unsqueeze(1)) / mass.view(-1, 1, 1)
    mean = (weights @ flat[0].transpose(0, 1)) / mass.view(-1, 1) if with_mean else None
    return mean, second


class GramTarget(NamedTuple):
    gram: torch.Tensor  # (C, C)
    inv: torch.Tensor  # STYLE_SCALE / ||gram||^2


class W2Target(NamedTuple):
    mean: torch.Tensor  # (C,)
    cov: torch.Tensor  # (C, C), eps I included
    root: torch.Tensor  # (C, C) float64: cov^1/2, once per target
    eps: float
    inv: torch.Tensor  # STYLE_SCALE / (||mean||^2 + tr cov without eps)


class MomentStatistic:
    """Gram or W2: both are functions of the features' first and second moments."""

    moments = True
    uses_mean = False
    name = ""

    def summary(self, layer: str, features: torch.Tensor, weights: torch.Tensor | None = None) -> Moments:
        """A painting's (1, C, h, w) features at ``layer``, weighted by ``weights`` (h*w,) if given."""
        mean, second = weighted_moments(features, None if weights is None else weights.reshape(1, -1))
        return Moments(mean[0], second[0])

    def summary_of_sums(self, count: torch.Tensor, first: torch.Tensor, second: torch.Tensor) -> Moments:
        """The same from sums over tiles: sum g, sum g f (C,), sum g f f^T (C, C)."""
        mass = count.clamp_min(1e-6)
        return Moments(first / mass, second / mass)

    def mix(self, summaries: list[Moments], weights: list[float]) -> Moments:
        """A blend's moments: the mixture's, the weighted mean of each moment."""
        return Moments(
            sum(w * s.mean for w, s in zip(weights, summaries, strict=True)),
            sum(w * s.second for w, s in zip(weights, summaries, strict=True)),
        )

    def errors(self, layer: str, features: torch.Tensor, weights: torch.Tensor | None, targets: list) -> torch.Tensor:
        """The picture's error against each target, (P,), one guide each (``weights`` (P, h*w)) or the whole."""
        mean, second = weighted_moments(features, weights, self.uses_mean)
        return self.moment_errors(mean, second, targets)

    def moment_errors(self, mean: torch.Tensor, second: torch.Tensor, targets: list) -> torch.Tensor:
        raise NotImplementedError


class GramStatistic(MomentStatistic):
    """Gatys et al. 2016: the Gram matrix G = E[f f^T], error ||G - A||^2 / ||A||^2."""

    name = "gram"

    def target(self, layer: str, summary: Moments) -> GramTarget:
        return GramTarget(summary.second, inverse_energy(summary.second) * STYLE_SCALE["gram"])

    def moment_errors(self, mean: torch.Tensor, second: torch.Tensor, targets: list) -> torch.Tensor:
        grams = torch.stack([t.gram for t in targets])
        inv = torch.stack([t.inv.reshape(()) for t in targets])
        return (second - grams).pow(2).sum((1, 2)) * inv


def _float64(matrix: torch.Tensor) -> torch.Tensor:
    """``matrix`` in float64 for an eigendecomposition: on the CPU where the device has no float64 (MPS)."""
    if matrix.device.type == "mps":
        return matrix.to("cpu", torch.float64)
    return matrix.to(torch.float64)


def _eigh(matrix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues and vectors of a symmetric float64 matrix, never an exception.

    A picture gone non-finite gives NaN (the run keeps its best picture, as for
    any NaN loss) rather than LAPACK's error; a decomposition that does not
    converge is tried once more with a trace-relative jitter on the diagonal.
    """
    matrix = (matrix + matrix.transpose(-1, -2)) / 2
    if not torch.isfinite(matrix).all():
        size = matrix.shape[-1]
        return matrix.new_full((size,), torch.nan), torch.eye(size, dtype=matrix.dtype, device=matrix.device)
    try:
        return torch.linalg.eigh(matrix)
    except torch.linalg.LinAlgError:
        size = matrix.shape[-1]
        jitter = 1e-10 * float(torch.diagonal(matrix).abs().sum()) / size + 1e-30
        return torch.linalg.eigh(matrix + jitter * torch.eye(size, dtype=matrix.dtype, device=matrix.device))


def sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    """The square root of a symmetric positive semi-definite matrix, by its eigendecomposition, float64."""
    values, vectors = _eigh(_float64(matrix))
    return (vectors * values.clamp_min(0).sqrt().unsqueeze(-2)) @ vectors.transpose(-1, -2)


class _RootTrace(torch.autograd.Function):
    """tr((R S R)^1/2) for a fixed R, with d/dS = 1/2 R (R S R)^-1/2 R.

    By an eigendecomposition of R S R in float64, once per step and layer: the
    covariances of VGG features span five to eight orders of magnitude (or are
    singular, where a layer has fewer positions than channels), where
    Newton-Schulz iterations would need 20 to 30 to converge on the small
    eigenvalues, three C x C products each: more than one eigendecomposition
    costs on a CPU (docs/objective.md has the figures). The eps I in both
    covariances keeps every eigenvalue of R S R at least eps^2.
    """

    @staticmethod
    def forward(ctx, cov: torch.Tensor, root: torch.Tensor, floor: float) -> torch.Tensor:
        values, vectors = _eigh(root @ _float64(cov) @ root)
        values = values.clamp_min(floor)
        ctx.save_for_backward(root, values, vectors)
        ctx.device = cov.device
        return values.sqrt().sum().to(cov.device, torch.float32)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        root, values, vectors = ctx.saved_tensors
        inverse_root = (vectors * values.rsqrt().unsqueeze(0)) @ vectors.transpose(0, 1)
        d = 0.5 * root @ inverse_root @ root
        return d.to(ctx.device, torch.float32) * grad, None, None


class W2Statistic(MomentStatistic):
    """Mean and covariance: the Wasserstein-2 distance between the Gaussians fitted to the features."""

    name = "w2"
    uses_mean = True

    def target(self, layer: str, summary: Moments) -> W2Target:
        mean, second = summary
        cov = second - torch.outer(mean, mean)
        c = cov.shape[0]
        eps = W2_EPS * max(float(torch.diagonal(cov).sum()) / c, 1e-12)
        cov = cov + eps * torch.eye(c, device=cov.device)
        energy = torch.diagonal(second).sum().clamp_min(1e-12)
        return W2Target(mean, cov, sqrtm_psd(cov), eps, STYLE_SCALE["w2"] / energy)

    def moment_errors(self, mean: torch.Tensor, second: torch.Tensor, targets: list) -> torch.Tensor:
        out = []
        for p, t in enumerate(targets):
            cov = second[p] - torch.outer(mean[p], mean[p])
            cov = cov + t.eps * torch.eye(cov.shape[0], device=cov.device)
            cross = _RootTrace.apply(cov, t.root, 0.5 * t.eps**2)
            distance = (mean[p] - t.mean).pow(2).sum() + torch.diagonal(cov).sum() + torch.diagonal(t.cov).sum()
            out.append((distance - 2 * cross) * t.inv)
        return torch.stack(out)


# -- sliced Wasserstein ------------------------------------------------------------------------------------


class Quantiles(NamedTuple):
    """A painting's projections along a layer's directions as quantiles: (K, Q) at levels (j + 1/2) / Q."""

    table: torch.Tensor


class SlicedTarget(NamedTuple):
    table: torch.Tensor  # (K, Q)
    inv: torch.Tensor  # STYLE_SCALE / the mean squared projection


def quantile_table(
    values: torch.Tensor, weights: torch.Tensor | None = None, levels: int | None = None
) -> torch.Tensor:
    """(K, N) samples per row, each weighted by ``weights`` (N,) (None: equally), as (K, Q) quantiles.

    The quantile function of the weighted samples, read at the levels
    (j + 1/2) / Q: the sample whose share of the weight, counted from the
    smallest, first passes the level. Without weights and with N <= Q this is
    the sorted samples themselves; samples of weight 0 are never read.
    """
    count = values.shape[1]
    if weights is None:
        levels = levels or min(count, MAX_LEVELS)
        if levels == count:
            return torch.cat([chunk.sort(dim=1).values for chunk in values.split(SORT_CHUNK)])
        weights = values.new_ones(count)
    else:
        levels = levels or max(1, min(int((weights > 0).sum()), MAX_LEVELS))
    at = (torch.arange(levels, device=values.device, dtype=torch.float32) + 0.5) / levels
    out = []
    # A few rows at a time: a painting at print size has millions of positions, and the sort's indices
    # and the weights' sums are three times the rows' size.
    for chunk in values.split(SORT_CHUNK):
        ordered, index = chunk.sort(dim=1)
        cumulative = weights[index].cumsum(1)
        cumulative = cumulative / cumulative[:, -1:].clamp_min(1e-12)
        pick = torch.searchsorted(cumulative, at.expand(len(chunk), -1).contiguous(), right=True)
        out.append(ordered.gather(1, pick.clamp_max(count - 1)))
    return torch.cat(out)


def read_quantiles(table: torch.Tensor, at: torch.Tensor) -> torch.Tensor:
    """A (K, Q) table read at levels ``at`` (K, N) in [0, 1], linearly between its levels, held at its ends."""
    q = table.shape[1]
    position = (at * q - 0.5).clamp(0, q - 1)
    low = position.floor().long()
    high = (low + 1).clamp_max(q - 1)
    share = position - low
    return table.gather(1, low) * (1 - share) + table.gather(1, high) * share


def assigned_targets(
    projections: torch.Tensor, weights: torch.Tensor | None, tables: list[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each position's target value per guide, (P, K, N) in the positions' own order, and the normalised weights.

    The positions are sorted along each direction; a position whose weights
    before it (in that order) add up to c and whose own weight is w is matched to
    the target's quantile at (c + w / 2) / sum w, the middle of its share. Without
    weights the i-th smallest of N is matched to the level (i + 1/2) / N. The
    matching is piecewise constant in the projections, so the gradient of
    sum w (x - target)^2 treats it as fixed, which is exact almost everywhere.
    """
    k, n = projections.shape
    if weights is None:
        weights = projections.new_full((1, n), 1.0)
    shares = weights / weights.sum(1, keepdim=True).clamp_min(1e-12)
    out = projections.new_empty((len(tables), k, n))
    # A few directions at a time: the sort's indices and the reading's temporaries are some 15 times the
    # projections' size (about 1 GB at conv1_1 of a 1024 px picture, all at once).
    for start in range(0, k, SORT_CHUNK):
        rows = slice(start, start + SORT_CHUNK)
        ordered_index = projections[rows].sort(dim=1).indices
        for p, table in enumerate(tables):
            mass = shares[min(p, len(shares) - 1)][ordered_index]
            middle = mass.cumsum(1) - mass / 2
            out[p, rows].scatter_(1, ordered_index, read_quantiles(table[rows], middle))
    return out, shares


class SlicedStatistic:
    """Heitz et al. 2021: the features' distribution along K = C random orthonormal directions, by sorting.

    The directions are drawn once per layer from the run's seed and kept for
    the run (the paper draws new ones every step): L-BFGS needs the same
    objective from step to step, and a seed keeps a run reproducible.
    """

    moments = False
    uses_mean = False
    name = "sliced"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._directions: dict[tuple[str, int, torch.device], torch.Tensor] = {}

    def directions(self, layer: str, channels: int, device: torch.device) -> torch.Tensor:
        """(C, K) orthonormal directions for ``layer``: the Q of a Gaussian matrix's QR, signs fixed by R."""
        key = (layer, channels, device)
        if key not in self._directions:
            generator = torch.Generator().manual_seed(self.seed * 64 + layer_index(layer))
            gaussian = torch.randn(channels, channels, generator=generator, dtype=torch.float64)
            q, r = torch.linalg.qr(gaussian)
            q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
            self._directions[key] = q.to(device, torch.float32)
        return self._directions[key]

    def project(self, layer: str, features: torch.Tensor) -> torch.Tensor:
        """(1, C, h, w) features as (K, h*w) projections, float32."""
        c = features.shape[1]
        flat = features.reshape(c, -1).float()
        return self.directions(layer, c, flat.device).transpose(0, 1) @ flat

    def summary(self, layer: str, features: torch.Tensor, weights: torch.Tensor | None = None) -> Quantiles:
        return self.summary_of_projections(self.project(layer, features), weights)

    def summary_of_projections(self, projections: torch.Tensor, weights: torch.Tensor | None = None) -> Quantiles:
        return Quantiles(quantile_table(projections, None if weights is None else weights.reshape(-1)))

    def mix(self, summaries: list[Quantiles], weights: list[float]) -> Quantiles:
        """A blend's quantiles: the mixture's, the paintings' quantile levels pooled with their blend weights."""
        used = [(w, s.table) for w, s in zip(weights, summaries, strict=True) if w > 0]
        used = used or [(1.0, s.table) for s in summaries]
        if len(used) == 1:
            return Quantiles(used[0][1])
        pooled = torch.cat([table for _, table in used], dim=1)
        mass = torch.cat([table.new_full((table.shape[1],), w / table.shape[1]) for w, table in used])
        return Quantiles(quantile_table(pooled, mass, max(table.shape[1] for _, table in used)))

    def target(self, layer: str, summary: Quantiles) -> SlicedTarget:
        energy = summary.table.pow(2).mean().clamp_min(1e-12)
        return SlicedTarget(summary.table, STYLE_SCALE["sliced"] / energy)

    def errors(self, layer: str, features: torch.Tensor, weights: torch.Tensor | None, targets: list) -> torch.Tensor:
        """sum_k sum_i w_i (x_ki - target_ki)^2 / (K sum w) / the target's mean squared projection, per guide."""
        projections = self.project(layer, features)
        with torch.no_grad():
            assigned, shares = assigned_targets(projections.detach(), weights, [t.table for t in targets])
        k = projections.shape[0]
        out = []
        for p, t in enumerate(targets):
            share = shares[min(p, len(shares) - 1)]
            out.append(((projections - assigned[p]).pow(2) * share).sum() * (t.inv / k))
        return torch.stack(out)

    def gradient_of_projections(
        self,
        projections: torch.Tensor,
        weights: torch.Tensor | None,
        targets: list,
        factors: torch.Tensor,
        rows: slice,
        held: list[torch.Tensor | None] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """For directions ``rows`` of all K: (sum_p factor_p error_p over these rows, its gradient in them).

        A tiled step's second pass needs the gradient in each position's
        projection: 2 w (x - target) per guide, summed with the guides' factors.
        ``held``: per guide, None or each position's share of its gradient (a
        joined face's, ``engine.objective.guided_gram``).
        """
        k_total = targets[0].table.shape[0]
        tables = [t.table[rows] for t in targets]
        assigned, shares = assigned_targets(projections, weights, tables)
        value = projections.new_zeros(())
        gradient = torch.zeros_like(projections)
        for p, t in enumerate(targets):
            share = shares[min(p, len(shares) - 1)]
            scale = factors[p] * t.inv / k_total
            difference = projections - assigned[p]
            value = value + (difference.pow(2) * share).sum() * scale
            if held is not None and held[p] is not None:
                share = share * held[p]
            gradient += (2 * scale) * share * difference
        return value, gradient


def statistic_for(style_loss: str, seed: int = 0) -> GramStatistic | W2Statistic | SlicedStatistic:
    """The statistic a run's ``StyleParams.style_loss`` names (``seed`` draws the sliced directions)."""
    if style_loss == "w2":
        return W2Statistic()
    if style_loss == "sliced":
        return SlicedStatistic(seed)
    return GramStatistic()


def sliced_bytes_per_pixel(layers) -> int:
    """Bytes per canvas pixel a tiled sliced step keeps between its passes: every weighted layer's
    projections, float32 (K = C per position, C / stride^2 positions per pixel)."""
    return sum(4 * layer_channels(name) // (2 ** (int(name[4]) - 1)) ** 2 for name in layers)


__all__ = [
    "MAX_LEVELS",
    "STYLE_SCALE",
    "W2_EPS",
    "GramStatistic",
    "Moments",
    "SlicedStatistic",
    "W2Statistic",
    "sliced_bytes_per_pixel",
    "statistic_for",
]
