"""The style term with regions: guided Grams (Gatys et al. 2017, section 3.1), soft edges without a seam.

Each region r has a guide t_r (its mask, 0-1 per pixel) brought down to each
layer's resolution by area averaging, which is the paper's "simply
downsampled" guidance. Its Gram at layer l is a weighted mean over positions,

    G_rl = sum_p g(p) f_p f_p^T / sum_p g(p),    g = t_r at layer l,

and the style term is

    style = sum_l w_l sum_r s_r a_rl ||G_rl - A_rl||^2 / ||A_rl||^2,    a_rl = mean_p g(p),

where A_rl is the target Gram of the region's painting (or of the part of it
that its style mask covers) and s_r its strength. With one region covering
everything this is exactly the plain style term of ``engine.objective.scale_objective``.

This differs from the paper in two ways, and both are what keeps a soft edge
from showing a seam (``tests/benchmarks/bench_region_seam.py`` measures it):

- The paper multiplies the features by the guide, so a pixel's weight in a
  region's Gram, and in the gradient it receives, is t^2. Where two regions
  fade into each other (t_a + t_b = 1), t_a^2 + t_b^2 drops to 1/2 at the
  middle of the fade: the band there gets half the style of either side and
  shows as a strip of photo. This is the band that neural-style-pt's users
  report with soft masks. We weight by t itself, so the weights of all
  regions add up to 1 at every pixel, in the band as much as inside.
- Each region's error is weighted by its area share a_rl. Summing the
  regions' errors unweighted (as ports of the paper do) gives a small
  region many times the style per pixel of a large one, so a thin region or
  the thin end of a fade is over-painted.

Overlapping masks share a pixel in proportion; the part of a pixel no mask
covers is the "outside" region, which gets the picture's own style (or none,
if the artist chose the photo there).

The same weights g guide the other texture statistics
(``engine.objective.texture_statistics``): W2 takes each region's weighted
mean and covariance, sliced its weighted quantiles; the error of each region
is weighted by s_r a_rl as above.

Faces (Keep faces, ``engine.pictures.faces``) are the exception: a face
region that takes the picture's own style is not a region of its own but a
part of the picture's statistic, with two weights per pixel (``join_faces``):

- in the statistic, c = (1 + s) / 2 of a pixel (FACE_SHARE at s = 0), so a
  face still counts in the picture's texture and the rest of the picture
  makes up for part of what the face holds back;
- in the gradient, s: the face is pushed towards the painting at its
  strength only. The loss is evaluated on features f' = att f + (1 - att)
  stop_gradient(f), att = (gradient weight) / (statistic weight), which has
  the same value and a gradient scaled by att at each position.

A face as a region of its own had to hold the whole painting's statistics by
itself: at low strength that gave faces the painting's palette as a cast (a
user's trial saw Grace Hopper's face go blue-grey under The Starry Night).
And the rest of the picture, matched on its own, was painted less than
without the face, where the face, resisting the style, made the picture's
statistic push harder everywhere: on Eileen Collins after a stained glass
the style error away from her face was 12-15 % above the run without Keep
faces. Counting the face in full (c = 1) over-paints the rest instead, 11 %
over on Grace Hopper, whose face is a quarter of the picture; half-way
(FACE_SHARE 0.5) was within 5 % on every portrait measured
(``tests/benchmarks/bench_keep_faces.py``, docs/regions.md). At s = 1 both
weights are 1: a face region at full strength is exactly the plain term.

Not a gradient of one function, where att < 1 (the stop-gradient's
deviation): L-BFGS still steps along it as along any descent direction, and
the value it reports is the joined statistic's error.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .loss_terms import _Gram

# The exponent of the guide in a pixel's weight: 1 is ours, 2 the paper's.
# Kept as a module value so that the seam benchmark can measure the paper's.
GUIDE_POWER = 1.0
MIN_MASS = 1e-6  # a region with less coverage than this at a layer adds nothing there
# A face's weight in the picture's statistic at strength 0 (the module's note): 0 is a face left out of the
# picture's texture, 1 a face the rest of the picture makes up for in full.
FACE_SHARE = 0.5


def normalise_guides(masks: torch.Tensor, outside: bool) -> torch.Tensor:
    """(R, H, W) masks in 0-1 as guides whose sum is at most 1 per pixel, plus the outside guide if ``outside``.

    Overlapping masks share the pixel in proportion to their values; the
    outside guide is what no mask covers.
    """
    total = masks.sum(0, keepdim=True)
    guides = masks / total.clamp_min(1.0)
    if outside:
        guides = torch.cat([guides, (1.0 - total).clamp_(0.0, 1.0)])
    return guides


def join_faces(guides: torch.Tensor, faces: list[tuple[int, float]], outside: int) -> torch.Tensor:
    """The guide stack with two more planes: the picture's statistic weights over the outside and the faces
    (``faces``: guide index and strength), and their gradient weights (the module's note on faces)."""
    statistic, gradient = guides[outside].clone(), guides[outside].clone()
    for index, strength in faces:
        statistic += (FACE_SHARE + (1.0 - FACE_SHARE) * strength) * guides[index]
        gradient += strength * guides[index]
    return torch.cat([guides, statistic.unsqueeze(0), gradient.unsqueeze(0)])


def attenuation(statistic: torch.Tensor, gradient: torch.Tensor) -> torch.Tensor:
    """Per position, the gradient weight over the statistic weight (0 where neither weighs): at most 1."""
    return torch.where(statistic > 0, gradient / statistic.clamp_min(1e-12), torch.zeros_like(statistic)).clamp(0, 1)


def held_back(features: torch.Tensor, att: torch.Tensor) -> torch.Tensor:
    """``features`` with the same values and a gradient scaled by ``att`` (h*w,) at each position.

    In float32, as the statistics take them: in bfloat16, att f + (1 - att) f would round away from f."""
    features = features.float()
    att = att.view(1, 1, *features.shape[-2:])
    return features * att + features.detach() * (1 - att)


def guide_at(guides: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(K, H, W) guides averaged down to a layer's (h, w), flattened to (K, h*w), to the power ``GUIDE_POWER``."""
    low = F.adaptive_avg_pool2d(guides.unsqueeze(0), size).squeeze(0)
    return low.flatten(1).pow(GUIDE_POWER)


def guided_grams(features: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per guide, the weighted mean Gram of (1, C, h, w) features: (K, C, C), and each guide's mass (K,)."""
    c = features.shape[1]
    flat = features.reshape(1, c, -1).float()
    mass = weights.sum(1)
    weighted = flat * weights.sqrt().unsqueeze(1)
    grams = _Gram.apply(weighted) / mass.clamp_min(MIN_MASS).view(-1, 1, 1)
    return grams, mass


@dataclass(frozen=True)
class GuidedTerm:
    """One region's share of the style term: which guide, how strong, what Grams to match per layer."""

    guide: int  # index into the guide stack
    strength: float
    targets: dict  # layer -> the statistic's target (``engine.objective.texture_statistics``)
    # The guide whose weights the gradient takes instead, where they differ from the statistic's (faces
    # joined to the picture's statistic); None: the same.
    gradient_guide: int | None = None


class RegionStyle:
    """The style term over regions, for one scale: guides fixed until ``set_guides``, targets until rebuilt.

    ``statistic`` is the run's texture statistic; each region's error is that
    statistic of its guided features: weighted moments for Gram and W2,
    weighted quantiles for sliced, the weights being the guide.
    """

    def __init__(self, terms: list[GuidedTerm], guides: torch.Tensor, statistic) -> None:
        self.terms = terms
        self.statistic = statistic
        self.set_guides(guides)

    def set_guides(self, guides: torch.Tensor) -> None:
        """A new guide stack (K, H, W) at the canvas's size: a brush stroke, or a new scale."""
        self._guides = guides
        self._at: dict[tuple[int, int], tuple[torch.Tensor, list[float]]] = {}
        self._held: dict[tuple[tuple[int, int], int], torch.Tensor] = {}

    def weights_at(self, size: tuple[int, int]) -> tuple[torch.Tensor, list[float]]:
        """The guides at a layer's (h, w) as (K, h*w), and each one's mass there (read once, not every step)."""
        if size not in self._at:
            weights = guide_at(self._guides, size)
            self._at[size] = weights, weights.sum(1).tolist()
        return self._at[size]

    def held_at(self, size: tuple[int, int], term: GuidedTerm) -> torch.Tensor | None:
        """A joined face's share of the gradient at each of a layer's positions (h*w,), None for other terms
        (read once per guide stack, not every step)."""
        if term.gradient_guide is None:
            return None
        key = (size, term.guide)
        if key not in self._held:
            weights, _ = self.weights_at(size)
            self._held[key] = attenuation(weights[term.guide], weights[term.gradient_guide])
        return self._held[key]

    def live(self, masses: list[float]) -> list[GuidedTerm]:
        """The terms that count at a layer whose guide masses are ``masses``."""
        return [t for t in self.terms if masses[t.guide] > MIN_MASS and t.strength > 0]

    def loss(self, feats: dict[str, torch.Tensor], layer_weights: dict[str, float]) -> torch.Tensor:
        """sum_l w_l sum_r s_r a_rl error_rl, over the layers that have a weight (error: the statistic's)."""
        style = None
        for name, weight in layer_weights.items():
            f = feats[name]
            weights, masses = self.weights_at(tuple(f.shape[-2:]))
            live = self.live(masses)
            if not live:
                continue
            plain = [t for t in live if t.gradient_guide is None]
            errors = {}
            if plain:
                found = self.statistic.errors(
                    name, f, weights[[t.guide for t in plain]], [t.targets[name] for t in plain]
                )
                errors = {id(t): found[k] for k, t in enumerate(plain)}
            for term in live:
                share = self.held_at(tuple(f.shape[-2:]), term)
                if share is not None:
                    held = held_back(f, share)
                    errors[id(term)] = self.statistic.errors(name, held, weights[[term.guide]], [term.targets[name]])[0]
            for term in live:
                share = masses[term.guide] / weights.shape[1]
                part = weight * term.strength * share * errors[id(term)]
                style = part if style is None else style + part
        return style if style is not None else next(iter(feats.values())).new_zeros((), dtype=torch.float32)


def guided_summaries(statistic, feats: dict[str, torch.Tensor], mask: torch.Tensor | None) -> dict:
    """A painting's summaries (``engine.objective.texture_statistics``) per layer, over the part its
    (1, H, W) ``mask`` covers (None: all of it)."""
    out = {}
    for name, f in feats.items():
        weights = None if mask is None else guide_at(mask, tuple(f.shape[-2:]))
        out[name] = statistic.summary(name, f, weights)
    return out


def opaque_part(coverage, index: int) -> torch.Tensor | None:
    """Painting ``index``'s coverage (1, H, W) among ``coverage`` (one per painting, or none given), or None
    where all of it is opaque: a painting's transparent pixels are no part of its style."""
    return coverage[index] if index < len(coverage) else None
