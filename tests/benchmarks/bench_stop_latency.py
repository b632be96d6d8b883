"""Stop during a print-size step: seconds from Stop to the run's end, in the window and on the command line.

A tiled step at 2048 px takes most of a minute on a CPU, at 4096 px several; Stop used to wait for it
(issue 28: Ctrl+C at 1024 px with ``--tile 256`` took 530 s to end). Now the step in flight is given up at
the network's next checkpoint. Each case starts a run at its top scale (tiled, ``--tile``), waits for the
first tiled step to be reported, then stops it part-way through the next one (``--at`` of a step's time):

- **window**: the window's Stop, ``RunController.stop()`` on the engine thread's run, to its
  ``run_finished`` signal (what Stop, Cancel in the print dialog and quitting all use);
- **command line**: Ctrl+C (SIGINT) to ``brushwork-render``, to its exit (it paints the scales before too,
  so it waits for the top scale's first step line on stderr).

    python tests/benchmarks/bench_stop_latency.py --sizes 1024 --tile 256     # about 5 minutes on 2 cores
    python tests/benchmarks/bench_stop_latency.py --sizes 2048 4096 --tile 512

Goal (issue 28): at most 2 s. Writes results/stop_latency.json (``--out`` elsewhere).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, RESULTS, machine

PAIR = ("chelsea.png", "starry_night.jpg")


def in_the_window(size: int, tile: int, at: float) -> dict:
    """The window's path: a RunController (its own engine thread), stopped from the Qt thread."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from brushwork.engine.pictures.images import load_image
    from brushwork.engine.run.schedule import plan_stages
    from brushwork.engine.settings.style_params import StyleParams
    from brushwork.gui.run.controller import RunController, RunRequest
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    app = QCoreApplication.instance() or QCoreApplication([])
    params = StyleParams(size=size, tile=tile, stop_early=False)
    top = plan_stages(size, params.steps)[-1].first_step
    controller = RunController()
    reports, marks = [], {}
    loop = QEventLoop()

    def on_progress(p):
        reports.append((time.perf_counter(), p.step, p.tile, p.elapsed))
        if len(reports) == 2:  # the first step was the build's too: the second one's length is a step's
            step = reports[1][0] - reports[0][0]
            marks["step"] = step
            QTimer.singleShot(round(at * step * 1000), stop)

    def stop():
        marks["stop"] = time.perf_counter()
        controller.stop()

    def finished(completed):
        marks["end"] = time.perf_counter()
        loop.quit()

    controller.progressed.connect(on_progress)
    controller.run_finished.connect(finished)
    content, style = load_image(IMAGES / PAIR[0]), load_image(IMAGES / PAIR[1])
    controller.start(RunRequest(content, style, params, start_step=top))
    loop.exec()
    controller.shutdown(60_000, must_end=True)
    del app
    return {
        "path": "window",
        "size": size,
        "tile": reports[0][2],
        "step_seconds": marks["step"],
        "stop_to_end": marks["end"] - marks["stop"],
        "steps_reported": len(reports),
    }


def on_the_command_line(size: int, tile: int, at: float, steps: int) -> dict:
    """``brushwork-render`` from the start (every scale), Ctrl+C part-way through a top-scale step."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"brushwork-stop-{size}.png"
    command = [sys.executable, "-m", "brushwork.engine", str(IMAGES / PAIR[0]), str(IMAGES / PAIR[1])]
    command += ["-o", str(out), "--size", str(size), "--tile", str(tile), "--steps", str(steps), "--no-stop-early"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, bufsize=1)
    tiled_lines = []
    for line in process.stderr:
        if f"({_top_dims(size)}, in {tile} px tiles)" in line:
            tiled_lines.append(time.perf_counter())
            if len(tiled_lines) == 2:
                break
    step = tiled_lines[1] - tiled_lines[0]  # lines come every 5 s or at each step, whichever is later
    time.sleep(at * step)
    stopped = time.perf_counter()
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    code = process.wait()
    ended = time.perf_counter()
    return {
        "path": "command line",
        "size": size,
        "tile": tile,
        "step_seconds": step,
        "stop_to_end": ended - stopped,
        "exit": code,
        "kept": "saved the picture so far" in rest,
    }


def _top_dims(size: int) -> str:
    from brushwork.engine.pictures.images import fit_dims
    from PIL import Image

    with Image.open(IMAGES / PAIR[0]) as photo:
        height, width = fit_dims(*photo.size, size)
    return f"{width}x{height}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[1024])
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--at", type=float, default=0.5, help="when to stop, as a share of a step (default 0.5)")
    parser.add_argument("--steps", type=int, default=60, help="the command line's step budget (few: it gets there)")
    parser.add_argument("--paths", nargs="+", default=["window", "command line"])
    parser.add_argument("--out", type=Path, default=RESULTS / "stop_latency.json")
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        if "window" in args.paths:
            results.append(in_the_window(size, args.tile, args.at))
            print(json.dumps(results[-1]), flush=True)
        if "command line" in args.paths:
            results.append(on_the_command_line(size, args.tile, args.at, args.steps))
            print(json.dumps(results[-1]), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"machine": machine(), "pair": PAIR, "results": results}, indent=1))


if __name__ == "__main__":
    main()
