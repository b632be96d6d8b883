"""The plain run, which takes whatever no other mode claims: each photo painted here in turn (one picture, a batch
or ``--demo``), and with ``--timelapse`` a video of each run as it paints."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BrushworkError, OutOfMemoryError
from ..files.app_dirs import app_data_dir
from ..settings.style_params import StyleParams
from .output import ProgressBar, picture_outputs, report_error, writable_folder, write_picture
from .painting_options import Job, prepare
from .region_options import regions_for_photo

if TYPE_CHECKING:
    from PIL import Image

    from ..run.progress import Progress
    from ..run.style_transfer import StyleTransfer
    from ..run.time_history import RunHistory
    from ..video.timelapse import TimelapseOptions, TimelapseRecorder

# What --timelapse-seconds, --timelapse-fps and --timelapse-size mean when not given (size 0: the picture's).
TIMELAPSE_DEFAULTS = {"timelapse_seconds": 8.0, "timelapse_fps": 15.0, "timelapse_size": 0}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    timelapse = parser.add_argument_group("time-lapse", "a video of the run as it paints, sampled evenly over its time")
    timelapse.add_argument(
        "--timelapse",
        metavar="FILE",
        type=Path,
        help="write the run as FILE, an .mp4 (H.264) or a .gif; with several photos, each gets its own FILE-PHOTO.mp4",
    )
    timelapse.add_argument("--timelapse-seconds", type=float, metavar="S", help="its length (default 8)")
    timelapse.add_argument("--timelapse-fps", type=float, metavar="N", help="frames a second (default 15)")
    timelapse.add_argument(
        "--timelapse-size",
        type=int,
        metavar="PX",
        help="its long side (default: the picture's, up to 1280)",
    )


def check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """The time-lapse's settings without --timelapse would be silently ignored: say so instead. (A clip refuses
    the time-lapse itself, in ``clip_options.check``.)"""
    if args.timelapse is not None or args.inputs.clip:
        return
    given = [flag for flag in TIMELAPSE_DEFAULTS if getattr(args, flag) is not None]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise BrushworkError(f"{option} sets the time-lapse: give --timelapse FILE.mp4 (or .gif) too")


def run(args: argparse.Namespace) -> int:
    """Paint every photo; a photo that fails is reported and the batch goes on. 1 if any failed."""
    from ..run.progress import format_duration
    from ..run.time_history import RunHistory

    job = prepare(args)
    outputs = picture_outputs(job.contents, args.output, args.inputs.globbed, args.depth)
    timelapse = _timelapse_options(args)
    batch = len(job.contents) > 1
    if timelapse is not None:
        for content_path in job.contents:
            writable_folder(_timelapse_path(args, content_path, batch))
    failures = 0
    started = time.monotonic()
    history = RunHistory.in_folder(app_data_dir())  # this machine's past runs: the time left, and this run's after
    for index, (content_path, out) in enumerate(zip(job.contents, outputs, strict=True), start=1):
        label = f"[{index}/{len(job.contents)}] {content_path.name} " if batch else ""
        try:
            path = _timelapse_path(args, content_path, batch) if timelapse else None
            _render_one(content_path, job, out, args, label, timelapse, path, history)
        except BrushworkError as exc:
            failures += 1
            report_error(f"[{index}/{len(job.contents)}] {exc}" if batch else exc)  # the message names the file
            continue
        if not args.quiet:
            print(f"{label}saved {out}", file=sys.stderr)
    if batch and not args.quiet:
        done = len(job.contents) - failures
        print(
            f"batch: {done} of {len(job.contents)} pictures in {format_duration(time.monotonic() - started)}"
            + (f", {failures} failed" if failures else ""),
            file=sys.stderr,
        )
    return 1 if failures else 0


def _timelapse_options(args: argparse.Namespace) -> TimelapseOptions | None:
    """The time-lapse's options, checked before any painting starts; None without --timelapse."""
    from ..video.timelapse import FORMATS, TimelapseOptions

    if args.timelapse is None:
        return None
    if args.timelapse.suffix.lower() not in FORMATS:
        raise BrushworkError(f"--timelapse writes an .mp4 or a .gif, not {args.timelapse.name}")
    chosen = {
        flag: default if getattr(args, flag) is None else getattr(args, flag)
        for flag, default in TIMELAPSE_DEFAULTS.items()
    }
    options = TimelapseOptions(chosen["timelapse_size"], chosen["timelapse_fps"], chosen["timelapse_seconds"])
    options.check()
    return options


def _timelapse_path(args: argparse.Namespace, content_path: Path, batch: bool) -> Path:
    path = args.timelapse
    return path.with_name(f"{path.stem}-{content_path.stem}{path.suffix}") if batch else path


