"""The loss at one scale: targets computed once, weights that can change every step."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import torch

from ..network.layers import deepest
from ..network.vgg19 import FeatureExtractor
from ..settings.style_params import StyleParams
from .guided_gram import GuidedTerm, RegionStyle, guided_targets, normalise_guides, opaque_part, target_pair
from .loss_terms import LossTerms, gram_matrix, inverse_energy, relative_error, tv_energy


def blend_targets(grams: list[dict[str, torch.Tensor]], blend, layers) -> dict[str, tuple]:
    """Per layer, the blend of the paintings' Grams and 1 / its energy (Gatys et al. 2016, section 3.4)."""
    out = {}
    for name in layers:
        target = sum(w * g[name] for w, g in zip(blend, grams, strict=True))
        out[name] = (target, inverse_energy(target))
    return out


class StyleTargets:
    """What ``Objective`` and ``TiledObjective`` share: mixing the paintings' Grams into targets, per region.

    Needs ``_grams`` (per painting, layer -> Gram), ``_masked_grams`` (region
    -> layer -> Gram of its part of its painting), ``style_layers`` and
    ``_masks``; keeps ``_style`` (layer -> (target, 1 / its energy)) and
    ``_regions`` up to date.
    """

    _masks: torch.Tensor | None = None
    _regions: RegionStyle | None = None
    _mix_key: tuple | None = None

    def set_guides(self, masks: torch.Tensor | None, params: StyleParams) -> None:
        """The regions' masks at this scale's canvas size, (R, H, W) in 0-1, one per region; None without regions."""
        self._masks = masks
        self._mix_key = None
        self._mix(params)

    def _mix(self, params: StyleParams) -> None:
        blend = tuple(params.blend_weights(len(self._grams)))
        key = (blend, params.regions, params.outside_regions, self._masks is not None)
        if key == self._mix_key:
            return
        if self._mix_key is None or blend != self._mix_key[0]:
            self._style = blend_targets(self._grams, blend, self.style_layers)
        self._mix_key = key
        self._regions = self._region_style(params, list(blend)) if params.regions and self._masks is not None else None

    def _region_style(self, params: StyleParams, blend: list[float]) -> RegionStyle:
        """Each region's guided term: its own blend of the paintings' Grams, or its part of one painting."""
        count = len(params.regions)
        guides = normalise_guides(self._masks, outside=True)
        terms = []
        for i, region in enumerate(params.regions):
            if region.photo_only:
                continue
            if i in self._masked_grams:
                grams = self._masked_grams[i]
            else:
                weights = region.blend_weights(len(self._grams), blend)
                grams = {
                    name: sum(w * g[name] for w, g in zip(weights, self._grams, strict=True))
                    for name in self.style_layers
                }
            terms.append(GuidedTerm(i, region.strength, {name: target_pair(g) for name, g in grams.items()}))
        if params.outside_regions == "style":
            terms.append(GuidedTerm(count, 1.0, self._style))
        return RegionStyle(terms, guides)


