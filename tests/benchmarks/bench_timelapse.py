"""Does recording a time-lapse slow the run? And what does writing one cost?

The same default run (chelsea + The Starry Night) is painted ``--repeats``
times with the recorder fed every report, as the window and the command line
do, and as many times without, in the order ABBA... so that the machine's
drift falls on both. The time spent inside the recorder is also summed
directly. The peer is the run without recording, in the same process. It then
writes the recorded run at the default options as an MP4 and a GIF, and
reports how long that took, the files' sizes and the memory the kept frames held.

    python tests/benchmarks/bench_timelapse.py [--size 256] [--repeats 3]

Writes results/timelapse.json and, with ``--readme-gif PATH``, the GIF the
README shows (a 256 px run at 200 px, 5 s at 8 frames a second, kept small).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, cpu_kind, print_table, save_json

PAIR = ("chelsea.png", "starry_night.jpg")


def one_run(size: int, record: bool):
    """Seconds of the whole run, seconds spent in the recorder, and the recorder (None when not recording)."""
    from brushwork.engine import StyleParams, StyleTransfer, load_image
    from brushwork.engine.video.timelapse import TimelapseRecorder

    engine = StyleTransfer(load_image(IMAGES / PAIR[0]), load_image(IMAGES / PAIR[1]), StyleParams(size=size))
    recorder = TimelapseRecorder() if record else None
    if recorder:
        recorder.begin(continuing=False)
    started = time.perf_counter()
    in_recorder = 0.0
    for progress in engine.run():
        if recorder:
            before = time.perf_counter()
            recorder.add(progress)
            in_recorder += time.perf_counter() - before
    return time.perf_counter() - started, in_recorder, recorder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--readme-gif", type=Path, help="also write the README's GIF here (200 px, 5 s)")
    args = parser.parse_args()
    from brushwork.engine.video.timelapse import TimelapseOptions, write_timelapse

    one_run(64, False)  # load the weights and warm the allocator before timing
    plain, recorded, own, recorder = [], [], [], None
    for repeat in range(args.repeats):
        # ABBA: which goes first alternates, so that a drift of the machine falls on both alike.
        for record in (False, True) if repeat % 2 == 0 else (True, False):
            seconds, in_recorder, kept = one_run(args.size, record)
            if record:
                recorded.append(seconds)
                own.append(in_recorder)
                recorder = kept
            else:
                plain.append(seconds)
        print(f"without {plain[-1]:.1f} s, with {recorded[-1]:.1f} s", flush=True)
    recording = recorder.recording()
    held = sum(frame.nbytes for frame in recording.frames)
    writes = {}
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".mp4", ".gif"):
            path = Path(folder) / f"run{suffix}"
            started = time.perf_counter()
            written = write_timelapse(recording, path, TimelapseOptions())
            writes[suffix] = {
                "seconds": time.perf_counter() - started,
                "bytes": path.stat().st_size,
                "frames": written.frames,
                "size": [written.width, written.height],
            }
    if args.readme_gif:
        write_timelapse(recording, args.readme_gif, TimelapseOptions(long_side=200, fps=8, seconds=5, hold=1.5))
    median = sorted(recorded)[len(recorded) // 2] / sorted(plain)[len(plain) // 2]
    print_table(
        ["", "median s", "runs"],
        [
            ["without recording", f"{sorted(plain)[len(plain) // 2]:.1f}", " ".join(f"{s:.1f}" for s in plain)],
            ["recording", f"{sorted(recorded)[len(recorded) // 2]:.1f}", " ".join(f"{s:.1f}" for s in recorded)],
        ],
    )
    print(f"recording / not recording: {median:.3f}; kept {len(recording.frames)} frames, {held / 2**20:.1f} MiB")
    print(f"time in the recorder: {1000 * max(own):.1f} ms per run at most ({100 * max(own) / min(recorded):.3f} %)")
    for suffix, w in writes.items():
        print(f"writing {suffix}: {w['seconds']:.2f} s, {w['bytes'] / 1024:.0f} KiB, {w['frames']} frames {w['size']}")
    save_json(
        "timelapse",
        {
            "cpu": cpu_kind(),
            "size": args.size,
            "pair": PAIR,
            "run_s_without": plain,
            "run_s_recording": recorded,
            "recording_over_without": median,
            "recorder_s": own,
            "frames_kept": len(recording.frames),
            "frames_mib": held / 2**20,
            "writes": writes,
        },
    )


if __name__ == "__main__":
    main()
