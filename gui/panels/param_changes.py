"""What the artist changed, as values that travel from a control to the parameters.

Every control reports a change to its own field, never a rebuilt parameter
object: a control whose range or display is narrower than the engine's can
then never rewrite a value the artist did not touch (the first release turned
a preset's alpha of 4e-05 into 0 when beta was moved).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.layers import CONV_LAYERS
from engine.params import StyleParams


@dataclass(frozen=True)
class FieldChange:
    """One field of ``StyleParams`` set to a value."""

    field: str
    value: Any

    @property
    def key(self) -> tuple:
        return (self.field,)


@dataclass(frozen=True)
class StyleWeightChange:
    """One style layer's weight (the layer is added if it was not listed)."""

    layer: str
    weight: float

    @property
    def key(self) -> tuple:
        return ("style_layers", self.layer)


@dataclass(frozen=True)
class BlendWeightChange:
    """The blend weight of the style image at ``index`` (missing earlier ones count as 1)."""

    index: int
    weight: float

    @property
    def key(self) -> tuple:
        return ("style_blend", self.index)


Change = FieldChange | StyleWeightChange | BlendWeightChange


def apply_changes(params: StyleParams, changes: Iterable[Change]) -> StyleParams:
    """``params`` with ``changes`` applied, validated once as a whole.

    Validating once matters: setting alpha to 0 and beta up in one throttled
    batch is valid even though alpha 0 with the old beta 0 would not be.
    """
    fields: dict[str, Any] = {}
    weights: dict[str, float] | None = None
    blend: list[float] | None = None
    for change in changes:
        if isinstance(change, StyleWeightChange):
            weights = weights if weights is not None else params.style_weights
            weights[change.layer] = change.weight
        elif isinstance(change, BlendWeightChange):
            blend = blend if blend is not None else list(params.style_blend)
            blend.extend([1.0] * (change.index + 1 - len(blend)))
            blend[change.index] = change.weight
        else:
            fields[change.field] = change.value
    if weights is not None:
        fields["style_layers"] = tuple(sorted(weights.items(), key=lambda kv: CONV_LAYERS.index(kv[0])))
    if blend is not None:
        fields["style_blend"] = tuple(blend)
    return params.replace(**fields) if fields else params
