"""The loss at one scale: targets computed once, weights that can change every step."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import torch

from ..network.layers import deepest
from ..network.vgg19 import FeatureExtractor
from ..settings.style_params import StyleParams
from .guided_gram import GuidedTerm, RegionStyle, guided_summaries, join_faces, normalise_guides, opaque_part
from .loss_terms import LossTerms, inverse_energy, relative_error, tv_energy
from .texture_statistics import statistic_for


def blend_targets(statistic, summaries: list[dict], blend, layers) -> dict:
    """Per layer, the target of the paintings' blend: their summaries mixed as the statistic mixes them (Gatys
    et al. 2016, section 3.4, for Grams: their weighted mean)."""
    return {name: statistic.target(name, statistic.mix([s[name] for s in summaries], list(blend))) for name in layers}


class StyleTargets:
    """What ``Objective`` and ``TiledObjective`` share: mixing the paintings' summaries into targets, per region.

    Needs ``_statistic`` (``engine.objective.texture_statistics``), ``_summaries``
    (per painting, layer -> its summary: moments, or quantiles for sliced),
    ``_masked_summaries`` (region -> layer -> the summary of its part of its
    painting), ``style_layers`` and ``_masks``; keeps ``_style`` (layer ->
    target) and ``_regions`` up to date.
    """

    _masks: torch.Tensor | None = None
    _regions: RegionStyle | None = None
    _mix_key: tuple | None = None

    def set_guides(self, masks: torch.Tensor | None, params: StyleParams) -> None:
        """The regions' masks at this scale's canvas size, (R, H, W) in 0-1, one per region; None without regions."""
        self._masks = masks
        self._mix_key = None
        self._mix(params)

    def _check_statistic(self, params: StyleParams) -> None:
        """A new statistic needs new summaries of the paintings, which only ``set_styles`` makes."""
        seed = getattr(self._statistic, "seed", params.seed)  # the sliced directions' seed
        if self._statistic.name != params.style_loss or seed != params.seed:
            raise ValueError(f"style loss {params.style_loss!r} has no targets; call set_styles with these parameters")

    def _mix(self, params: StyleParams) -> None:
        blend = tuple(params.blend_weights(len(self._summaries)))
        key = (blend, params.regions, params.outside_regions, self._masks is not None)
        if key == self._mix_key:
            return
        if self._mix_key is None or blend != self._mix_key[0]:
            self._style = self._blended(blend)
        self._mix_key = key
        self._regions = self._region_style(params, list(blend)) if params.regions and self._masks is not None else None

    def _cached(self, key: tuple, make) -> dict:
        """Targets by what they are made of, until ``set_styles`` takes new summaries: a brush stroke re-mixes
        every region, and a W2 target costs an eigendecomposition per layer, a sliced one a sort."""
        cache = self.__dict__.setdefault("_targets", {})
        if key not in cache:
            if len(cache) >= 32:  # a blend slider dragged makes a new key at every position
                cache.clear()
            cache[key] = make()
        return cache[key]

    def _blended(self, weights) -> dict:
        """Per layer, the target of the paintings blended by ``weights``."""
        weights = tuple(weights)
        return self._cached(
            ("blend", weights), lambda: blend_targets(self._statistic, self._summaries, weights, self.style_layers)
        )

    def _region_style(self, params: StyleParams, blend: list[float]) -> RegionStyle:
        """Each region's guided term: its own blend of the paintings, or its part of one painting."""
        count = len(params.regions)
        guides = normalise_guides(self._masks, outside=True)
        statistic = self._statistic
        terms, faces = [], []
        for i, region in enumerate(params.regions):
            if region.photo_only:
                continue
            if i in self._masked_summaries:
                part = self._masked_summaries[i]
                targets = self._cached(("masked", i), lambda p=part: {n: statistic.target(n, s) for n, s in p.items()})
            else:
                own = region.blend_weights(len(self._summaries), blend)
                if region.face and params.outside_regions == "style" and own == blend:
                    # A face with the picture's own style is part of the picture's statistic (guided_gram's note).
                    faces.append((i, region.strength))
                    continue
                targets = self._blended(own)
            terms.append(GuidedTerm(i, region.strength, targets))
        if params.outside_regions == "style":
            if faces:
                guides = join_faces(guides, faces, count)
                terms.append(GuidedTerm(count + 1, 1.0, self._style, gradient_guide=count + 2))
            else:
                terms.append(GuidedTerm(count, 1.0, self._style))
        return RegionStyle(terms, guides, statistic)


class Objective(StyleTargets):
    """alpha * content + beta * style + tv_weight * tv for one content image and its styles at one size.

    The content features and the style targets (``params.style_loss``'s
    statistic: Gram matrices, mean and covariance, or sliced quantiles; see
    ``engine.objective.texture_statistics``) are computed here once (per
    scale), never in the step loop. Every style layer the parameters list is
    given a target, including those at weight 0, so that moving a layer's slider
    up from 0 later needs no new targets. With several style images the target
    of each layer is their blend (Gatys et al. 2016, section 3.4, mix two
    styles' Grams; the other statistics mix the paintings' distributions), and
    new blend weights only re-mix them.

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
        statistics of that part of the painting only. ``coverage`` gives, per
        painting, how opaque each of its pixels is ((1, H, W), or None where
        all are): its targets are the statistics of its opaque part.
        """
        if isinstance(styles, torch.Tensor):
            styles = [styles]
        # The layers come from the parameters every time, not from when the
        # objective was built: a layer added mid-run needs its own target.
        self.style_layers = tuple(name for name, _ in params.style_layers)
        # So does the statistic: a new one mid-run needs new summaries.
        self._statistic = statistic_for(params.style_loss, params.seed)
        self._summaries: list[dict] = []
        with torch.no_grad():
            for index, style in enumerate(styles):
                feats = self.extractor(style, self.style_layers) if self.style_layers else {}
                self._summaries.append(guided_summaries(self._statistic, feats, opaque_part(coverage, index)))
            self._masked_summaries: dict[int, dict] = {}
            for region, (index, mask) in (style_masks or {}).items():
                feats = self.extractor(styles[index], self.style_layers) if self.style_layers else {}
                opaque = opaque_part(coverage, index)
                part = mask if opaque is None else mask * opaque
                self._masked_summaries[region] = guided_summaries(self._statistic, feats, part)
        self._targets: dict = {}
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
        self._check_statistic(params)
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
                error = self._statistic.errors(name, feats[name], None, [self._style[name]])[0]
                style = style + weight * error
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
        """Reported terms; a term that is switched off reads as NaN, not as a perfect 0.

        The smoothness term is switched off at weight 0 (the default): its value is still computed, but
        shown beside the others it read as a cost the picture pays ("tv 4.53", a user's trial)."""
        content, style, tv, total = values
        return LossTerms(
            content=content if self.alpha > 0 else math.nan,
            style=style if self.layer_weights else math.nan,
            tv=tv if self.tv_weight > 0 else math.nan,
            total=total,
        )