def _render_one(
    content_path: Path,
    job: Job,
    out: Path,
    args: argparse.Namespace,
    label: str = "",
    timelapse: TimelapseOptions | None = None,
    timelapse_path: Path | None = None,
    history: RunHistory | None = None,
) -> None:
    """Paint one picture (continuing at a smaller size on out-of-memory if allowed), and its time-lapse if asked.

    What its scales took goes into ``history``, however the run ends: the next estimate learns from it."""
    from ..pictures.images import MAX_DECODE_SIDE, check_photo_size, load_image
    from ..print_size.print_estimate import machine_memory
    from ..run.run_clock import start_clock
    from ..run.style_transfer import StyleTransfer
    from ..run.time_history import RunHistory
    from ..video.timelapse import TimelapseRecorder

    content = load_image(content_path, MAX_DECODE_SIDE)
    check_photo_size(content_path.name, content.size)  # as the window refuses it: a 1 x 1 photo paints pure texture
    styles = job.styles
    params, masks = regions_for_photo(content, job.params, job.region_plan, args.keep_faces, content_path.name)
    history = history if history is not None else RunHistory(None)
    free, dtype = machine_memory(params)
    engine = StyleTransfer(content, styles, params, masks=masks)
    clock = start_clock(history, content.size, params, free_bytes=free, dtype=dtype)
    recorder = TimelapseRecorder() if timelapse is not None else None
    interrupt = _Interrupt(lambda: engine)
    try:
        while True:
            bar = None if args.quiet else ProgressBar(prefix=label, clock=clock)
            try:
                with interrupt:
                    for progress in engine.run():
                        if bar:
                            bar.update(progress)
                        else:
                            clock.add(progress)
                        if recorder:
                            recorder.add(progress)
                if interrupt.pressed:
                    raise KeyboardInterrupt
                break
            except OutOfMemoryError as exc:
                if not args.shrink_on_oom or exc.suggested_size >= params.size:
                    kept = f" The picture so far is in {out}." if _save_partial(engine, out) else ""
                    raise BrushworkError(f"{exc} (or pass --shrink-on-oom).{kept}") from None
                print(
                    f"\nbrushwork-render: out of memory at {exc.failed_size} px; continuing at {exc.suggested_size} px",
                    file=sys.stderr,
                )
                params = params.replace(size=exc.suggested_size)
                if recorder:
                    recorder.begin(continuing=True)
                engine = StyleTransfer(
                    content, styles, params, start_picture=engine.current_picture(), start_step=exc.step, masks=masks
                )
                history.add(clock.records())
                clock = start_clock(history, content.size, params, exc.step, free_bytes=free, dtype=dtype)
    except KeyboardInterrupt:
        history.add(clock.records())
        _keep_interrupted(engine, out, recorder, timelapse, timelapse_path)
        raise
    history.add(clock.records())
    _write(engine, progress, params, out, args.depth)
    if recorder:
        _write_timelapse(recorder, timelapse, timelapse_path, args.quiet)


class _Interrupt:
    """Ctrl+C while painting: the engine gives up the step in flight (``StyleTransfer.cancel``) and the run
    ends within a second or two, its picture that of the last finished step.

    Python's own KeyboardInterrupt could land anywhere in a step, and the
    picture would be kept as it was then; at print size it waited for a
    minutes-long C++ call to return besides. A second Ctrl+C interrupts at
    once, as Python does. Off the main thread, where no signal handler can
    be set, Python's own stays.
    """

    def __init__(self, engine: Callable[[], StyleTransfer]) -> None:
        self._engine = engine
        self.pressed = False
        self._previous = None

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        return self

    def __exit__(self, *_exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _on_interrupt(self, signum, frame) -> None:
        if self.pressed:
            signal.default_int_handler(signum, frame)
        self.pressed = True
        self._engine().cancel()


def _keep_interrupted(
    engine: StyleTransfer,
    out: Path,
    recorder: TimelapseRecorder | None,
    timelapse: TimelapseOptions | None,
    timelapse_path: Path | None,
) -> None:
    """Keep what was painted so far rather than throwing it away, and say what it is."""
    painted: Image.Image = engine.current_picture()
    if _save_partial(engine, out):
        final = engine.result()
        how = (
            f"painted at {painted.width} x {painted.height} px (an earlier scale), enlarged to "
            f"{final.width} x {final.height} px"
            if painted.size != final.size
            else f"{final.width} x {final.height} px"
        )
        print(f"\nbrushwork-render: interrupted; saved the picture so far ({how}) to {out}", file=sys.stderr)
    if recorder and recorder.frames:
        try:
            _write_timelapse(recorder, timelapse, timelapse_path, quiet=False)
        except BrushworkError as exc:
            print(f"brushwork-render: {exc}", file=sys.stderr)


def _save_partial(engine: StyleTransfer, out: Path) -> bool:
    """Save the picture painted so far (if any); never raises."""
    from ..pictures.images import save_image

    picture = engine.result()
    if picture is None:
        return False
    try:
        save_image(picture, out)
    except BrushworkError as exc:
        print(f"\nbrushwork-render: could not save the picture so far: {exc}", file=sys.stderr)
        return False
    return True


def _write_timelapse(recorder: TimelapseRecorder, options: TimelapseOptions, path: Path, quiet: bool) -> None:
    from ..video.timelapse import write_timelapse

    written = write_timelapse(recorder.recording(), path, options)
    if not quiet:
        print(
            f"saved time-lapse {path} ({written.frames} frames, {written.width}x{written.height}, "
            f"{written.seconds:.1f} s)",
            file=sys.stderr,
        )


def _write(engine: StyleTransfer, last: Progress, params: StyleParams, out: Path, depth: int) -> None:
    """The finished picture, at 16 bits from the run itself where it can be."""
    import numpy as np

    picture = np.asarray(engine.result())
    # The run's own 16-bit picture when it is at the output size; else the 8-bit one, widened.
    picture16 = last.picture16 if last.picture16 is not None and last.picture16.shape == picture.shape else None
    write_picture(picture, picture16, params, out, depth)
