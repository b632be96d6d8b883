"""Stress the studio: 100 start/stop cycles, then 1,000 random changes during one run.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/stress.py [--cycles 100] [--changes 1000]

The changes include continuing from a history snapshot, applying presets and
opening the layer explorer, all mid-run. Reports crashes or deadlocks (a run
that does not start or stop within 30 s), any error shown, the GUI thread's
longest stall (a 10 ms timer's largest gap), the thread count before and
after, and the resident memory at each stage, and writes results/stress.json.
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


class StallProbe:
    """A 10 ms timer on the GUI thread; a long gap between its ticks is a stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.gaps: list[int] = []
        self.long: list[tuple[float, int]] = []  # (when it ended, ms) of each gap over 50 ms
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self.long.clear()
        self._clock.invalidate()
        self._timer.start()

    def stop(self) -> dict:
        self._timer.stop()
        gaps = sorted(self.gaps)
        return {
            "ticks": len(gaps),
            "max_gap_ms": gaps[-1] if gaps else None,
            "p99_gap_ms": gaps[int(len(gaps) * 0.99)] if gaps else None,
            "gaps_over_50ms": sum(g > 50 for g in gaps),
        }

    def _tick(self) -> None:
        if self._clock.isValid():
            gap = self._clock.restart()
            self.gaps.append(gap)
            if gap > 50:
                self.long.append((time.monotonic(), gap))
        else:
            self._clock.start()


async def stress(window, cycles: int, changes: int, size: int) -> dict:
    from brushwork.engine.settings.presets import builtin_presets
    from brushwork.gui.roles import CONTENT, STYLE

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
    presets = builtin_presets()
    errors: list[str] = []
    window.error_shown.connect(errors.append)
    window.start()
    probe = StallProbe()
    probe.start()
    began = time.monotonic()
    kinds = {
        "slider": 0, "image": 0, "size": 0, "content layer": 0, "optimizer": 0, "pause": 0,
        "continue from snapshot": 0, "preset": 0, "layer explorer": 0,
    }  # fmt: skip
    done: list[tuple[float, str]] = []  # (when, kind) of each change, to see which ones stall
    slowest: dict[str, float] = {}  # ms the GUI thread spent making each kind of change, at most
    for i in range(changes):
        before = {kind: count for kind, count in kinds.items()}
        change_began = time.perf_counter()
        roll = rng.random()
        if roll < 0.69:
            rng.choice(sliders).slider.setValue(rng.randint(0, 1000))
            kinds["slider"] += 1
        elif roll < 0.71:
            if window.picture is not None:
                window.take_snapshot()
                window.continue_from_snapshot(rng.choice(window.history.snapshots))
                kinds["continue from snapshot"] += 1
        elif roll < 0.73:
            preset = rng.choice(presets)
            # Keep the stress run's size and budget: a preset's 512 px would only make it slower.
            window.presets.apply(preset)
            window.set_params(window.params().replace(size=size, steps=100_000))
            kinds["preset"] += 1
        elif roll < 0.75:
            explorer = window.open_layer_explorer()
            explorer.layer.setCurrentIndex(rng.randrange(explorer.layer.count()))
            kinds["layer explorer"] += 1
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
        spent = (time.perf_counter() - change_began) * 1000
        for kind in kinds:
            if kinds[kind] != before[kind]:
                done.append((time.monotonic(), kind))
                slowest[kind] = max(slowest.get(kind, 0.0), spent)
        await asyncio.sleep(rng.choice([0.0, 0.002, 0.02]))
        if not window.controller.running:
            raise RuntimeError(f"the run stopped after {i} changes: {window.banner.label.text()}")
    if window.controller.paused:
        window.toggle_pause()
    changes_seconds = time.monotonic() - began
    engine = window.controller.engine
    steps_before = engine.steps_done
    await until(lambda: engine.steps_done >= steps_before + 3, "the run making progress after the changes")
    stalls = probe.stop()
    # Which changes were made during (or just before) each long gap: a place to look, not a verdict.
    blamed: dict[str, int] = {}
    for ended, gap in probe.long:
        for kind in {kind for when, kind in done if ended - gap / 1000 - 0.05 <= when <= ended}:
            blamed[kind] = blamed.get(kind, 0) + 1
    stalls["long_gaps_near"] = blamed
    stalls["slowest_change_ms"] = {kind: round(ms, 1) for kind, ms in sorted(slowest.items())}
    window.stop()
    await until(lambda: not window.controller.running, "the run ending after the changes")
    await window.idle()
    if window.explorer is not None:
        window.explorer.close()
    out.update(
        changes=changes,
        change_kinds=kinds,
        changes_seconds=changes_seconds,
        gui_thread=stalls,
        threads_end=os_threads(),
        rss_end_mib=rss_mib(),
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        errors_shown=errors,
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

    from tests.tools.scratch_window import scratch_window

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
