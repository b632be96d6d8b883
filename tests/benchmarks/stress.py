"""Stress the studio: 100 start/stop cycles, then 1,000 random changes during one run.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/stress.py [--cycles 100] [--changes 1000]

Reports crashes or deadlocks (a run that does not start or stop within 30 s),
the thread count before and after, and the resident memory at each stage, and
writes results/stress.json.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, save_json

TIMEOUT = 30.0


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def os_threads() -> int:
    """Every thread of the process, QThreads and torch's pools included."""
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("Threads:"))


async def until(predicate, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"deadlock? {what} did not happen within {TIMEOUT:.0f} s")
        await asyncio.sleep(0.005)


async def stress(window, cycles: int, changes: int, size: int) -> dict:
    from gui.studio_window import CONTENT, STYLE

    photos = [IMAGES / "chelsea.png", IMAGES / "coffee.png"]
    paintings = [IMAGES / "starry_night.jpg", IMAGES / "wave.jpg"]
    await asyncio.gather(window.load_image_into(CONTENT, photos[0]), window.load_image_into(STYLE, paintings[0]))
    window.set_params(window.params().replace(size=size, steps=100_000))
    out = {"threads_start": os_threads(), "rss_start_mib": rss_mib()}
    began = time.monotonic()
    for cycle in range(cycles):
        window.last_progress = None
        window.start()
        await until(lambda: window.last_progress is not None, "a first step after Start")
        window.stop()
        await until(lambda: not window.controller.running, "the run ending after Stop")
        if cycle == 0:  # the first run loads the weights and warms torch up: the baseline for growth
            await asyncio.sleep(0.1)
            out.update(threads_after_first_cycle=os_threads(), rss_after_first_cycle_mib=rss_mib())
    await asyncio.sleep(0.1)  # let deferred deletions run
    out.update(
        cycles=cycles,
        cycles_seconds=time.monotonic() - began,
        threads_after_cycles=os_threads(),
        rss_after_cycles_mib=rss_mib(),
    )
    rng = random.Random(0)
    editor = window.editor
    sliders = [*editor.layers.fields.values(), editor.balance.alpha, editor.balance.beta, editor.balance.ratio]
    window.start()
    began = time.monotonic()
    kinds = {"slider": 0, "image": 0, "size": 0, "content layer": 0, "optimizer": 0, "pause": 0}
    for i in range(changes):
        roll = rng.random()
        if roll < 0.75:
            rng.choice(sliders).slider.setValue(rng.randint(0, 1000))
            kinds["slider"] += 1
        elif roll < 0.83:
            role = rng.choice([CONTENT, STYLE])
            window.load_image_into(role, rng.choice(photos if role == CONTENT else paintings))
            kinds["image"] += 1
        elif roll < 0.90:
            editor.size.setValue(rng.choice([size // 2, size * 3 // 4, size]))
            kinds["size"] += 1
        elif roll < 0.95:
            editor.content_layer.setCurrentIndex(rng.randrange(editor.content_layer.count()))
            kinds["content layer"] += 1
        elif roll < 0.98:
            editor.advanced.optimizer.setCurrentIndex(rng.randrange(2))
            kinds["optimizer"] += 1
        else:
            window.toggle_pause()
            kinds["pause"] += 1
        await asyncio.sleep(rng.choice([0.0, 0.002, 0.02]))
        if not window.controller.running:
            raise RuntimeError(f"the run stopped after {i} changes: {window.banner.label.text()}")
    if window.controller.paused:
        window.toggle_pause()
    steps_before = window.last_progress.step
    await asyncio.sleep(2.0)
    if window.last_progress.step <= steps_before:
        raise RuntimeError("the run stopped making progress after the changes")
    window.stop()
    await until(lambda: not window.controller.running, "the run ending after the changes")
    await window.idle()
    out.update(
        changes=changes,
        change_kinds=kinds,
        changes_seconds=time.monotonic() - began,
        steps_during_changes=window.last_progress.step,
        threads_end=os_threads(),
        rss_end_mib=rss_mib(),
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        errors_shown=window.banner.isVisible(),
    )
    out["rss_growth_over_cycles_mib"] = out["rss_after_cycles_mib"] - out["rss_after_first_cycle_mib"]
    out["rss_growth_over_changes_mib"] = out["rss_end_mib"] - out["rss_after_cycles_mib"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--size", type=int, default=128)
    args = ap.parse_args(argv)

    from gui.scratch_window import scratch_window

    loop, window = scratch_window("brushwork-stress-")
    window.show()
    with loop:
        result = loop.run_until_complete(stress(window, args.cycles, args.changes, args.size))
    window.picture_saved = True
    window.close()
    for key, value in result.items():
        print(f"{key:24s} {value:.1f}" if isinstance(value, float) else f"{key:24s} {value}")
    save_json("stress", {"results": result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
