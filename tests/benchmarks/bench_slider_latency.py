"""How soon a moved slider shows in the picture, at a 512 px target: progressive refinement against none.

"Visibly shows it" is defined on the new settings' own objective. After a
change at t = 0, let E(t) be the new settings' content + style terms of the
picture on screen at time t, counted at the full output size. The reference
is the drop that the plan's own scale makes over the following minute
without any preview, E(0) - E(60 s). The latency is the first time the
picture on screen has made half that drop.

Each trial starts from the same picture, part-way through the top scale (a
default run's first scales, saved once), takes a few steps there so that the
engine knows its pace, then changes one setting as a slider or menu would:
beta, one layer's weight, the stroke scale or the colour mode. The change
arrives half-way through a step (``CHANGE_AT``), from another thread, as a
slider let go at a random moment does on average. Each change runs three
ways: without a preview, with the preview but the step in flight always
finished first (as before engine.step_abandon), and as Brushwork does it,
which gives that step up for a change of colours.

pastiche cannot change a picture in flight: to see a new setting it starts
again. Its figure is its restart, to the first picture after one step, which
is a lower bound (that picture barely shows any style yet).

    python tests/benchmarks/bench_slider_latency.py [--size 512] [--follow 60] [--tag NAME]

It also works out how much of the reference drop any preview at a given side
could show at best (``coarse_bound``): the goal is reachable by a preview only
where that share is over one half.

The loupe (engine.run.loupe) is measured in its square: for the texture
changes, each change also runs the way the previous round did it (no loupe:
"today's route") and with the loupe, and E is then the new settings' content
and style terms evaluated on the loupe's square (its photo, the paintings at
the full-size scale, and the square's context), for the picture on screen.
The reference is again the drop that the next minute of plain full-size
optimisation makes, there. A change of a region's strength runs on a picture
whose right half is a region.

    python tests/benchmarks/bench_slider_latency.py --quick --json out.json

``--quick`` follows each change for 20 s and skips the old "step in flight
finished" route; ``--json FILE`` writes
``{"cpu": ..., "changes": [{"change": NAME, "loupe_s": S, "full_s": S}, ...]}``
(full_s: today's route) for scripts.

Prints a table, writes results/slider_latency.json and a plot of E(t).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch
import torch.nn.functional as F

from tests.benchmarks.common import IMAGES, RESULTS, cpu_kind, print_table, run_pastiche, save_json

CONTENT, STYLE = IMAGES / "chelsea.png", IMAGES / "starry_night.jpg"
BOUND_SIDES = (128, 256, 384)  # sides at which the best possible preview is also worked out
PACE_STEPS = 3  # steps at the top scale before the change, so that the engine knows its pace
CHANGE_AT = 0.5  # the change arrives this far through a step, the average for a slider let go at random
CHANGES = {
    "beta 10 -> 50": lambda p: p.replace(beta=50.0),
    "conv4_1 weight 0.4 -> 2": lambda p: p.with_style_weight("conv4_1", 2.0),
    "stroke scale 1 -> 1.5": lambda p: p.replace(style_scale=1.5),
    "colours off -> match": lambda p: p.replace(keep_colors="match"),
    "region strength 1 -> 3": lambda p: p.replace(regions=(dataclasses.replace(p.regions[0], strength=3.0),)),
}
TEXTURE = {name for name in CHANGES if not name.startswith("colours")}


def with_region(name: str, params, size_wh: tuple[int, int]):
    """For the region change: its starting settings (the right half a region of strength 1) and masks."""
    if not name.startswith("region"):
        return params, None
    from brushwork.engine.settings.regions import RegionMasks, RegionSetting
    from PIL import Image

    width, height = size_wh
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, (width // 2, 0, width, height))
    return params.replace(regions=(RegionSetting("red", strength=1.0),)), RegionMasks(photo=(mask,))


def warm_start(size: int):
    """The picture a default run has when its top scale begins, and that scale's first step."""
    from brushwork.engine import StyleParams, StyleTransfer, load_image
    from brushwork.engine.run.schedule import plan_stages

    params = StyleParams(size=size)
    top = plan_stages(size, params.steps)[-1]
    engine = StyleTransfer(load_image(CONTENT, 4096), load_image(STYLE, 4096), params)
    for progress in engine.run():
        if progress.step >= top.first_step:
            engine.cancel()
    return engine.result(), top.first_step, params


