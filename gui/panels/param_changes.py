"""What the artist changed, as values that travel from a control to the parameters.

Every control reports a change to its own field, never a rebuilt parameter
object: a control whose range or display is narrower than the engine's can
then never rewrite a value the artist did not touch (the first release turned
a preset's alpha of 4e-05 into 0 when beta was moved).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from brushwork.engine.errors import ParamsError
from brushwork.engine.network.layers import CONV_LAYERS
from brushwork.engine.settings.regions import RegionError, RegionSetting
from brushwork.engine.settings.style_params import StyleParams

Colour = tuple[int, int, int]


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


@dataclass(frozen=True)
class RegionFieldChange:
    """One field of the region whose colour is ``colour`` (a region is known by its colour, unique among them).

    A region's style is shown as one choice of several; a blend a preset
    gave it stays as it was until the artist picks another, because only
    the fields the artist touched are sent.
    """

    colour: Colour
    field: str
    value: Any

    @property
    def key(self) -> tuple:
        return ("regions", self.colour, self.field)

    def apply_to(self, regions: list[RegionSetting]) -> None:
        for i, region in enumerate(regions):
            if region.rgb == self.colour:
                regions[i] = dataclasses.replace(region, **{self.field: self.value})


@dataclass(frozen=True)
class RegionAdded:
    """A new region at the end of the list (nothing happens if its colour is taken)."""

    region: RegionSetting

    @property
    def key(self) -> tuple:
        return ("regions", self.region.rgb, "added")

    def apply_to(self, regions: list[RegionSetting]) -> None:
        if all(r.rgb != self.region.rgb for r in regions):
            regions.append(self.region)


@dataclass(frozen=True)
class RegionRemoved:
    colour: Colour

    @property
    def key(self) -> tuple:
        return ("regions", self.colour, "removed")

    def apply_to(self, regions: list[RegionSetting]) -> None:
        regions[:] = [r for r in regions if r.rgb != self.colour]


RegionChange = RegionFieldChange | RegionAdded | RegionRemoved
Change = FieldChange | StyleWeightChange | BlendWeightChange | RegionChange


def apply_changes(params: StyleParams, changes: Iterable[Change]) -> StyleParams:
    """``params`` with ``changes`` applied, validated once as a whole.

    Validating once matters: setting alpha to 0 and beta up in one throttled
    batch is valid even though alpha 0 with the old beta 0 would not be.
    """
    fields: dict[str, Any] = {}
    weights: dict[str, float] | None = None
    blend: list[float] | None = None
    regions: list[RegionSetting] | None = None
    for change in changes:
        if isinstance(change, StyleWeightChange):
            weights = weights if weights is not None else params.style_weights
            weights[change.layer] = change.weight
        elif isinstance(change, BlendWeightChange):
            blend = blend if blend is not None else list(params.style_blend)
            blend.extend([1.0] * (change.index + 1 - len(blend)))
            blend[change.index] = change.weight
        elif isinstance(change, (RegionFieldChange, RegionAdded, RegionRemoved)):
            regions = regions if regions is not None else list(params.regions)
            try:
                change.apply_to(regions)
            except RegionError as exc:  # a region refuses a value: shown like any invalid setting
                raise ParamsError(f"regions: {exc}") from None
        else:
            fields[change.field] = change.value
    if weights is not None:
        fields["style_layers"] = tuple(sorted(weights.items(), key=lambda kv: CONV_LAYERS.index(kv[0])))
    if blend is not None:
        fields["style_blend"] = tuple(blend)
    if regions is not None:
        fields["regions"] = tuple(regions)
    return params.replace(**fields) if fields else params
