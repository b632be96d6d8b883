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

Prints a table, writes results/slider_latency.json and a plot of E(t).
"""

from __future__ import annotations

import argparse
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
}


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


def trial(start, first_step: int, params, change, follow: float, preview: bool, abandon: bool = True) -> dict:
    """Change a setting at t = 0, part-way through a step, and record what the screen shows for ``follow`` s.

    ``abandon=False`` lets the step in flight finish, as the engine did before
    engine.step_abandon.
    """
    import threading

    from brushwork.engine import StyleTransfer, load_image
    from brushwork.engine.run import live_preview

    saved = live_preview.LIVE_STEP_SECONDS, live_preview.TEXTURE_PREVIEW_SECONDS
    if not preview:
        # Never slower than the budgets: no preview.
        live_preview.LIVE_STEP_SECONDS = live_preview.TEXTURE_PREVIEW_SECONDS = float("inf")
    try:
        engine = StyleTransfer(
            load_image(CONTENT, 4096), load_image(STYLE, 4096), params.replace(stop_early=False),
            start_picture=start, start_step=first_step,
        )  # fmt: skip
        if not abandon:
            engine._superseded = lambda stage: False
        frames, sides = [], []
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
            if progress.preview is not None:
                frames.append((now - changed_at, progress.preview))
            if now - changed_at >= follow:
                engine.cancel()
        return {"frames": frames, "sides": sides, "engine": engine}
    finally:
        live_preview.LIVE_STEP_SECONDS, live_preview.TEXTURE_PREVIEW_SECONDS = saved


def energies(engine, frames, times) -> list[tuple[float, float]]:
    """E(t) of the frames nearest to ``times``: the full-size objective of the new settings."""
    out = []
    for t in times:
        when, frame = min((f for f in frames if f[1] is not None), key=lambda f: abs(f[0] - t))
        if out and when == out[-1][0]:
            continue
        out.append((when, energy(engine, _tensor(engine, frame))))
    return out


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
    ap.add_argument("--follow", type=float, default=60.0, help="seconds to follow each change")
    ap.add_argument("--changes", nargs="+", type=int, default=list(range(len(CHANGES))))
    ap.add_argument("--tag", default="slider_latency", help="name of the JSON and plot under results/")
    args = ap.parse_args(argv)
    began = time.perf_counter()
    peer = run_pastiche(CONTENT, STYLE, args.size, 1, RESULTS / "tmp" / "pastiche_restart", every=1)
    peer_restart = time.perf_counter() - began
    start, first_step, params = warm_start(args.size)
    times = [0.0, *[0.25 * i for i in range(1, 25)], *range(8, int(args.follow) + 1, 4)]
    records, rows = [], []
    for index in args.changes:
        name, change = list(CHANGES.items())[index]
        plain = trial(start, first_step, params, change, args.follow, preview=False)
        plain_curve = energies(plain["engine"], plain["frames"], times)
        waited = trial(start, first_step, params, change, args.follow, preview=True, abandon=False)
        live = trial(start, first_step, params, change, args.follow, preview=True)
        # All curves are counted by the same objective: the plain run's full-size one.
        waited_curve = energies(plain["engine"], waited["frames"], times)
        live_curve = energies(plain["engine"], live["frames"], times)
        reference = plain_curve[0][1] - plain_curve[-1][1]
        sides = sorted({s for _, s in live["sides"] if s is not None})
        # The share of the reference drop that the best preview at each side could show (see coarse_bound).
        bounds = {side: (plain_curve[0][1] - coarse_bound(plain["engine"], plain["frames"], side)) / reference
                  for side in sorted({*sides, *BOUND_SIDES})}  # fmt: skip
        record = {
            "change": name, "reference_drop": reference,
            "plain_latency": latency(plain_curve, reference), "live_latency": latency(live_curve, reference),
            "step_finished_latency": latency(waited_curve, reference),
            "plain_curve": plain_curve, "step_finished_curve": waited_curve, "live_curve": live_curve,
            "preview_sides": sides, "coarse_bound_share": bounds,
        }  # fmt: skip
        records.append(record)
        rows.append([name, _s(record["plain_latency"]), _s(record["step_finished_latency"]),
                     _s(record["live_latency"]),
                     ", ".join(map(str, sides)) or "-",
                     " ".join(f"{side}:{share:.2f}" for side, share in bounds.items()),
                     f"{peer_restart:.1f}"])  # fmt: skip
        print_table(["change", "no preview s", "preview, step in flight finished s", "as Brushwork does it s",
                     "preview px", "best preview's share (px:share)", "pastiche restart s"], rows)  # fmt: skip
        print(flush=True)
        save_json(args.tag, {"cpu_kind": cpu_kind(), "size": args.size, "follow": args.follow,
                                     "pastiche_restart_seconds": peer_restart, "results": records})  # fmt: skip
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
            ("live", "s-", "as Brushwork does it"),
        ):
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