def trial(
    start, first_step: int, params, change, follow: float, preview: bool, abandon: bool = True,
    loupe: bool = False, masks=None,
) -> dict:
    """Change a setting at t = 0, part-way through a step, and record what the screen shows for ``follow`` s.

    ``abandon=False`` lets the step in flight finish, as the engine did before
    engine.step_abandon.
    """
    import threading

    from brushwork.engine import StyleTransfer, load_image
    from brushwork.engine.run import live_preview
    from brushwork.engine.run import loupe as loupes

    saved = live_preview.LIVE_STEP_SECONDS, live_preview.TEXTURE_PREVIEW_SECONDS, loupes.SLOW_STEP_SECONDS
    if not preview:
        # Never slower than the budgets: no preview.
        live_preview.LIVE_STEP_SECONDS = live_preview.TEXTURE_PREVIEW_SECONDS = float("inf")
    if not loupe:
        loupes.SLOW_STEP_SECONDS = float("inf")  # the route before the loupe
    try:
        engine = StyleTransfer(
            load_image(CONTENT, 4096), load_image(STYLE, 4096), params.replace(stop_early=False),
            start_picture=start, start_step=first_step, masks=masks,
        )  # fmt: skip
        if not abandon:
            engine._superseded = lambda stage: False
        frames, sides, boxes = [], [], []
        changed_at = None
        shown = {}  # the last picture on screen, and when it came

        def make_change():
            nonlocal changed_at
            frames.append((0.0, shown["frame"]))
            engine.update(change(params).replace(stop_early=False))
            changed_at = time.perf_counter()

        timer = None
        for progress in engine.run():
            now = time.perf_counter()
            if changed_at is None:
                if progress.preview is not None:
                    shown["frame"] = progress.preview
                if timer is None and progress.step >= first_step + PACE_STEPS:
                    timer = threading.Timer(CHANGE_AT * (now - shown["at"]), make_change)
                    timer.start()
                shown["at"] = now
                continue
            sides.append((now - changed_at, progress.preview_side))
            if progress.loupe is not None:
                boxes.append(progress.loupe.box)
            if progress.preview is not None:
                frames.append((now - changed_at, progress.preview))
            if now - changed_at >= follow:
                engine.cancel()
        return {"frames": frames, "sides": sides, "boxes": boxes, "engine": engine}
    finally:
        live_preview.LIVE_STEP_SECONDS, live_preview.TEXTURE_PREVIEW_SECONDS, loupes.SLOW_STEP_SECONDS = saved


def energies(engine, frames, times, square=None) -> list[tuple[float, float]]:
    """E(t) of the frames nearest to ``times``: the full-size objective of the new settings (with ``square``,
    a ``SquareObjective``: on the loupe's square)."""
    out = []
    for t in times:
        when, frame = min((f for f in frames if f[1] is not None), key=lambda f: abs(f[0] - t))
        if out and when == out[-1][0]:
            continue
        rgb = _tensor(engine, frame)
        out.append((when, square(rgb) if square is not None else energy(engine, rgb)))
    return out


class SquareObjective:
    """The new settings' content and style terms on the loupe's square (with its context), as the loupe
    counts them: the photo's square, and the paintings at the full-size scale."""

    def __init__(self, engine, box: tuple[int, int, int, int]) -> None:
        from brushwork.engine.run import loupe as loupes
        from brushwork.engine.run.scale_building import plan_scale_for

        full = engine._scale
        left, top, right, bottom = box
        margin, context = full.margin, loupes.CONTEXT
        reach = margin + context
        self.crop = (top + margin - context, left + margin - context, bottom + reach, right + reach)
        plan = plan_scale_for(engine._inputs, max(full.visible().shape[-2:]))
        self.scale = engine._builder.build_loupe(engine._inputs, plan, full, self.crop, context)
        self.full = full

    def __call__(self, rgb: torch.Tensor) -> float:
        margin = self.full.margin
        canvas = F.pad(rgb, (margin,) * 4, mode="reflect") if margin else rgb
        top, left, bottom, right = self.crop
        part = canvas[..., top:bottom, left:right]
        scale = self.scale
        with torch.no_grad():
            return scale.objective(scale.view.to_network(scale.view.to_canvas(part)))[1][3].item()


