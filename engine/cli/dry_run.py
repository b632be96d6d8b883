"""``--dry-run``: what a run would do and take, painting nothing.

For each photo, the plan (its scales, their sizes, whole or in tiles, the
memory each needs) and the time it would take on this machine
(``engine.run.time_model``, from the runs kept in the app-data folder); a
range where the estimate is unsure. Nothing is painted and no file is
written. For scripts, the last line reads ``estimate: S s`` or
``estimate: LOW-HIGH s``, whole seconds, for all the photos together.
"""

from __future__ import annotations

import argparse
import math

from ..errors import BrushworkError
from .painting_options import prepare
from .region_options import regions_for_photo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (scales, sizes, tiles, memory) and the time it would take here; paint nothing",
    )


def check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    if args.dry_run and args.inputs.clip:
        raise BrushworkError("--dry-run plans pictures; a clip's time depends on its frames: paint it")
    if args.dry_run and args.ray:
        raise BrushworkError("--dry-run plans a run on this machine: leave out --ray")


def claims(args: argparse.Namespace) -> bool:
    return args.dry_run


def run(args: argparse.Namespace) -> int:
    from ..files.app_dirs import app_data_dir
    from ..network.vgg_weights import weights_loaded
    from ..pictures.images import MAX_DECODE_SIDE, load_image
    from ..print_size.print_estimate import GIB, machine_memory
    from ..print_size.print_estimate import estimate_render as estimate
    from ..run.time_history import RunHistory
    from ..run.time_model import ZERO, TimeModel, device_key, format_span

    job = prepare(args)
    params = job.params
    device = device_key(params)
    history = RunHistory.in_folder(app_data_dir())
    model = TimeModel(history.for_device(device), device, params.style_loss)
    free, dtype = machine_memory(params)
    total = ZERO
    cold = not weights_loaded(params.weights)
    for index, content_path in enumerate(job.contents):
        content = load_image(content_path, MAX_DECODE_SIDE)
        if args.keep_faces is not None:
            # The faces a run would keep, said as the run says them (a tenth of a second a photo): a user's trial
            # wanted the plan to say what --keep-faces would find.
            regions_for_photo(content, params, job.region_plan, args.keep_faces, content_path.name)
        plan = estimate(content.size, params, free_bytes=free, dtype=dtype, model=model, cold=cold and index == 0)
        top = plan.top
        print(
            f"{content_path.name}: {top.width} x {top.height} px, {params.steps} steps in {len(plan.scales)} "
            f"scales, on {device}"
        )
        for scale in plan.scales:
            how = f"in {scale.tile} px tiles" if scale.tiled else "whole"
            steps = f"{scale.steps} steps"
            expected = scale.expected_steps
            if expected is not None and params.stop_early and expected.mid < scale.steps:
                steps += f" (about {_steps(expected)} if it settles as others have)"
            print(
                f"  scale {scale.index + 1}: {scale.width} x {scale.height} px, {how}, {steps}, "
                f"{_seconds(scale.step_seconds)} a step, {scale.peak_bytes / GIB:.1f} GiB"
            )
        where = f"{plan.free_bytes / GIB:.1f} GiB free" if plan.free_bytes is not None else "memory free unknown"
        print(f"  memory: {plan.peak_bytes / GIB:.1f} GiB at most, at the {plan.peak.side} px scale ({where})")
        print(f"  time: {format_span(plan.seconds)}")
        total = total + plan.seconds
    basis = (
        f"from {len(model.records)} scales painted here before"
        if model.measured
        else f"a first guess: no {model.untimed}run on this device has been timed here yet"
    )
    print(f"time: {format_span(total)} in all ({basis})")
    if total.sure:
        print(f"estimate: {round(total.mid)} s")
    else:
        print(f"estimate: {math.floor(total.low)}-{math.ceil(total.high)} s")
    return 0


def _steps(span) -> str:
    low, high = round(span.low), round(span.high)
    return f"{low}" if low == high else f"{low}-{high}"


def _seconds(span) -> str:
    if span is None:
        return "?"
    return f"{span.mid:.2g} s" if span.mid < 10 else f"{span.mid:.0f} s"
