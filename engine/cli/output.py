"""What every ``brushwork-render`` mode writes: the progress line on the terminal, the output files checked before
any painting, and the finished picture with its settings. Below the modes, so that none of them imports another's
run for these."""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..errors import BrushworkError
from ..settings.style_params import StyleParams

if TYPE_CHECKING:
    import numpy as np

    from ..run.progress import Progress
    from ..run.run_clock import RunClock

# engine.export.EXPORT_FORMATS, without importing PyTorch for it
SAVE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def report_error(message: object) -> None:
    """One line on stderr, in the form every mode uses for an error."""
    print(f"brushwork-render: error: {message}", file=sys.stderr)


class ProgressBar:
    """One status line on stderr: redrawn in place on a terminal, every few seconds in a log.

    The bar fills with the run's time, not its step number (``engine.run.run_clock``): a scale that
    settles early jumps the step to its end. ``clock`` is the run's; without one, the bar makes its own
    from the first report, timed by that run alone.
    """

    def __init__(
        self, stream: TextIO | None = None, prefix: str = "", first_step: int = 0, clock: RunClock | None = None
    ) -> None:
        self.prefix = prefix
        self.first_step = first_step  # a clip's later frame starts near the plan's end: count from there
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_print = 0.0
        self.clock = clock

    def update(self, p: Progress) -> None:
        from ..run.time_model import format_span

        if self.clock is None:
            self.clock = _own_clock(p)
        self.clock.add(p)
        now = time.monotonic()
        if not (self.tty or p.finished or p.scale_finished or now - self._last_print >= 5.0):
            return
        self._last_print = now
        width = 24
        step, total = p.step - self.first_step, p.total_steps - self.first_step
        filled = round(width * self.clock.fraction())
        bar = "#" * filled + "-" * (width - filled)
        rate = self.clock.steps_per_second()
        left = "done" if p.finished else f"{format_span(self.clock.seconds_left()).removeprefix('about ')} left"
        losses = " ".join(
            f"{name} {value:.3g}"
            for name, value in (("content", p.losses.content), ("style", p.losses.style), ("total", p.losses.total))
            if not math.isnan(value)
        )
        size = f"{p.width}x{p.height}, in {p.tile} px tiles" if p.tile else f"{p.width}x{p.height}"
        pace = f"{rate:.1f} steps/s" if rate is not None else "timing"
        line = f"{self.prefix}[{bar}] {step}/{total} scale {p.scale + 1}/{p.scales} ({size}) {losses} | {pace}, {left}"
        if self.tty:
            self.stream.write("\r" + line[: os.get_terminal_size(self.stream.fileno()).columns - 1] + "\x1b[K")
            if p.finished:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _own_clock(p: Progress) -> RunClock:
    """A clock for a run that came without one: the plan from its first report, timed by its own steps."""
    from ..run.run_clock import RunClock
    from ..run.time_model import TimeModel, plan_run

    specs = plan_run((p.width, p.height), p.params, max(0, p.step - 1))
    return RunClock(TimeModel([], p.device, p.params.style_loss), specs, cold=False)


def picture_outputs(contents: list[Path], output: str, batch: bool = False, depth: int = 8) -> list[Path]:
    """Where each content image's picture goes; names from the user are never trusted as paths.

    ``batch``: the content was given as a glob, so ``-o`` names a folder even
    when the glob finds one photo (``-o out/`` or ``-o out``). Every output is
    checked, and its folder made, before anything is painted: a batch must not
    spend an hour and then fail to save. ``depth`` 16 needs a format that holds it.
    """
    as_folder = output.endswith(("/", os.sep)) or Path(output).is_dir()
    if len(contents) == 1 and "{name}" not in output and not as_folder and not (batch and not Path(output).suffix):
        paths = [Path(output)]
    elif "{name}" in output:
        paths = [Path(output.replace("{name}", c.stem)) for c in contents]
    else:
        folder = Path(output)
        if folder.suffix.lower() in SAVE_SUFFIXES and not as_folder:
            raise BrushworkError(
                f"{len(contents)} content images need a folder or a name with {{name}} for -o, not {output!r}"
            )
        paths = [folder / f"{c.stem}.png" for c in contents]
    if len(set(paths)) != len(paths):
        raise BrushworkError("two content images would be written to the same file; rename one of them")
    for path in paths:
        if path.suffix.lower() not in SAVE_SUFFIXES:
            raise BrushworkError(f"Cannot save {path.name}: use a .png, .jpg, .jpeg, .tif or .tiff file name")
        writable_folder(path)
    if depth == 16 and any(path.suffix.lower() in (".jpg", ".jpeg") for path in paths):
        raise BrushworkError("--depth 16 needs a .png or .tif output: JPEG has 8 bits per channel")
    return paths


def writable_folder(path: Path) -> None:
    """Make ``path``'s folder and try writing there: a picture or video must not fail after the painting."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BrushworkError(f"Cannot create the output folder {folder}: {exc.strerror or exc}") from None
    # Try it: os.access says yes to root for any folder, /proc included,
    # and a file that cannot be saved is found out only after painting.
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".brushwork-", suffix=path.suffix):
            pass
    except OSError as exc:
        raise BrushworkError(f"Cannot save into {folder}: the folder is not writable ({exc.strerror or exc})") from None


def write_picture(
    picture: np.ndarray, picture16: np.ndarray | None, params: StyleParams, out: Path, depth: int
) -> None:
    """The finished picture, with the settings that made it inside a PNG or TIFF (``--preset PICTURE.png``)."""
    from ..pictures.picture_export import ExportOptions, export_picture
    from ..settings.presets import Preset, preset_to_json

    settings = preset_to_json(Preset(out.stem, params, "the settings this picture was painted with"))
    export_picture(picture, out, ExportOptions(max(picture.shape[:2]), bits=depth), picture16, settings)