class Objective(StyleTargets):
    """alpha * content + beta * style + tv_weight * tv for one content image and its styles at one size.

    The content features, the style Grams and their norms are computed here once
    (per scale), never in the step loop. Every style layer the parameters list is
    given a target, including those at weight 0, so that moving a layer's slider
    up from 0 later needs no new targets. With several style images the target
    of each layer is the blend of their Grams (Gatys et al. 2016, section 3.4,
    mix two styles the same way), and new blend weights only re-mix them.

    With regions (``params.regions``), the style term is taken per region over
    guided features instead (``engine.objective.guided_gram``): ``set_guides`` gives the
    masks, and ``set_styles``'s ``style_masks`` the parts of the paintings
    that regions take their style from.
    """

    def __init__(
        self,
        extractor: FeatureExtractor,
        content: torch.Tensor,
        styles: torch.Tensor | list[torch.Tensor],
        params: StyleParams,
        *,
        masks: torch.Tensor | None = None,
        style_masks: dict[int, tuple[int, torch.Tensor]] | None = None,
        coverage: Sequence[torch.Tensor | None] = (),
    ) -> None:
        self.extractor = extractor
        self.content_layer = params.content_layer
        self._take_content(content)
        self._masks: torch.Tensor | None = None
        self._regions: RegionStyle | None = None
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
        """New style images, or new style layers, at this scale: every layer ``params`` lists gets a target.

        ``style_masks`` maps a region's index to (painting index, (1, H, W)
        mask at that painting's size): the region's targets are then the
        Grams of that part of the painting only. ``coverage`` gives, per
        painting, how opaque each of its pixels is ((1, H, W), or None where
        all are): its targets are the Grams of its opaque part.
        """
        if isinstance(styles, torch.Tensor):
            styles = [styles]
        # The layers come from the parameters every time, not from when the
        # objective was built: a layer added mid-run needs its own target.
        self.style_layers = tuple(name for name, _ in params.style_layers)
        self._grams: list[dict[str, torch.Tensor]] = []
        with torch.no_grad():
            for index, style in enumerate(styles):
                feats = self.extractor(style, self.style_layers) if self.style_layers else {}
                opaque = opaque_part(coverage, index)
                if opaque is None:
                    self._grams.append({name: gram_matrix(f) for name, f in feats.items()})
                else:
                    self._grams.append(guided_targets(feats, opaque))
            self._masked_grams: dict[int, dict[str, torch.Tensor]] = {}
            for region, (index, mask) in (style_masks or {}).items():
                feats = self.extractor(styles[index], self.style_layers) if self.style_layers else {}
                opaque = opaque_part(coverage, index)
                self._masked_grams[region] = guided_targets(feats, mask if opaque is None else mask * opaque)
        self._mix_key: tuple | None = None
        self._mix(params)

    def set_weights(self, params: StyleParams) -> None:
        """Adopt new alpha, beta, layer, blend and tv weights (same layers, same images).

        A layer that ``set_styles`` gave no target is a ``ValueError``: call
        ``set_styles`` first when the parameters list new layers.
        """
        missing = [name for name, w in params.style_layers if w > 0 and name not in self.style_layers]
        if missing:
            raise ValueError(f"style layers {missing} have no target; call set_styles with these parameters first")
        self._mix(params)
        self.alpha = params.alpha
        self.beta = params.beta
        self.tv_weight = params.tv_weight
        self.layer_weights = {name: w for name, w in params.style_layers if w > 0} if params.beta > 0 else {}
        taps = set(self.layer_weights)
        if self.alpha > 0:
            taps.add(self.content_layer)
        self.taps = frozenset(taps)

    @property
    def depth(self) -> str | None:
        """The deepest layer a step has to compute."""
        return deepest(self.taps) if self.taps else None

    def __call__(self, picture: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The total loss (for backward) and a stacked [content, style, tv, total] for reporting."""
        feats = self.extractor(picture, self.taps) if self.taps else {}
        zero = picture.new_zeros(())
        content = zero
        if self.content_layer in feats:
            target, inv = self._content
            content = relative_error(feats[self.content_layer], target, inv)
        style = zero
        if self._regions is not None:
            style = self._regions.loss(feats, self.layer_weights) if self.layer_weights else zero
        else:
            for name, weight in self.layer_weights.items():
                target, inv = self._style[name]
                style = style + weight * relative_error(gram_matrix(feats[name]), target, inv)
        tv = tv_energy(picture) * self._tv_inv
        total = self.alpha * content + self.beta * style + self.tv_weight * tv
        return total, torch.stack([content, style, tv, total]).detach()

    def _take_content(self, content: torch.Tensor) -> None:
        """The photo's content target and its smoothness, at this objective's size."""
        with torch.no_grad():
            target = self.extractor(content, {self.content_layer})[self.content_layer].float()
            self._content = (target, inverse_energy(target))
            self._tv_inv = 1.0 / tv_energy(content).clamp_min(1e-6)

    def for_square(self, content: torch.Tensor, masks: torch.Tensor | None, params: StyleParams) -> Objective:
        """This objective on a square of the picture (``engine.run.loupe``): the paintings' targets taken over,
        the square's own photo ``content`` (network input) and region ``masks``.

        Taking the targets over costs nothing; building them anew costs a pass of the network over every
        painting, which was three quarters of a loupe's first second at 512 px on an AVX2 CPU (0.98 s).
        """
        square = copy.copy(self)
        # Containers of its own (the tensors in them are only read), so that re-mixing or restyling the
        # square's objective never touches this one's.
        square.__dict__.update({k: v.copy() for k, v in self.__dict__.items() if isinstance(v, dict | list)})
        square._take_content(content)
        square.set_guides(masks, params)
        square.set_weights(params)
        return square

    def terms(self, values: list[float]) -> LossTerms:
        """Reported terms; a term that is switched off reads as NaN, not as a perfect 0."""
        content, style, tv, total = values
        return LossTerms(
            content=content if self.alpha > 0 else math.nan,
            style=style if self.layer_weights else math.nan,
            tv=tv,
            total=total,
        )
