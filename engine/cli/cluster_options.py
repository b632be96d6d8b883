"""``brushwork-render 'photos/*.jpg' -s STYLE -o out/ --ray auto``: the batch on a Ray cluster
(``engine.cluster.batch_cluster``); a clip in overlapping chunks, one per worker (``engine.cluster.clip_cluster``)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..cluster.clip_chunks import OVERLAP
from ..errors import BrushworkError
from ..settings.style_params import StyleParams
from .clip_options import video_settings
from .output import picture_outputs, report_error, writable_folder, write_picture
from .painting_options import prepare
from .region_options import RegionPlan, regions_for_photo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    cluster = parser.add_argument_group(
        "cluster",
        "paint the photos, or a clip in overlapping chunks, on a Ray cluster, one worker per core "
        "(pip install 'brushwork[cluster]'; every machine of the cluster needs Brushwork installed)",
    )
    cluster.add_argument(
        "--ray",
        metavar="auto|ADDRESS",
        help="'auto' starts a local cluster (or joins the one 'ray start' runs here); ADDRESS joins an existing one "
        "(e.g. ray://head:10001)",
    )
    cluster.add_argument("--ray-cpus", type=float, metavar="N", help="cores for each worker (default 1)")
    cluster.add_argument("--ray-gpus", type=float, metavar="N", help="GPUs for each worker (default 0)")
    cluster.add_argument(
        "--ray-overlap",
        type=int,
        metavar="N",
        help=f"a clip's frames that each chunk paints with the one before, to fade from it (default {OVERLAP})",
    )


def check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse what a cluster run would leave out, before anything is painted."""
    if not args.ray:
        for flag in ("ray_cpus", "ray_gpus", "ray_overlap"):
            if getattr(args, flag) is not None:
                raise BrushworkError(f"--{flag.replace('_', '-')} goes with --ray")
        return
    for flag, given in (("--timelapse", args.timelapse), ("--shrink-on-oom", args.shrink_on_oom)):
        if given:
            raise BrushworkError(f"{flag} is for the in-process run: leave out --ray")
    if args.ray_cpus is not None and not 0 < args.ray_cpus <= 1024:
        raise BrushworkError(f"--ray-cpus must be above 0, not {args.ray_cpus}")
    if args.ray_gpus is not None and not 0 <= args.ray_gpus <= 64:
        raise BrushworkError(f"--ray-gpus must be from 0 to 64, not {args.ray_gpus}")
    if args.ray_overlap is not None:
        if not args.inputs.clip:
            raise BrushworkError("--ray-overlap is for a clip, not pictures")
        if not 0 <= args.ray_overlap <= 100:
            raise BrushworkError(f"--ray-overlap must be from 0 to 100 frames, not {args.ray_overlap}")


def claims(args: argparse.Namespace) -> bool:
    return bool(args.ray)


def run(args: argparse.Namespace) -> int:
    """A clip in chunks, or the photos, on the cluster."""
    job = prepare(args)
    if args.inputs.clip:
        return render_clip_on_ray(job.contents[0], job.styles, job.params, video_settings(args), args)
    outputs = picture_outputs(job.contents, args.output, args.inputs.globbed, args.depth)
    return render_on_ray(job.contents, outputs, job.styles, job.params, args, job.region_plan)


def render_on_ray(
    contents: list[Path],
    outputs: list[Path],
    styles,
    params: StyleParams,
    args: argparse.Namespace,
    region_plan: RegionPlan | None,
) -> int:
    """Paint every photo on the cluster and write each picture here as it comes back; 1 if any failed."""
    from ..cluster.batch_cluster import PaintTask, TaskReport, paint_batch
    from ..pictures.images import MAX_DECODE_SIDE, load_image
    from ..run.progress import format_duration

    total = len(contents)
    failures = 0
    saved = 0

    def label(index: int) -> str:
        return f"[{index + 1}/{total}] {contents[index].name}"

    def tasks():
        nonlocal failures
        for index, path in enumerate(contents):
            try:
                content = load_image(path, MAX_DECODE_SIDE)
            except BrushworkError as exc:
                failures += 1
                report_error(f"[{index + 1}/{total}] {exc}")
                continue
            try:
                task_params, masks = regions_for_photo(content, params, region_plan, args.keep_faces, path.name)
            except BrushworkError as exc:
                failures += 1
                report_error(f"[{index + 1}/{total}] {exc}")
                continue
            yield PaintTask(index, path.name, content, task_params, masks)

    def report(outcome: TaskReport) -> None:
        nonlocal failures, saved
        index = outcome.task.index
        if outcome.painted is None:
            if outcome.retrying:
                print(f"{label(index)}: failed on the cluster, trying once more: {outcome.error}", file=sys.stderr)
            else:
                failures += 1
                report_error(f"{label(index)} failed twice: {outcome.error}")
            return
        painted = outcome.painted
        try:
            write_picture(painted.picture, painted.picture16, outcome.task.params, outputs[index], args.depth)
        except BrushworkError as exc:
            failures += 1
            report_error(f"{label(index)}: {exc}")
            return
        saved += 1
        if not args.quiet:
            print(
                f"{label(index)} saved {outputs[index]} ({format_duration(painted.seconds)} on {painted.worker}; "
                f"{saved + failures} of {total} done)",
                file=sys.stderr,
            )

    started = time.monotonic()
    workers = paint_batch(
        tasks(),
        total,
        styles,
        report,
        address=args.ray,
        cpus_per_worker=args.ray_cpus or 1.0,
        gpus_per_worker=args.ray_gpus or 0.0,
    )
    if not args.quiet:
        print(
            f"batch: {saved} of {total} pictures in {format_duration(time.monotonic() - started)} "
            f"on {workers} Ray worker{'s' if workers != 1 else ''}" + (f", {failures} failed" if failures else ""),
            file=sys.stderr,
        )
    return 1 if failures else 0


