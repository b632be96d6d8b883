"""Seconds per optimisation step, Brushwork against pastiche, at 256, 512 and 1024 px.

Both run L-BFGS on the same layers (content conv4_2, style conv1_1 ... conv5_1)
on the same images, in this process, one after the other. Brushwork runs a
single scale at the given size here, so that every timed step is at that
size. Reported: the median of the timed steps after two warm-up steps.

    python tests/benchmarks/bench_step_time.py [--sizes 256 512 1024] [--steps 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, PEER_DEVICE, RESULTS, print_table, save_json

CONTENT, STYLE = IMAGES / "chelsea.png", IMAGES / "starry_night.jpg"
WARMUP = 2


def pastiche_step(size: int, steps: int) -> float:
    from pastiche.pastiche import PasticheArtist

    artist = PasticheArtist(str(CONTENT), [str(STYLE)], device=PEER_DEVICE, size=size, style_size=size)
    times = []
    for i in range(WARMUP + steps):
        began = time.perf_counter()
        artist.draw()
        if i >= WARMUP:
            times.append(time.perf_counter() - began)
    return statistics.median(times)


def brushwork_step(size: int, steps: int, **params) -> float:
    from engine import StyleParams, StyleTransfer, load_image, schedule

    first_side = schedule.FIRST_SIDE
    schedule.FIRST_SIDE = size  # one scale: every step at the measured size
    try:
        engine = StyleTransfer(
            load_image(CONTENT), load_image(STYLE), StyleParams(size=size, steps=WARMUP + steps, **params)
        )
        elapsed = [p.elapsed for p in engine.run()]
    finally:
        schedule.FIRST_SIDE = first_side
    return statistics.median(b - a for a, b in zip(elapsed[WARMUP - 1 :], elapsed[WARMUP:], strict=False))


CONFIGS = {
    "brushwork (default: bf16, clean edges)": {},
    "brushwork, bf16, plain canvas": {"clean_edges": False, "trim_frame": False},
    "brushwork, float32, clean edges": {"precision": "float32"},
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    ap.add_argument("--steps", type=int, default=4, help="timed steps per configuration")
    args = ap.parse_args(argv)
    rows, records = [], []
    for size in args.sizes:
        peer = pastiche_step(size, args.steps)
        rows.append([size, "pastiche (float32)", f"{peer:.3f}", "1.00"])
        record = {"size": size, "pastiche": peer, "brushwork": {}}
        for label, params in CONFIGS.items():
            ours = brushwork_step(size, args.steps, stop_early=False, **params)
            rows.append([size, label, f"{ours:.3f}", f"{ours / peer:.2f}"])
            record["brushwork"][label] = {"seconds": ours, "ratio": ours / peer}
        records.append(record)
        print_table(["size", "system", "s/step", "ratio"], rows)
        print(flush=True)
    save_json("step_time", {"results": records})
    plot(records, RESULTS / "step_time.png")
    return 0


def plot(records, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["pastiche (float32)", *CONFIGS]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / len(labels)
    for i, label in enumerate(labels):
        values = [r["pastiche"] if i == 0 else r["brushwork"][label]["seconds"] for r in records]
        ax.bar([j + i * width for j in range(len(records))], values, width, label=label)
    ax.set_xticks([j + width * (len(labels) - 1) / 2 for j in range(len(records))])
    ax.set_xticklabels([f"{r['size']} px" for r in records])
    ax.set_ylabel("seconds per step")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    sys.exit(main())
