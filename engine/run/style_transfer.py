"""The engine: optimise a picture step by step, reporting as it goes."""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence

import torch
from PIL import Image

from ..errors import NumericalError, OutOfMemoryError
from ..network.devices import describe, resolve_device
from ..network.precision import resolve_precision
from ..network.step_abandon import StepAbandoned, abandonable
from ..network.vgg19 import FeatureExtractor
from ..network.vgg_weights import DownloadProgress, load_weights
from ..objective.loss_scaling import LossScaler
from ..objective.temporal_term import TemporalTarget
from ..pictures import images
from ..settings.regions import RegionMasks
from ..settings.style_params import StyleParams
from .convergence import StillnessCheck
from .core_share import CoreShare
from .live_preview import Pace, PreviewState, preview_side, resample
from .loupe import LoupeState, loupe_side, place
from .out_of_memory import (
    is_out_of_memory,
    release,
    suggest_size,
)
from .progress import Progress
from .scale_building import RunInputs, ScaleBuilder, ScalePlan, as_styles, plan_scale_for
from .scale_state import ScaleState, pad
from .schedule import Stage, plan_stages, replanned_step, stage_at

log = logging.getLogger(__name__)

PREVIEW_INTERVAL = 0.1  # seconds: at most about ten previews a second


class StyleTransfer:
    """Gatys-style transfer of ``style`` onto ``content``.

    Drive it by iterating ``run()``, which yields a ``Progress`` per step. From
    any other thread, ``update()`` changes parameters or images (taking effect
    on the very next step; a change of colours that a preview shows gives up
    the step in flight), ``pause()``/``resume()`` hold the run, and
    ``cancel()`` stops it at once, at any size (a preview's or the loupe's
    small step first finishes).

    Parameters
    ----------
    content, style
        The photo and the painting, or several paintings to blend (any mode;
        converted to RGB).
    params
        The starting parameters.
    start_picture
        Continue from this picture instead of ``params.init``.
    start_step
        Begin at this step of the plan (with ``start_picture``: resume a run
        that was cut short, at the scale it had reached).
    masks
        Where each of ``params.regions`` is (``engine.settings.regions``).
    temporal
        For a clip's frame: the last painted frame warped onto this one, which
        the picture is kept close to (``engine.objective.temporal_term``).
    weights_progress
        Receives download progress if the torchvision weights must be fetched.
    """

    def __init__(
        self,
        content: Image.Image,
        style: Image.Image | Sequence[Image.Image],
        params: StyleParams | None = None,
        *,
        start_picture: Image.Image | None = None,
        start_step: int = 0,
        masks: RegionMasks | None = None,
        temporal: TemporalTarget | None = None,
        weights_progress: DownloadProgress | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._inputs = RunInputs(
            params or StyleParams(), content.convert("RGB"), as_styles(style), 0, 0, masks or RegionMasks()
        )
        self._start_picture = start_picture.convert("RGB") if start_picture is not None else None
        self._start_step = max(0, start_step)
        self._weights_progress = weights_progress
        self._temporal_target = temporal
        self._cancelled = threading.Event()
        self._news = threading.Event()  # set by update(): the step in flight may have become worthless
        self._resumed = threading.Event()
        self._resumed.set()
        self._holding = threading.Event()  # set while the run loop is blocked in a pause
        self._finished = False
        # The network, and what it was built for.
        self._extractor: FeatureExtractor | None = None
        self._net_key: tuple | None = None
        self._builder: ScaleBuilder | None = None  # builds scales for that network
        self._scale: ScaleState | None = None  # the plan's scale: what the run paints
        self._preview: PreviewState | None = None
        self._preview_scale: ScaleState | None = None  # a preview's own, smaller scale, beside the plan's
        self._loupe: LoupeState | None = None  # a texture change at full resolution where the artist looks
        self._focus = (0.5, 0.5)  # where the artist looks, as a share of the picture's width and height
        self.device: torch.device | None = None
        self.dtype = torch.float32
        self._scaler = LossScaler(enabled=False)
        self.steps_done = 0  # read from other threads to see how far the run is
        self._stillness = StillnessCheck()
        self._pace = Pace()  # seconds per step at the plan's current scale
        self._evaluations = 0  # moves the tile grid of a tiled scale

    # -- control, from any thread -------------------------------------------------

    @property
    def params(self) -> StyleParams:
        return self._inputs.params

    def update(
        self,
        params: StyleParams | None = None,
        *,
        content: Image.Image | None = None,
        style: Image.Image | Sequence[Image.Image] | None = None,
        masks: RegionMasks | None = None,
    ) -> None:
        """Replace parameters, images and/or region masks; the next step uses them.

        New weights or masks keep the picture and only reset L-BFGS's history;
        new style images or a new stroke scale rebuild the style targets only; a
        new content image or size rebuilds every target. The picture always
        carries on from where it is. A full-size step in flight is given up for
        a new photo or size, or a change of colours that starts a preview (see
        ``_superseded``).
        """
        with self._lock:
            cur = self._inputs
            new_masks = masks if masks is not None else cur.masks
            # Masks on the paintings cost a forward pass each to use: only a change to them rebuilds their targets.
            # By value: a mask that is the same object compares at once, and a new stroke that left a painting's
            # mask as it was rebuilds nothing.
            style_masks_changed = new_masks.style != cur.masks.style
            self._inputs = RunInputs(
                params or cur.params,
                content.convert("RGB") if content is not None else cur.content,
                as_styles(style) if style is not None else cur.styles,
                cur.content_version + (content is not None),
                cur.style_version + (style is not None),
                new_masks,
                cur.mask_version + (masks is not None),
                cur.style_mask_version + style_masks_changed,
            )
        self._news.set()

    def set_focus(self, x: float, y: float) -> None:
        """Where the artist looks (shares of the picture's width and height): the next loupe is centred there."""
        self._focus = (min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0))

    def cancel(self) -> None:
        """Stop the run: a full-size step in flight is abandoned, the picture stays as the last step left it."""
        self._cancelled.set()
        self._news.set()
        self._resumed.set()

    def pause(self) -> None:
        self._resumed.clear()

    def resume(self) -> None:
        self._resumed.set()

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    @property
    def holding(self) -> bool:
        """True while the run is held by a pause, with no step in flight.

        ``paused`` only says a pause was asked for; the step in flight then
        still finishes. Once ``holding`` is True, no step runs until ``resume()``.
        """
        return self._holding.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    # -- results ----------------------------------------------------------------------

    def current_picture(self) -> Image.Image | None:
        """The picture as it is now, at the current scale's size."""
        return images.to_pil(self._shown_rgb(loupe=False)) if self._scale is not None else None

    def result(self) -> Image.Image | None:
        """The picture at the output size (upsampled if the run stopped at a coarser scale)."""
        picture = self.current_picture()
        if picture is None:
            return None
        inputs = self._inputs
        height, width = images.fit_dims(*inputs.content.size, inputs.params.size)
        return images.resize(picture, height, width)

    @property
    def finished(self) -> bool:
        """True once every step has run (not after a cancel)."""
        return self._finished

    # -- the run ---------------------------------------------------------------------

    def run(self) -> Iterator[Progress]:
        """Optimise, yielding a ``Progress`` after every step.

        Raises ``BrushworkError`` subclasses for weights, device or image
        problems, and ``NumericalError`` if the loss becomes NaN or infinite;
        the picture so far (for ``NumericalError``, the best of the recent
        steps, ``ScaleState.keep_if_best``) stays available through ``result()``.
        """
        cores = CoreShare()
        try:
            yield from self._run(cores)
        finally:
            cores.restore()

    def _run(self, cores: CoreShare) -> Iterator[Progress]:
        self._finished = False
        step = self.steps_done = self._start_step
        elapsed = 0.0
        last_preview = -1.0
        last: Progress | None = None
        planned: tuple[tuple[int, int], int] | None = None  # (size, steps) of the last step's plan, and its side
        while True:
            self._wait_while_paused()
            if self._cancelled.is_set():
                if self._loupe is not None and last is not None and last.loupe is not None:
                    # The last frame shown had the loupe's square: what stays on screen is the picture.
                    self._loupe = None
                    yield dataclasses.replace(last, preview=images.to_array(self._shown_rgb()), loupe=None)
                return
            cores.adjust()
            started = time.perf_counter()
            inputs = self._inputs  # one consistent snapshot for this step
            params = inputs.params
            stages = plan_stages(params.size, params.steps)
            total = stages[-1].end
            if planned is not None and planned[0] != (params.size, params.steps):
                step = self.steps_done = replanned_step(stages, step, planned[1])
            if step >= total:
                break
            stage = stage_at(stages, step)
            planned = (params.size, params.steps), stage.side
            try:
                plan = plan_scale_for(inputs, stage.side)
                values = self._step_loupe(inputs, plan)
                looking = values is not None
                if not looking:
                    values = self._step_preview(inputs, plan)
                previewing = values is not None and not looking
                if values is None:
                    # Building a scale's targets at print size passes its paintings and photo through the
                    # network tile by tile, as long as a step: a cancel gives that up too.
                    with abandonable(self._cancelled.is_set):
                        self._scale = self._prepare(inputs, plan, self._scale, start_from=self._scale)
                    values = self._step(self._scale, abandonable_by=stage)
            except StepAbandoned:
                log.debug("step %d abandoned for a newer change", step)
                continue
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                raise self._out_of_memory(stage, step) from exc
            active = self._loupe.scale if looking else self._preview_scale if previewing else self._scale
            extra = looking or previewing  # steps beside the plan's: the plan's steps all run at its scale
            if not all(math.isfinite(v) for v in values):
                raise self._numerical_error(active, stage, step)
            active.keep_if_best(values[-1])
            if not extra:
                step += 1
                self._pace.record(stage.side, time.perf_counter() - started)
                final_scale = stage.index == len(stages) - 1
                if self._stillness.is_still(
                    self._scale.visible(), values[-1], step - stage.first_step, stage.steps, final_scale
                ):
                    log.debug("scale %d still after %d steps", stage.index, step - stage.first_step)
                    if params.stop_early:
                        step = stage.end  # skip the rest of this scale's steps
                if self._loupe is not None and (step == stage.end or self._loupe.caught_up(self._scale)):
                    self._loupe = None  # the full size has taken up the change there (and never shows its border)
            self.steps_done = step
            elapsed += time.perf_counter() - started
            scale_finished = not extra and step == stage.end
            finished = not extra and step == total
            preview = picture16 = None
            if finished or scale_finished or elapsed - last_preview >= PREVIEW_INTERVAL:
                shown = self._shown_rgb()
                preview = images.to_array(shown)
                picture16 = images.to_array16(shown) if finished else None
                last_preview = elapsed
            height, width = (self._preview.full_rgb if previewing else self._scale.visible()).shape[-2:]
            loupe = self._loupe.frame(self._scale.margin) if self._loupe and self._loupe.scale else None
            last = Progress(
                step=step,
                total_steps=total,
                scale=stage.index,
                scales=len(stages),
                height=height,
                width=width,
                losses=active.objective.terms(values),
                elapsed=elapsed,
                params=params,
                device=f"{describe(self.device)}, {str(self.dtype).removeprefix('torch.')}",
                preview=preview,
                scale_finished=scale_finished,
                finished=finished,
                picture16=picture16,
                preview_side=self._preview.side if previewing else None,
                loupe=loupe,
                tile=active.objective.tile if active.tiled else None,
            )
            yield last
        self._finished = True
        if last is not None and not last.finished:
            # The step budget was cut below the steps already taken: report the end.
            visible = self._shown_rgb()
            yield dataclasses.replace(
                last, preview=images.to_array(visible), picture16=images.to_array16(visible), finished=True
            )

    def _out_of_memory(self, stage: Stage, step: int) -> OutOfMemoryError:
        """Free what the failed step held and say which size should fit."""
        self._preview = self._preview_scale = self._loupe = None
        if self._scale is not None:
            self._scale.release()
        release(self.device)
        content = self._inputs.content
        aspect = min(content.size) / max(content.size)
        suggested = suggest_size(stage.side, aspect, self.device, self.dtype)
        where = describe(self.device) if self.device is not None else "this machine"
        log.warning("out of memory at %d px on %s; suggesting %d px", stage.side, where, suggested)
        return OutOfMemoryError(
            f"Out of memory painting at {stage.side} px on {where}. About {suggested} px should fit: "
            "lower the size, or continue from the picture so far at that size.",
            failed_size=stage.side,
            suggested_size=suggested,
            step=step,
        )

    def _numerical_error(self, scale: ScaleState, stage: Stage, step: int) -> NumericalError:
        """Put back the best picture of the recent steps and say what to try."""
        # L-BFGS's history now holds NaN: a later run must not inherit it.
        scale.fall_back()
        log.warning("non-finite loss at step %d (%d px, %s)", step + 1, stage.side, self.dtype)
        precision = str(self.dtype).removeprefix("torch.")
        advice = "lower the style weight (beta) or the content weight (alpha)"
        if self.dtype != torch.float32:
            advice += ", or paint in float32"
        return NumericalError(
            f"The loss became NaN or infinite at step {step + 1} ({stage.side} px, {precision}), so painting "
            f"stopped. The picture so far is kept, as it was at the best of the recent steps. "
            f"To carry on from it, {advice}."
        )

    def _wait_while_paused(self) -> None:
        if self._resumed.is_set():
            return
        self._holding.set()
        try:
            # Pauses are excluded from ``elapsed``: the step clock starts after this.
            while not self._resumed.wait(0.1):
                pass
        finally:
            self._holding.clear()

    # -- building what a step needs ------------------------------------------------

    def _prepare(
        self, inputs: RunInputs, plan: ScalePlan, scale: ScaleState | None, start_from: ScaleState | None
    ) -> ScaleState:
        """``scale`` brought in line with the snapshot, or a new one built for it (starting from ``start_from``)."""
        params = inputs.params
        net_key = plan.keys.source.network
        if net_key != self._net_key:
            weights = load_weights(params.weights, self._weights_progress)
            self.device = resolve_device(params.device)
            self.dtype = resolve_precision(params.precision, self.device)
            if self.device.type == "cuda":
                # Sizes are fixed within a scale, so cuDNN's autotuning pays for itself.
                torch.backends.cudnn.benchmark = True
            self._extractor = FeatureExtractor(
                weights, net_key[-1], pooling=params.pooling, device=self.device, dtype=self.dtype
            )
            self._scaler = LossScaler.for_dtype(self.dtype)
            self._builder = ScaleBuilder(
                self._extractor, self.device, self.dtype, self._start_picture, self._temporal_target
            )
            self._net_key = net_key
        built = scale.keys if scale is not None else None
        if built is None or plan.keys.targets != built.targets:
            if scale is not None:
                # Replaced below. Dropped first, so that at print size the last
                # scale's targets and curvature pairs (about 0.3 GB at 2048 px)
                # are not held while this scale's are built, the run's peak.
                scale.release()
            scale = self._builder.build(inputs, plan, start_from)
        elif plan.keys.styles != built.styles:
            self._builder.restyle(inputs, plan, scale)
        elif plan.keys.weights != built.weights:
            self._builder.reweigh(inputs, plan, scale)
        if scale.keys is not built:  # a new or changed objective: the stillness check starts again
            self._stillness.reset()
        scale.view.strength = params.color_strength  # only what is shown: no new targets
        if params.optimizer != scale.optimizer_kind:
            scale.new_optimizer(params.optimizer)
        return scale

    def _changes_look(self, plan: ScalePlan) -> bool:
        """True if ``plan`` changes settings of the plan's scale as built (not its photo, size or network)."""
        built = self._scale.keys if self._scale is not None else None
        if built is None or plan.keys.source != built.source:
            return False
        return plan.keys != built

    # -- the loupe (engine.run.loupe) --------------------------------------------------------

    def _step_loupe(self, inputs: RunInputs, full_plan: ScalePlan) -> list[float] | None:
        """Run one loupe step if a change of texture calls for it; None when the plan's scale should run."""
        loupe = self._loupe
        if loupe is not None and (self._scale.keys is None or full_plan.keys.source != self._scale.keys.source):
            loupe = self._loupe = None  # a new photo, size or network: the plan's scale rebuilds
        if loupe is None or not loupe.live:
            if not self._wants_loupe(full_plan):
                return None
            if self._preview is not None:
                self._end_preview()  # a change of colours being previewed goes into the picture first
            side = self._loupe_side_for(full_plan)
            top, left = place(self._focus, side, tuple(self._scale.picture.shape[-2:]), self._scale.margin)
            loupe = self._loupe = LoupeState(top, left, side)
            log.debug("loupe of %d px at (%d, %d) while settings change", side, left, top)
        elif full_plan.keys == loupe.scale.keys and loupe.settled():
            loupe.let_go()
            return None
        loupe.bring_up_to(self._builder, inputs, full_plan, self._scale)
        values = self._step(loupe.scale)
        loupe.stepped(values[-1])
        return values

    def _loupe_side_for(self, plan: ScalePlan) -> int | None:
        """The loupe's side for a change at ``plan``'s scale, or None where full-size steps show it as soon."""
        pace = self._pace.seconds if self._pace.side == plan.side else None
        if pace is None or self._temporal_target is not None:
            return None  # a clip's frame is painted unseen, as a batch
        return loupe_side(pace, tuple(self._scale.picture.shape[-2:]))

    def _wants_loupe(self, plan: ScalePlan) -> bool:
        return self._changes_look(plan) and not self._colours_only(plan) and self._loupe_side_for(plan) is not None

    # -- progressive refinement (engine.run.live_preview) ------------------------------------

    def _step_preview(self, inputs: RunInputs, full_plan: ScalePlan) -> list[float] | None:
        """Run one step at the preview side if a change calls for it; None when the plan's scale should run.

        A change of look at a scale whose steps are slow starts a preview; once
        the artist has let go, the preview's change is carried into the
        full-size picture and the plan's scale takes over again.
        """
        if self._preview is None:
            if not self._changes_look(full_plan):
                return None
            side = self._preview_side_for(full_plan)
            if side is None:
                return None
            log.debug("preview at %d px while settings change (%.2f s per step at %d px)",
                      side, self._pace.seconds, full_plan.side)  # fmt: skip
            full = self._scale.visible_rgb().clone()
            # The baseline is the full-size picture brought down, not the
            # preview's first picture: a new colour mode changes the picture as
            # the preview is built (luminance shows the photo's colours at
            # once), and that change must reach the composite too.
            low_start = resample(full, plan_scale_for(inputs, side).dims)
            self._preview = PreviewState(side, full, low_start)
            self._loupe = None  # a square of earlier settings over a change of colours would mislead
        preview = self._preview
        if self._scale.keys is None or full_plan.keys.source != self._scale.keys.source:
            # A new photo, size or network: that is no slider, the plan's scale rebuilds.
            self._end_preview()
            return None
        plan = plan_scale_for(inputs, preview.side)
        if self._preview_scale is None or plan.keys != self._preview_scale.keys:
            preview.changed()
        elif preview.settled():
            self._end_preview()
            return None
        # The preview's first picture is the plan's, brought down; later rebuilds start from its own.
        start_from = self._preview_scale or self._scale
        self._preview_scale = self._prepare(inputs, plan, self._preview_scale, start_from=start_from)
        values = self._step(self._preview_scale)
        preview.steps_since_change += 1
        return values

    def _preview_side_for(self, plan: ScalePlan) -> int | None:
        """The side at which to preview the change of look that ``plan`` makes, or None to take it full size."""
        pace = self._pace.seconds if self._pace.side == plan.side else None
        colours_only = self._colours_only(plan)
        if not colours_only and self._loupe_side_for(plan) is not None:
            return None  # a change of texture goes to the loupe, which shows it truly
        return preview_side(plan.side, pace, colours_only)

    def _colours_only(self, plan: ScalePlan) -> bool:
        """Whether ``plan`` differs from what the plan's scale was built for in the colour setting alone."""
        return plan.keys.without_colours() == self._scale.keys.without_colours()

    def _end_preview(self) -> None:
        """Carry the preview's change into the full-size picture and go back to the plan's scale."""
        shown = self._shown_rgb().detach()
        self._preview = self._preview_scale = None
        scale = self._scale
        scale.set_picture(scale.view.to_canvas(pad(shown, scale.margin)))
        scale.restart_optimizer()
        self._stillness.reset()

    def _shown_rgb(self, loupe: bool = True) -> torch.Tensor:
        """The picture as the artist sees it: during a preview, the full-size picture carrying its change;
        with ``loupe``, the loupe's square in place (never in a picture that is kept)."""
        if self._preview is None or self._preview_scale is None:
            shown = self._scale.visible_rgb()
        else:
            shown = self._preview.shown(self._preview_scale.visible_rgb())
        if loupe and self._loupe is not None and self._loupe.scale is not None:
            shown = self._loupe.shown(shown, self._scale.margin)
        return shown

    def _next_evaluation(self) -> int:
        self._evaluations += 1
        return self._evaluations

    def _superseded(self, stage: Stage) -> bool:
        """Whether the full-size step in flight at ``stage`` should be given up (engine.network.step_abandon).

        Only for a change whose first picture would otherwise wait for it: a
        cancel, a new photo, size or network, or a change of colours that
        starts a preview (which shows nearly all of it within a second).

        Not for a change of texture. The step in flight still helps: at 512 px
        on an AVX2 CPU, its finishing brought 11-14 % of a new weight's
        change, where the preview that took its place showed 1 % (a texture
        change is mostly too fine for it). Nor for a change that the plan's own
        scale takes up: during a drag, a change every 0.1 s, abandoning would
        keep any step from finishing.
        """
        if not self._news.is_set():
            return False
        self._news.clear()
        if self._cancelled.is_set():
            return True
        inputs = self._inputs
        params = inputs.params
        stages = plan_stages(params.size, params.steps)
        # The scale the run goes on at (the loop replans the same way): a new
        # size that leaves this scale shows as new dims in the source.
        side = stage_at(stages, replanned_step(stages, self.steps_done, stage.side)).side
        plan = plan_scale_for(inputs, side)
        if plan.keys.source != self._scale.keys.source:
            return True  # a new photo, size or network: the step in flight is for what is gone
        if not self._changes_look(plan):
            return False
        if self._colours_only(plan):
            return self._preview_side_for(plan) is not None
        # A change of texture that the loupe takes: its first picture would wait for the step, which
        # brings little of the change outside the square the artist looks at.
        return self._wants_loupe(plan)

    def _step(self, scale: ScaleState, abandonable_by: Stage | None = None) -> list[float]:
        """One optimiser step; at ``abandonable_by``'s scale, given up when a newer change calls for it.

        A tiled step too, between its tiles and within a tile at the
        network's checkpoints: its gradient is summed into a tensor of its own
        (``TiledObjective.loss_and_grad``) that the picture and the optimiser
        only see once the step is complete, as a whole step's is. At 2048 px a
        tiled step takes most of a minute on a CPU, which Stop used to wait for.
        """
        if abandonable_by is None:
            return scale.step(self._scaler, self._next_evaluation)
        with abandonable(lambda: self._superseded(abandonable_by)):
            return scale.step(self._scaler, self._next_evaluation)


def render(
    content: Image.Image, style: Image.Image | Sequence[Image.Image], params: StyleParams | None = None
) -> Image.Image:
    """Run a whole transfer and return the picture at the output size."""
    engine = StyleTransfer(content, style, params)
    for _ in engine.run():
        pass
    return engine.result()
