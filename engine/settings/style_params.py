"""The one parameter object: what the sliders edit, the engine reads and a preset stores."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ParamsError
from ..network.layers import CONTENT_LAYER_CHOICES, CONV_LAYERS, DEFAULT_CONTENT_LAYER, DEFAULT_STYLE_WEIGHTS
from .choices import COLOR_MODES, INITS, OPTIMIZERS, POOLINGS, PRECISIONS, STYLE_LOSSES
from .regions import MAX_REGIONS, OUTSIDE_CHOICES, RegionError, RegionSetting

MAX_WEIGHT = 1e6
MAX_LAYER_WEIGHT = 100.0
MIN_SIZE, MAX_SIZE = 32, 4096
MAX_STEPS = 100_000
MIN_STYLE_SCALE, MAX_STYLE_SCALE = 0.25, 2.0
MAX_STYLES = 8
MIN_TILE = 64
# GiB: below 1.5 not even a tiled 512 px scale fits (the process alone is about 0.75).
MIN_MEMORY_LIMIT, MAX_MEMORY_LIMIT = 1.5, 1024.0
# Share of each side of a style image that trim_frame leaves out. Starry Night's
# scan has a 12-20 px frame and canvas edge on 752 x 600 px: 2-3 %.
FRAME_SHARE = 0.03
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")

StyleLayers = tuple[tuple[str, float], ...]


def _default_style_layers() -> StyleLayers:
    return tuple(DEFAULT_STYLE_WEIGHTS.items())


@dataclass(frozen=True)
class StyleParams:
    """Everything that shapes a picture, validated on construction.

    Attributes
    ----------
    alpha, beta
        Weights of the content and style terms (the paper's alpha and beta).
        Both terms are normalised, see ``engine.objective.loss_terms``, so that the numbers
        mean the same at every size and with every weight source.
    style_layers
        ``(layer, weight)`` pairs; a weight of 0 keeps the layer listed but off.
    content_layer
        Layer whose activations the content term compares.
    tv_weight
        Weight of the total-variation smoothness term (0 = off).
    size
        Long side of the output in pixels.
    steps
        Optimisation steps over all scales together.
    optimizer, init, init_image, seed, device, weights, pooling
        How the picture is optimised and on what.
    precision
        Number format of the convolutions: "auto" picks bfloat16 where the
        hardware computes it natively, else float32.
    stop_early
        Move on to the next scale (or finish) once the scale stops paying:
        the loss falls by less than a set share over ten steps, or the picture
        stops changing visibly (``engine.run.convergence``). ``steps`` is then
        a cap, not a split.
    clean_edges
        Optimise a slightly larger, mirrored canvas and crop it, so that VGG's
        zero padding does not paint a frame along the picture's edges.
    keep_colors, color_strength
        Keep the photo's colours: "off", "luminance" (style on luminance only)
        or "match" (the style's colours matched to the photo's), and how much
        (0-1). See ``engine.objective.colour_transfer``.
    regions
        Up to eight regions, each with its own style and strength or the photo
        as it is (``engine.settings.regions``). The masks that say where each region
        is belong to one photo and travel beside the parameters.
    outside_regions
        What the picture gets where no region is painted: "style" (the
        picture's own blend, as without regions) or "photo".
    tile
        Paint scales larger than this many pixels tile by tile
        (``engine.objective.tiled_objective``: the same objective, in memory bounded by
        the tile); 0 tiles only the scales that would not fit in memory.
    memory_limit
        The most memory, in GiB, a scale may use before it is painted tile by
        tile (with ``tile`` 0); 0 is the memory free. For a long render beside
        other work: at 3 GiB a 4096 px picture stays under about 3 GiB.
    style_scale
        Size of the style image relative to the picture when its Grams are
        taken (0.25-2): small gives fine brushwork, large bold strokes.
    style_blend
        Weight of each style image when several are blended (missing entries
        count as 1; all zero means equal).
    style_loss
        The texture statistic the style term matches: "gram" (Gatys et al.
        2016), "w2" (the features' mean and covariance, Wasserstein-2 between
        Gaussians) or "sliced" (their distribution along random directions,
        sliced Wasserstein; Heitz et al. 2021). See
        ``engine.objective.texture_statistics``.
    trim_frame
        Leave the outer ``FRAME_SHARE`` of each style image out of its Grams.
        Not in the paper: photos and scans of paintings usually carry a frame
        or a strip of bare canvas, and their long straight edges, counted as
        style, come back as straight lines and panels across the picture.
    """

    alpha: float = 1.0
    beta: float = 10.0
    style_layers: StyleLayers = field(default_factory=_default_style_layers)
    content_layer: str = DEFAULT_CONTENT_LAYER
    tv_weight: float = 0.0
    size: int = 512
    steps: int = 300
    optimizer: str = "lbfgs"
    init: str = "content"
    init_image: str = ""
    seed: int = 0
    device: str = "auto"
    weights: str = "oxford"
    pooling: str = "max"
    precision: str = "auto"
    stop_early: bool = True
    clean_edges: bool = True
    keep_colors: str = "off"
    color_strength: float = 1.0
    style_scale: float = 1.0
    style_blend: tuple[float, ...] = ()
    style_loss: str = "gram"
    trim_frame: bool = True
    regions: tuple[RegionSetting, ...] = ()
    outside_regions: str = "style"
    tile: int = 0
    memory_limit: float = 0.0

    def __post_init__(self) -> None:
        # Accept any mapping or sequence of pairs, store an immutable tuple.
        layers = self.style_layers
        if isinstance(layers, Mapping):
            layers = tuple(layers.items())
        try:
            layers = tuple((str(name), weight) for name, weight in layers)
        except (TypeError, ValueError):
            raise ParamsError("style_layers must be (layer, weight) pairs") from None
        object.__setattr__(self, "style_layers", layers)
        try:
            blend = tuple(
                float(w) if isinstance(w, (int, float)) and not isinstance(w, bool) else w for w in self.style_blend
            )
            object.__setattr__(self, "style_blend", blend)
        except TypeError:
            raise ParamsError("style_blend must be a list of numbers") from None
        try:
            regions = tuple(RegionSetting.from_dict(r) for r in self.regions)
        except TypeError:
            raise ParamsError("regions must be a list of region settings") from None
        except RegionError as exc:
            raise ParamsError(f"regions: {exc}") from None
        object.__setattr__(self, "regions", regions)
        _validate(self)

    @property
    def style_weights(self) -> dict[str, float]:
        """The style layers as a ``{layer: weight}`` dict, in forward order."""
        return dict(self.style_layers)

    @property
    def active_style_layers(self) -> dict[str, float]:
        """Style layers that currently contribute (weight above zero)."""
        return {name: w for name, w in self.style_layers if w > 0}

    def replace(self, **changes: Any) -> StyleParams:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def with_style_weight(self, layer: str, weight: float) -> StyleParams:
        """A copy with one style layer's weight set (the layer is added if new)."""
        weights = self.style_weights
        weights[layer] = weight
        return self.replace(style_layers=_in_forward_order(weights))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values; ``style_layers`` becomes a ``{layer: weight}`` object."""
        data = dataclasses.asdict(self)
        data["style_layers"] = self.style_weights
        data["style_blend"] = list(self.style_blend)
        data["regions"] = [r.to_dict() for r in self.regions]
        return data

    def blend_weights(self, count: int) -> list[float]:
        """Normalised blend weights for ``count`` style images."""
        weights = [self.style_blend[i] if i < len(self.style_blend) else 1.0 for i in range(count)]
        total = sum(weights)
        return [w / total for w in weights] if total > 0 else [1.0 / count] * count

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StyleParams:
        """Build from ``to_dict``'s form, checking every key and type."""
        if not isinstance(data, Mapping):
            raise ParamsError(f"parameters must be a JSON object, not {type(data).__name__}")
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ParamsError(f"unknown field {unknown[0]!r}; known fields are {', '.join(known)}")
        values = {}
        for name, value in data.items():
            values[name] = _coerce(name, value, cls.__dataclass_fields__[name].type)
        return cls(**values)


def _in_forward_order(weights: Mapping[str, float]) -> StyleLayers:
    return tuple(sorted(weights.items(), key=lambda kv: CONV_LAYERS.index(kv[0])))


def _coerce(name: str, value: Any, annotation: str) -> Any:
    """Check one JSON value against the field's declared type."""
    if annotation == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamsError(f"{name} must be a number, not {_describe(value)}")
        return float(value)
    if annotation == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ParamsError(f"{name} must be a whole number, not {_describe(value)}")
        return value
    if annotation == "bool":
        if not isinstance(value, bool):
            raise ParamsError(f"{name} must be true or false, not {_describe(value)}")
        return value
    if annotation == "tuple[float, ...]":
        if not isinstance(value, list):
            raise ParamsError(f"{name} must be a list of numbers, not {_describe(value)}")
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise ParamsError(f"{name} must hold numbers, not {_describe(item)}")
        return tuple(float(v) for v in value)
    if annotation == "tuple[RegionSetting, ...]":
        if not isinstance(value, list):
            raise ParamsError(f"{name} must be a list of regions, not {_describe(value)}")
        try:
            return tuple(RegionSetting.from_dict(item) for item in value)
        except (RegionError, TypeError) as exc:
            raise ParamsError(f"{name}: {exc}") from None
    if annotation == "str":
        if not isinstance(value, str):
            raise ParamsError(f"{name} must be a string, not {_describe(value)}")
        return value
    # style_layers: a {layer: weight} object
    if not isinstance(value, Mapping):
        raise ParamsError(f"{name} must be an object of layer: weight, not {_describe(value)}")
    for layer, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise ParamsError(f"{name}.{layer} must be a number, not {_describe(weight)}")
    return {layer: float(weight) for layer, weight in value.items()}


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}"


def _check_number(name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamsError(f"{name} must be a number, not {_describe(value)}")
    if not math.isfinite(value):
        raise ParamsError(f"{name} must be a finite number, not {value}")
    if not low <= value <= high:
        raise ParamsError(f"{name} must be between {low:g} and {high:g}, not {value:g}")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ParamsError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def _validate(p: StyleParams) -> None:
    _check_number("alpha", p.alpha, 0.0, MAX_WEIGHT)
    _check_number("beta", p.beta, 0.0, MAX_WEIGHT)
    _check_number("tv_weight", p.tv_weight, 0.0, MAX_WEIGHT)
    seen = set()
    for layer, weight in p.style_layers:
        if layer not in CONV_LAYERS:
            raise ParamsError(f"style_layers: unknown layer {layer!r}; use conv1_1 ... conv5_4")
        if layer in seen:
            raise ParamsError(f"style_layers: layer {layer} is listed twice")
        seen.add(layer)
        _check_number(f"style_layers.{layer}", weight, 0.0, MAX_LAYER_WEIGHT)
    _check_choice("content_layer", p.content_layer, CONTENT_LAYER_CHOICES)
    for name, low, high in (("size", MIN_SIZE, MAX_SIZE), ("steps", 1, MAX_STEPS), ("seed", 0, 2**32 - 1)):
        value = getattr(p, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"{name} must be a whole number, not {_describe(value)}")
        if not low <= value <= high:
            raise ParamsError(f"{name} must be between {low} and {high}, not {value}")
    _check_choice("optimizer", p.optimizer, OPTIMIZERS)
    _check_choice("init", p.init, INITS)
    _check_choice("pooling", p.pooling, POOLINGS)
    _check_choice("precision", p.precision, PRECISIONS)
    _check_choice("keep_colors", p.keep_colors, COLOR_MODES)
    _check_number("color_strength", p.color_strength, 0.0, 1.0)
    _check_number("style_scale", p.style_scale, MIN_STYLE_SCALE, MAX_STYLE_SCALE)
    _check_choice("style_loss", p.style_loss, STYLE_LOSSES)
    if len(p.style_blend) > MAX_STYLES:
        raise ParamsError(f"style_blend has {len(p.style_blend)} weights; at most {MAX_STYLES} styles")
    for i, weight in enumerate(p.style_blend):
        _check_number(f"style_blend[{i}]", weight, 0.0, MAX_LAYER_WEIGHT)
    for name in ("stop_early", "clean_edges", "trim_frame"):
        if not isinstance(getattr(p, name), bool):
            raise ParamsError(f"{name} must be true or false, not {_describe(getattr(p, name))}")
    if p.init == "image" and not p.init_image:
        raise ParamsError("init_image must name a file when init is 'image'")
    if not isinstance(p.device, str) or not _DEVICE_PATTERN.match(p.device):
        raise ParamsError(f"device must be auto, cpu, mps, cuda or cuda:N, not {p.device!r}")
    if not isinstance(p.weights, str) or not p.weights.strip():
        raise ParamsError("weights must be 'oxford', 'torchvision' or the path of a weights file")
    if len(p.regions) > MAX_REGIONS:
        raise ParamsError(f"{len(p.regions)} regions; at most {MAX_REGIONS}")
    colours = [r.rgb for r in p.regions]
    if len(set(colours)) != len(colours):
        raise ParamsError("two regions have the same colour; give each region its own colour")
    _check_choice("outside_regions", p.outside_regions, OUTSIDE_CHOICES)
    if isinstance(p.tile, bool) or not isinstance(p.tile, int):
        raise ParamsError(f"tile must be a whole number, not {_describe(p.tile)}")
    if p.tile and (p.tile % 16 or not MIN_TILE <= p.tile <= MAX_SIZE):
        raise ParamsError(f"tile must be 0 (as needed) or a multiple of 16 from {MIN_TILE} to {MAX_SIZE}, not {p.tile}")
    _check_number("memory_limit", p.memory_limit, 0.0, MAX_MEMORY_LIMIT)
    if 0 < p.memory_limit < MIN_MEMORY_LIMIT:
        raise ParamsError(f"memory_limit must be 0 (the memory free) or at least {MIN_MEMORY_LIMIT} GiB")
    has_style = p.beta > 0 and any(w > 0 for _, w in p.style_layers)
    if p.alpha == 0 and not has_style:
        raise ParamsError("nothing to optimise: alpha is 0 and no style layer has a weight above 0")
