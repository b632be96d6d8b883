"""``brushwork-render CLIP.mp4 -s STYLE -o OUT.mp4``: a clip painted frame by frame (``engine.video.clip_painter``)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import BrushworkError
from ..settings.style_params import StyleParams
from .output import ProgressBar, writable_folder
from .painting_options import is_clip, prepare

# engine.video_io's, without importing FFmpeg for --help
VIDEO_OUTPUTS = (".mp4", ".mov", ".mkv")
# What --temporal-weight and --frame-steps mean when not given (engine.temporal, engine.video).
VIDEO_DEFAULTS = {"temporal_weight": 5.0, "frame_steps": 40}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    video = parser.add_argument_group(
        "video",
        "a clip as CONTENT (.mp4, .mov, .m4v, .mkv, .webm, .avi) is painted frame by frame, each frame held to "
        "the last (Ruder et al. 2016), and written with its sound as OUT (.mp4, .mov or .mkv)",
    )
    video.add_argument(
        "--temporal-weight",
        type=float,
        metavar="W",
        help="how firmly each frame keeps to the last one where the motion is known "
        f"(default {VIDEO_DEFAULTS['temporal_weight']:g}; 0 only starts from it)",
    )
    video.add_argument(
        "--frame-steps",
        type=int,
        metavar="N",
        help=f"steps for each frame after the first (default {VIDEO_DEFAULTS['frame_steps']})",
    )
    video.add_argument(
        "--independent-frames",
        action="store_true",
        help="paint every frame on its own from its photo, as separate pictures (flickers; for comparison)",
    )


def check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """A clip goes alone into one video file, without what is for pictures; the video options go with a clip (for
    pictures they would be silently ignored: say so instead)."""
    contents = args.inputs.contents
    if not args.inputs.clip:
        for flag in (*VIDEO_DEFAULTS, "independent_frames"):
            if getattr(args, flag):
                raise BrushworkError(f"--{flag.replace('_', '-')} is for a clip (.mp4, .mov, ...), not pictures")
        return
    if len(contents) > 1:
        clip = next(c for c in contents if is_clip(c))
        raise BrushworkError(f"paint one clip at a time: {clip.name} was given with {len(contents) - 1} other file(s)")
    if args.output is not None and Path(args.output).suffix.lower() not in VIDEO_OUTPUTS:  # (None: a dry run)
        raise BrushworkError(f"a painted clip is written as .mp4, .mov or .mkv; -o {args.output} is not one")
    # --keep-faces too: a face moves from frame to frame, and its region would not follow it.
    pictures_only = (("--regions", args.regions), ("--keep-faces", args.keep_faces is not None))
    for flag, given in (*pictures_only, ("--timelapse", args.timelapse), ("--depth 16", args.depth == 16)):
        if given:
            raise BrushworkError(f"{flag} is for pictures, not clips")


def claims(args: argparse.Namespace) -> bool:
    return args.inputs.clip


def run(args: argparse.Namespace) -> int:
    job = prepare(args)
    return render_clip(job.contents[0], job.styles, job.params, video_settings(args), args)


def video_settings(args: argparse.Namespace):
    from ..video.clip_painter import VideoSettings

    changes = {name: getattr(args, name) for name in VIDEO_DEFAULTS if getattr(args, name) is not None}
    return VideoSettings(independent=args.independent_frames, **changes)


def _frame_label(progress, finished_at: list[float]) -> str:
    """ "frame 3/24" and, once two frames have ended, the clip's time left at the later frames' pace, a range
    as wide as they have strayed (``clip_painter.seconds_left``)."""
    from ..run.time_model import format_span
    from ..video.clip_painter import seconds_left

    label = f"frame {progress.frame + 1}/{progress.frames} "
    left = seconds_left(finished_at, progress.frames_left)
    return label + (f"(clip: {format_span(left).removeprefix('about ')} left) " if left is not None else "")


def render_clip(clip: Path, styles, params: StyleParams, settings, args: argparse.Namespace) -> int:
    """Paint the clip; Ctrl+C keeps the frames painted so far, and the same command goes on from them."""
    from ..run.progress import format_duration
    from ..video.clip_painter import ClipRender

    output = Path(args.output)
    writable_folder(output)
    render = ClipRender(clip, styles, params, output, settings)
    quiet = args.quiet
    done = render.frames_done()
    if not quiet:
        info = render.info
        height, width = render.dims
        print(
            f"{clip.name}: {info.frames} frames at {float(info.rate):.3g} a second ({info.seconds:.1f} s), "
            f"painted at {width}x{height}" + (f"; going on from frame {done + 1}" if done else ""),
            file=sys.stderr,
        )
    bars: dict[int, ProgressBar] = {}
    seconds = 0.0
    finished_at: list[float] = []  # when each frame ended, for the time the clip has left
    try:
        for progress in render.run():
            if progress.finished:
                break
            if progress.frame_finished and progress.step is not None:
                seconds += progress.step.elapsed
                finished_at.append(time.monotonic())
            if not quiet and progress.step is not None and not progress.frame_finished:
                bar = bars.get(progress.frame)
                if bar is None:
                    bars.clear()
                    first = progress.step.total_steps - progress.frame_steps
                    label = _frame_label(progress, finished_at)
                    bar = bars[progress.frame] = ProgressBar(prefix=label, first_step=first)
                bar.update(progress.step)
    except KeyboardInterrupt:
        kept = render.frames_done()
        print(
            f"\nbrushwork-render: interrupted; {kept} painted frame(s) are kept in {render.work}. "
            "The same command goes on from them.",
            file=sys.stderr,
        )
        raise
    if render.cut_short:
        print(f"brushwork-render: warning: {render.short_note()}", file=sys.stderr)
    if not quiet:
        print(f"saved {output} (painting took {format_duration(seconds)})", file=sys.stderr)
    return 0
