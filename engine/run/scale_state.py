"""Everything that belongs to one scale of a run, in one object.

A scale's picture, its objective (targets and weights), its optimiser, its
memory plan, where it is held to the photo, and a clip's temporal term are
built together for one size and one set of settings, and they only make sense
together: an L-BFGS history belongs to the picture it was built on, a memory
plan to the objective that was tiled by it. The run paints one ``ScaleState``
at a time; a preview is simply another one, at a smaller side, built beside
the plan's, so that the plan's scale is never taken apart to make room for it.
(It once was: a preview swapped the engine's attributes out by name and back,
and the one name missing from the list, the memory plan, came back as the
preview's: after a preview at a tiled 4096 px scale, the next optimiser would
have held 20 float32 curvature pairs, about 5.4 GB, instead of 3 in bfloat16.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..objective.colour_transfer import ColourView
from ..objective.guided_gram import normalise_guides
from ..objective.loss_scaling import LossScaler
from ..objective.scale_objective import Objective
from ..objective.temporal_term import TemporalTerm
from ..objective.tiled_objective import TiledObjective, grid_offset
from ..optimisers.adam import Adam
from ..optimisers.lbfgs import LBFGS
from ..settings.style_params import StyleParams
from .memory_plan import LBFGS_HISTORY, ScaleMemory

ADAM_LR = 0.02  # in [0, 1] pixel units


@dataclass(frozen=True)
class Source:
    """What a picture is of: the network, the photo and the size.

    A change here is no slider: every target is rebuilt, a preview ends, and a
    full-size step in flight is worthless.
    """

    network: tuple
    content_version: int
    dims: tuple[int, int]


@dataclass(frozen=True)
class ScaleKeys:
    """What a scale was built for. Each group of fields says what must be rebuilt when it changes."""

    source: Source
    content: tuple  # the content layer and clean edges: with ``source`` and the colour mode, the content target
    colour_mode: str  # keep_colors: changes what the network sees, so every target
    colour_strength: float | None  # for "match" only: the style images' colours
    style: tuple  # the style images, their sizes and trims, the layers, the masks on the paintings
    weights: tuple  # alpha, beta, the layers' weights, the blend, the regions: no new target

    @property
    def targets(self) -> tuple:
        """A change here rebuilds the whole scale."""
        return self.source, self.content, self.colour_mode

    @property
    def styles(self) -> tuple:
        """A change here rebuilds the style targets only."""
        return self.style, self.colour_mode, self.colour_strength

    def without_colours(self) -> ScaleKeys:
        return dataclasses.replace(self, colour_mode="", colour_strength=None)


def crop(canvas: torch.Tensor, margin: int) -> torch.Tensor:
    return canvas[..., margin : canvas.shape[-2] - margin, margin : canvas.shape[-1] - margin] if margin else canvas


def pad(picture: torch.Tensor, margin: int) -> torch.Tensor:
    return F.pad(picture, (margin, margin, margin, margin), mode="reflect") if margin else picture


class ScaleState:
    """One scale's picture (a canvas with ``margin`` extra pixels all round) and what optimises it."""

    def __init__(
        self,
        keys: ScaleKeys,
        *,
        margin: int,
        view: ColourView,
        content_rgb: torch.Tensor,
        objective: Objective | TiledObjective,
        memory: ScaleMemory,
        temporal: TemporalTerm | None,
    ) -> None:
        self.keys: ScaleKeys | None = keys  # None once released: it must be rebuilt before the next step
        self.margin = margin
        self.view = view
        self.content_rgb = content_rgb  # the photo at this scale, margin included
        self.objective: Objective | TiledObjective | None = objective
        self.memory = memory  # how this scale fits its memory: tiles, curvature pairs and their format
        self.temporal = temporal
        self.hold: tuple[torch.Tensor, torch.Tensor] | None = None  # (weight, photo): see set_hold
        self.picture: torch.Tensor | None = None
        # A copy of the canvas as the last step evaluated it, and of the best
        # one of the recent steps: what a NaN step falls back to (keep_if_best).
        self.evaluated: torch.Tensor | None = None
        self.best: torch.Tensor | None = None
        self._best_loss: float | None = None  # None: no step evaluated since the picture or objective changed
        self._best_keys: ScaleKeys | None = None  # the objective that loss was measured by
        self.optimizer: LBFGS | Adam | None = None
        self.optimizer_kind: str | None = None
        self._step_scale: float | None = None  # the optimiser's, once released (step_scale)

    @property
    def tiled(self) -> bool:
        return isinstance(self.objective, TiledObjective)

    def release(self) -> None:
        """Drop the targets and the optimiser (the largest parts), keeping the picture to start the next from."""
        self._step_scale = self.step_scale()
        self.objective = self.optimizer = None
        self.keys = None

    def step_scale(self) -> float | None:
        """L-BFGS's learnt step scale per pixel value (kept when the scale is released), for a scale that
        starts from this one's picture; None without one."""
        if isinstance(self.optimizer, LBFGS):
            return self.optimizer.step_scale_per_element()
        return self._step_scale

    # -- the picture ---------------------------------------------------------------

    def set_picture(self, picture: torch.Tensor) -> None:
        self.picture = picture.detach().clamp_(0.0, 1.0).contiguous().requires_grad_(True)
        # The fallback copies are only read back after a NaN. At print size they
        # are kept in half precision (5e-4 of a pixel value): 134 MB less at 4096 px.
        copies = torch.float16 if self.tiled else self.picture.dtype
        self.evaluated = self.picture.detach().to(copies, copy=True)
        self.best = self.picture.detach().to(copies, copy=True)
        self._best_loss = None

    def canvas(self) -> torch.Tensor:
        """What the artist is shown: the optimised canvas, blended with the photo where it is held (``set_hold``)."""
        if self.hold is None:
            return self.picture
        weight, photo = self.hold
        return torch.lerp(self.picture, photo, weight)

    def visible(self) -> torch.Tensor:
        """The canvas without its margin (one channel in luminance mode)."""
        return crop(self.canvas().detach(), self.margin)

    def visible_rgb(self) -> torch.Tensor:
        """The picture in RGB, without its margin."""
        return crop(self.view.to_rgb(self.canvas().detach()), self.margin)

    def painted_rgb(self) -> torch.Tensor:
        """The optimised picture in RGB, without its margin and without the hold: what a scale built from
        this one starts from (starting from the blend would blend it with the photo a second time)."""
        return crop(self.view.to_rgb(self.picture.detach()), self.margin)

    def set_hold(self, params: StyleParams, masks: torch.Tensor | None) -> None:
        """Where the picture is held to the photo: its "photo only" regions, and outside the regions if so chosen.

        Not in Gatys et al. 2017, where a region without style still moves:
        the style of its neighbours reaches it through the network's receptive
        fields (at 64 px its content error was half that of a fully styled
        picture). What the artist is shown, saved and exported is the painted
        picture blended with the photo, canvas = x (1 - h) + photo h, like a
        layer mask: a held pixel is the photo exactly, and a pixel held by h is
        (1 - h) of the painted picture's departure from the photo, never more.

        The network judges x, not the blend. When it judged the blend, the
        style term asked a partly held pixel to look fully painted while only
        (1 - h) of x reached it, so x was driven 1 / (1 - h) times as far,
        to extreme colours: where two soft brush strokes met, the dip of h
        between them came out as one-pixel green and magenta lines, and a
        pixel held by half moved from the photo by twice its share.
        """
        self.hold = None
        if masks is None:
            return
        guides = normalise_guides(masks, outside=True)
        held = [guides[i] for i, region in enumerate(params.regions) if region.photo_only]
        if params.outside_regions == "photo":
            held.append(guides[-1])
        if not held:
            return
        weight = torch.stack(held).sum(0).clamp_(0.0, 1.0)[None, None]
        if bool(weight.any()):
            self.hold = (weight, self.view.to_canvas(self.content_rgb).detach())

    def keep_if_best(self, loss: float) -> None:
        """After a step whose loss was finite: keep the picture it evaluated if that is the best of the recent
        steps, those since the picture or the objective last changed.

        The last finite picture is not enough: when the loss grows for several
        steps before it becomes NaN (too high a beta, float16's range), the
        last finite picture is already ruined. Losses are only compared under
        one objective: after a slider's change the loss jumps, and a picture
        kept under the old one is no fallback for the new.
        """
        if self._best_loss is not None and self._best_keys == self.keys and not loss <= self._best_loss:
            return
        self.best, self.evaluated = self.evaluated, self.best
        self._best_loss, self._best_keys = loss, self.keys

    def fall_back(self) -> None:
        """After a non-finite loss: the best picture of the recent steps, and an optimiser without NaN in it."""
        with torch.no_grad():
            self.picture.copy_(self.best)
        self.new_optimizer(self.optimizer_kind)

    # -- the optimiser -------------------------------------------------------------

    def new_optimizer(self, kind: str) -> None:
        if kind == "adam":
            self.optimizer = Adam(self.picture, lr=ADAM_LR)
        elif self.tiled:
            # Print size: the history is most of the memory, so as many pairs as the scale's budget holds.
            self.optimizer = LBFGS(self.picture, history=self.memory.history, store=self.memory.store)
        else:
            self.optimizer = LBFGS(self.picture, history=LBFGS_HISTORY)
        self.optimizer_kind = kind

    def reset_optimizer(self) -> None:
        if isinstance(self.optimizer, LBFGS):
            # The objective changed: old curvature pairs would mislead L-BFGS.
            self.optimizer.reset()

    def restart_optimizer(self) -> None:
        """A new picture: no curvature pair carries over, but L-BFGS's step scale does."""
        if isinstance(self.optimizer, LBFGS):
            self.optimizer = self.optimizer.restarted(self.picture)
        else:
            self.new_optimizer(self.optimizer_kind)

    # -- one step --------------------------------------------------------------------

    def step(self, scaler: LossScaler, next_evaluation: Callable[[], int]) -> list[float]:
        """One optimiser step; returns the reported terms [content, style, tv, total].

        ``next_evaluation`` numbers the run's evaluations, which moves a tiled
        scale's grid (``tiled_objective.grid_offset``).
        """
        objective, view = self.objective, self.view
        report: list[torch.Tensor] = []

        def closure() -> torch.Tensor:
            # The optimiser has not moved the picture yet: keep a copy of what
            # is evaluated (no read-back here; the run checks the loss after the step).
            self.evaluated.copy_(self.picture.detach())
            total, terms = scaler.backward(
                lambda: self._evaluate(objective, view, next_evaluation, scaler), self.picture
            )
            report.append(terms)
            return total

        if isinstance(self.optimizer, LBFGS):
            self.optimizer.step(closure)
        else:
            self.optimizer.zero_grad(set_to_none=True)
            with torch.enable_grad():
                closure()
            self.optimizer.step()
            with torch.no_grad():
                self.picture.clamp_(0.0, 1.0)
        return report[-1].tolist()

    def _evaluate(
        self,
        objective: Objective | TiledObjective,
        view: ColourView,
        next_evaluation: Callable[[], int],
        scaler: LossScaler,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss (whose backward reaches the picture) and the reported terms; a clip's frame adds its
        temporal term to the total."""
        # The network judges the picture itself, never its blend with the photo (see set_hold).
        total, terms = self._network_loss(objective, view, self.picture, next_evaluation, scaler)
        if self.temporal is None:
            return total, terms
        term = self.temporal(self.canvas())  # a clip's frames follow each other as they are shown
        return total + term, torch.cat([terms[:3], terms[3:] + term.detach()])

    @staticmethod
    def _network_loss(
        objective: Objective | TiledObjective,
        view: ColourView,
        canvas: torch.Tensor,
        next_evaluation: Callable[[], int],
        scaler: LossScaler,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The objective's loss and reported terms [content, style, tv, total].

        A tiled objective backpropagates tile by tile inside, so ``scaler``
        scales each tile's pass there; the picture's float32 gradient it
        returns is then scaled again by ``scaler.backward``, exactly (a power of two).
        """
        seen = view.to_network(canvas)
        if not isinstance(objective, TiledObjective):
            return objective(seen)
        # Tile by tile, with the grid moved every evaluation so that no seam can
        # settle in one place (the objective is the same for every grid). Its
        # gradient reaches the picture through the colour view by a linear
        # term with the value of the total.
        offset = grid_offset(next_evaluation(), objective.tile)
        total, terms, grad = objective.loss_and_grad(seen.detach(), offset, scaler)
        linear = (seen * grad).sum()
        return linear - linear.detach() + total, terms