def energy(engine, rgb: torch.Tensor) -> float:
    """The full-size objective of the new settings (content + style terms) of picture ``rgb``."""
    objective, view, margin = engine._scale.objective, engine._scale.view, engine._scale.margin
    canvas = F.pad(rgb, (margin,) * 4, mode="reflect") if margin else rgb
    with torch.no_grad():
        return objective(view.to_network(view.to_canvas(canvas)))[1][3].item()


def coarse_bound(engine, frames, side: int) -> float:
    """E of the best picture any preview at ``side`` could show: one that knew the minute's end.

    The picture at t = 0 plus the change that full-size optimisation makes in
    the minute, brought down to ``side`` and up again, as the composite does. A
    preview cannot do better than the coarse part of the change it aims at, so
    if this stays above the half-way line, no preview at that side gets there.
    """
    from brushwork.engine.pictures import images
    from brushwork.engine.run.live_preview import composite, resample

    first, last = _tensor(engine, frames[0][1]), _tensor(engine, frames[-1][1])
    dims = images.fit_dims(first.shape[-1], first.shape[-2], side)
    return energy(engine, composite(first, resample(last, dims), resample(first, dims)))


def _tensor(engine, frame) -> torch.Tensor:
    from brushwork.engine.pictures import images

    return images.to_tensor(frame_to_pil(frame)).to(engine.device)


def frame_to_pil(frame):
    from PIL import Image

    return Image.fromarray(frame)


