"""Time from Start to the first preview, cold and warm, and the window's largest stall.

cold: the first Start in a fresh process (torch imported, weights not yet
loaded: their loading is included). warm: a second Start in the same process.
pastiche has no preview; its equivalent is its first picture after one step
(construction, which loads its weights, plus one step). The window part runs
the real studio offscreen in a subprocess: Start to the first painted
preview, and the longest gap of a 10 ms timer on the GUI thread during a
default run into its final scale.

    python tests/benchmarks/bench_first_preview.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, PEER_DEVICE, print_table, save_json

CONTENT, STYLE = IMAGES / "chelsea.png", IMAGES / "starry_night.jpg"


def _engine_first_preview() -> float:
    from brushwork.engine import StyleParams, StyleTransfer, load_image

    began = time.perf_counter()
    engine = StyleTransfer(load_image(CONTENT), load_image(STYLE), StyleParams())
    for progress in engine.run():
        if progress.preview is not None:
            break
    seconds = time.perf_counter() - began
    engine.cancel()
    return seconds


def _pastiche_first_picture(tmp: Path) -> float:
    from pastiche.pastiche import PasticheArtist, save_image

    began = time.perf_counter()
    artist = PasticheArtist(str(CONTENT), [str(STYLE)], device=PEER_DEVICE, size=512)
    artist.draw()
    save_image(artist.pastiche, str(tmp / "pastiche-first.png"))
    return time.perf_counter() - began


def measure_engines() -> dict:
    """Runs in a fresh subprocess, so that 'cold' really is cold."""
    import tempfile

    import torch  # noqa: F401  (imported before the clock starts, as in an open window)

    tmp = Path(tempfile.mkdtemp())
    return {
        "brushwork_cold": _engine_first_preview(),
        "brushwork_warm": _engine_first_preview(),
        "pastiche_cold": _pastiche_first_picture(tmp),
        "pastiche_warm": _pastiche_first_picture(tmp),
    }


def measure_window(seconds: float) -> dict:
    """Runs in a fresh subprocess with an offscreen Qt."""
    import asyncio
    import tempfile

    import qasync
    from brushwork.gui.studio_window import CONTENT as CONTENT_ROLE
    from brushwork.gui.studio_window import STYLE as STYLE_ROLE
    from brushwork.gui.studio_window import StudioWindow
    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    tmp = Path(tempfile.mkdtemp())
    window = StudioWindow(
        settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), data_dir=tmp, restore=False
    )
    window.show()
    gaps: list[int] = []
    clock, probe = QElapsedTimer(), QTimer()
    probe.setInterval(10)
    probe.timeout.connect(lambda: gaps.append(clock.restart()) if clock.isValid() else clock.start())
    result = {}

    async def go():
        await asyncio.gather(window.load_image_into(CONTENT_ROLE, CONTENT), window.load_image_into(STYLE_ROLE, STYLE))
        for label in ("cold", "warm"):
            shown = []
            connection = window.preview_shown.connect(lambda shown=shown: shown.append(time.perf_counter()))
            began = time.perf_counter()
            window.start()
            while not shown:
                await asyncio.sleep(0.002)
            result[f"window_{label}"] = shown[0] - began
            window.preview_shown.disconnect(connection)
            if label == "cold":
                window.stop()
                while window.controller.running:
                    await asyncio.sleep(0.02)
        probe.start()
        await asyncio.sleep(seconds)
        probe.stop()
        result["window_steps_during_probe"] = window.last_progress.step
        result["window_largest_gap_ms"] = max(gaps)
        result["window_timer_ticks"] = len(gaps)
        window.stop()
        while window.controller.running:
            await asyncio.sleep(0.02)
        window.picture_saved = True
        window.close()

    with loop:
        loop.run_until_complete(go())
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe-seconds", type=float, default=60.0)
    ap.add_argument("--child", choices=["engines", "window"])
    args = ap.parse_args(argv)
    if args.child == "engines":
        print(json.dumps(measure_engines()))
        return 0
    if args.child == "window":
        print(json.dumps(measure_window(args.probe_seconds)))
        return 0
    results = {}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for child in ("engines", "window"):
        cmd = [sys.executable, __file__, "--child", child, "--probe-seconds", str(args.probe_seconds)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        results.update(json.loads(out.strip().splitlines()[-1]))
    rows = [
        ["Brushwork engine", f"{results['brushwork_cold']:.2f}", f"{results['brushwork_warm']:.2f}"],
        ["Brushwork window", f"{results['window_cold']:.2f}", f"{results['window_warm']:.2f}"],
        ["pastiche (first picture)", f"{results['pastiche_cold']:.2f}", f"{results['pastiche_warm']:.2f}"],
    ]
    print_table(["first preview, 512 px", "cold s", "warm s"], rows)
    print(
        f"\nwindow: largest gap of a 10 ms GUI timer over {args.probe_seconds:.0f} s of a run "
        f"({results['window_steps_during_probe']} steps): {results['window_largest_gap_ms']} ms"
    )
    save_json("first_preview", {"results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