def render_clip_on_ray(clip: Path, styles, params: StyleParams, settings, args: argparse.Namespace) -> int:
    """Paint the clip's chunks on the cluster, then join and write it here; 1 if a chunk failed twice (the
    others are kept, and the same command paints only the rest)."""
    from ..cluster.batch_cluster import TaskReport
    from ..cluster.clip_cluster import ChunkedClip, paint_clip
    from ..run.progress import format_duration

    output = Path(args.output)
    writable_folder(output)
    overlap = args.ray_overlap if args.ray_overlap is not None else OVERLAP
    chunked = ChunkedClip(clip, styles, params, output, settings, overlap)
    info, (height, width) = chunked.render.info, chunked.render.dims
    quiet = args.quiet
    if not quiet:
        print(
            f"{clip.name}: {info.frames} frames at {float(info.rate):.3g} a second ({info.seconds:.1f} s), "
            f"painted at {width}x{height} in chunks on the cluster",
            file=sys.stderr,
        )
    painted = 0

    def report(outcome: TaskReport) -> None:
        nonlocal painted
        task = outcome.task
        label = f"[chunk {task.index + 1}/{len(chunked.chunks)}] {task.name}"
        if outcome.painted is None:
            again = "trying once more" if outcome.retrying else "failed twice"
            print(f"brushwork-render: {label}: {again}: {outcome.error}", file=sys.stderr)
            return
        painted += 1
        if not quiet:
            print(
                f"{label} painted in {format_duration(outcome.painted.seconds)} on {outcome.painted.worker}",
                file=sys.stderr,
            )

    def planned(workers: int) -> None:
        if quiet:
            return
        chunks, kept = len(chunked.chunks), len(chunked.done())
        if kept == chunks:
            print(f"all {chunks} chunk(s) were painted by an earlier run: joining them", file=sys.stderr)
            return
        share = f", {chunked.overlap} frames shared at each join" if chunks > 1 else ""
        before = f"; {kept} kept from an earlier run" if kept else ""
        print(
            f"{chunks} chunk(s){share}{before}: painting {chunks - kept} on {workers} worker(s); "
            "each reports when its last frame is painted",
            file=sys.stderr,
        )

    started = time.monotonic()
    try:
        workers, failed = paint_clip(
            chunked,
            report,
            planned=planned,
            address=args.ray,
            cpus_per_worker=args.ray_cpus or 1.0,
            gpus_per_worker=args.ray_gpus or 0.0,
        )
    except KeyboardInterrupt:
        kept = len(chunked.done())
        print(
            f"\nbrushwork-render: interrupted; {kept} painted chunk(s) are kept in {chunked.work}. "
            "The same command goes on from them."
            if kept
            else "\nbrushwork-render: interrupted before any chunk was painted.",
            file=sys.stderr,
        )
        raise
    kept_before = len(chunked.done()) - painted
    if failed:
        print(
            f"brushwork-render: error: {failed} chunk(s) of {clip.name} could not be painted; the "
            f"{len(chunked.done())} painted are kept in {chunked.work}, and the same command paints only the rest",
            file=sys.stderr,
        )
        return 1
    frames = chunked.write()
    if chunked.render.cut_short:
        print(f"brushwork-render: warning: {chunked.render.short_note()}", file=sys.stderr)
    if not quiet:
        before = f"; {kept_before} kept from an earlier run" if kept_before else ""
        print(
            f"saved {output}: {frames} frames in {len(chunked.chunks)} chunk(s) on {workers} Ray "
            f"worker{'s' if workers != 1 else ''}, {format_duration(time.monotonic() - started)}{before}",
            file=sys.stderr,
        )
    return 0