def latency(curve: list[tuple[float, float]], reference_drop: float) -> float | None:
    start = curve[0][1]
    for t, energy in curve:
        if start - energy >= 0.5 * reference_drop:
            return t
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--follow", type=float, default=None, help="seconds to follow each change (60; --quick: 20)")
    ap.add_argument("--changes", nargs="+", type=int, default=list(range(len(CHANGES))))
    ap.add_argument("--quick", action="store_true", help="fewer trials: the same measure, 20 s a change")
    ap.add_argument("--json", type=Path, help="also write the loupe's and today's latencies here")
    ap.add_argument("--tag", default="slider_latency", help="name of the JSON and plot under results/")
    args = ap.parse_args(argv)
    follow = args.follow if args.follow is not None else (20.0 if args.quick else 60.0)
    began = time.perf_counter()
    peer = run_pastiche(CONTENT, STYLE, args.size, 1, RESULTS / "tmp" / "pastiche_restart", every=1)
    peer_restart = time.perf_counter() - began
    start, first_step, base = warm_start(args.size)
    times = [0.0, *[0.25 * i for i in range(1, 25)], *range(8, int(follow) + 1, 4)]
    records, rows, summary = [], [], []
    for index in args.changes:
        name, change = list(CHANGES.items())[index]
        params, masks = with_region(name, base, start.size)

        def run(params=params, change=change, masks=masks, **kw):
            return trial(start, first_step, params, change, follow, masks=masks, **kw)

        plain = run(preview=False)
        plain_curve = energies(plain["engine"], plain["frames"], times)
        waited = None if args.quick else run(preview=True, abandon=False)
        today = run(preview=True)  # the route before the loupe
        # All curves are counted by the same objective: the plain run's full-size one.
        waited_curve = energies(plain["engine"], waited["frames"], times) if waited else None
        today_curve = energies(plain["engine"], today["frames"], times)
        reference = plain_curve[0][1] - plain_curve[-1][1]
        sides = sorted({s for _, s in today["sides"] if s is not None})
        record = {
            "change": name, "reference_drop": reference,
            "plain_latency": latency(plain_curve, reference), "live_latency": latency(today_curve, reference),
            "step_finished_latency": latency(waited_curve, reference) if waited_curve else None,
            "plain_curve": plain_curve, "step_finished_curve": waited_curve, "live_curve": today_curve,
            "preview_sides": sides,
        }  # fmt: skip
        if not args.quick:
            # The share of the reference drop that the best preview at each side could show (see coarse_bound).
            record["coarse_bound_share"] = {
                side: (plain_curve[0][1] - coarse_bound(plain["engine"], plain["frames"], side)) / reference
                for side in sorted({*sides, *BOUND_SIDES})
            }
        if name in TEXTURE:
            looked = run(preview=True, loupe=True)
            if looked["boxes"]:
                box = looked["boxes"][0]
                square = SquareObjective(plain["engine"], box)
                sq_plain = energies(plain["engine"], plain["frames"], times, square)
                sq_reference = sq_plain[0][1] - sq_plain[-1][1]
                sq_today = energies(plain["engine"], today["frames"], times, square)
                sq_loupe = energies(plain["engine"], looked["frames"], times, square)
                record.update({
                    "loupe_box": box, "square_reference_drop": sq_reference,
                    "square_plain_curve": sq_plain, "square_today_curve": sq_today, "square_loupe_curve": sq_loupe,
                    "loupe_latency": latency(sq_loupe, sq_reference),
                    "today_square_latency": latency(sq_today, sq_reference),
                })  # fmt: skip
            else:
                record.update({"loupe_box": None, "loupe_latency": None, "today_square_latency": None})
            side = record["loupe_box"][2] - record["loupe_box"][0] if record["loupe_box"] else None
            summary.append({"change": name, "loupe_s": record["loupe_latency"],
                            "full_s": record["today_square_latency"], "loupe_side": side})  # fmt: skip
        records.append(record)
        waited_s = _s(record["step_finished_latency"]) if waited else "-"
        rows.append([name, _s(record["plain_latency"]), waited_s,
                     _s(record["live_latency"]), ", ".join(map(str, sides)) or "-",
                     _s(record.get("today_square_latency")), _s(record.get("loupe_latency")),
                     str(record["loupe_box"][2] - record["loupe_box"][0]) if record.get("loupe_box") else "-",
                     f"{peer_restart:.1f}"])  # fmt: skip
        print_table(["change", "no preview s", "preview, step in flight finished s", "today's route s",
                     "preview px", "square: today s", "square: loupe s", "loupe px", "pastiche restart s"],
                    rows)  # fmt: skip
        print(flush=True)
        save_json(args.tag, {"cpu_kind": cpu_kind(), "size": args.size, "follow": follow,
                             "pastiche_restart_seconds": peer_restart, "results": records})  # fmt: skip
        if args.json:
            args.json.write_text(json.dumps({"cpu": cpu_kind(), "size": args.size, "changes": summary}, indent=1))
        plot(records, RESULTS / f"{args.tag}.png")
    del peer
    return 0


def _s(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "not reached"


def plot(records: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(records), figsize=(4 * len(records), 3.2), squeeze=False)
    for ax, record in zip(axes.flat, records, strict=True):
        for key, marker, label in (
            ("plain", "o-", "no preview"),
            ("step_finished", "^-", "preview, step in flight finished"),
            ("live", "s-", "today's route"),
        ):
            if not record.get(f"{key}_curve"):
                continue
            t, v = zip(*record[f"{key}_curve"], strict=True)
            ax.plot(t, v, marker, markersize=3, label=f"{label} ({_s(record[f'{key}_latency'])} s)")
        start = record["plain_curve"][0][1]
        ax.axhline(start - 0.5 * record["reference_drop"], color="grey", linewidth=0.8, linestyle="--")
        ax.set_title(record["change"], fontsize=9)
        ax.set_xlabel("seconds after the change")
        ax.set_ylabel("E, new settings")
        ax.set_xscale("symlog", linthresh=2.0)
        ax.set_xlim(left=0.0)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    sys.exit(main())
