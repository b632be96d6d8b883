"""The loss at one scale: targets computed once, weights that can change every step."""

from __future__ import annotations

import math

import torch

from .layers import deepest
from .losses import LossTerms, gram_matrix, inverse_energy, relative_error, tv_energy
from .network import FeatureExtractor
from .params import StyleParams


class Objective:
    """alpha * content + beta * style + tv_weight * tv for one content image and its styles at one size.

    The content features, the style Grams and their norms are computed here once
    (per scale), never in the step loop. Every style layer the parameters list is
    given a target, including those at weight 0, so that moving a layer's slider
    up from 0 later needs no new targets. With several style images the target
    of each layer is the blend of their Grams (Gatys et al. 2016, section 3.4,
    mix two styles the same way), and new blend weights only re-mix them.
    """

    def __init__(
        self,
        extractor: FeatureExtractor,
        content: torch.Tensor,
        styles: torch.Tensor | list[torch.Tensor],
        params: StyleParams,
    ) -> None:
        self.extractor = extractor
        self.content_layer = params.content_layer
        with torch.no_grad():
            feats = extractor(content, {self.content_layer})
            target = feats[self.content_layer].float()
            self._content = (target, inverse_energy(target))
            self._tv_inv = 1.0 / tv_energy(content).clamp_min(1e-6)
        self.set_styles(styles, params)
        self.set_weights(params)

    def set_styles(self, styles: torch.Tensor | list[torch.Tensor], params: StyleParams) -> None:
        """New style images, or new style layers, at this scale: every layer ``params`` lists gets a target."""
        if isinstance(styles, torch.Tensor):
            styles = [styles]
        # The layers come from the parameters every time, not from when the
        # objective was built: a layer added mid-run needs its own target.
        self.style_layers = tuple(name for name, _ in params.style_layers)
        self._grams: list[dict[str, torch.Tensor]] = []
        with torch.no_grad():
            for style in styles:
                feats = self.extractor(style, self.style_layers) if self.style_layers else {}
                self._grams.append({name: gram_matrix(f) for name, f in feats.items()})
        self._blend: tuple[float, ...] | None = None
        self._mix(params)

    def _mix(self, params: StyleParams) -> None:
        blend = tuple(params.blend_weights(len(self._grams)))
        if blend == self._blend:
            return
        self._blend = blend
        self._style = {}
        for name in self.style_layers:
            target = sum(w * grams[name] for w, grams in zip(blend, self._grams, strict=True))
            self._style[name] = (target, inverse_energy(target))

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
        for name, weight in self.layer_weights.items():
            target, inv = self._style[name]
            style = style + weight * relative_error(gram_matrix(feats[name]), target, inv)
        tv = tv_energy(picture) * self._tv_inv
        total = self.alpha * content + self.beta * style + self.tv_weight * tv
        return total, torch.stack([content, style, tv, total]).detach()

    def terms(self, values: list[float]) -> LossTerms:
        """Reported terms; a term that is switched off reads as NaN, not as a perfect 0."""
        content, style, tv, total = values
        return LossTerms(
            content=content if self.alpha > 0 else math.nan,
            style=style if self.layer_weights else math.nan,
            tv=tv,
            total=total,
        )
