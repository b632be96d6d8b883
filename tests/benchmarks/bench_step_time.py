"""Seconds per optimisation step, Brushwork against pastiche, at 256, 512 and 1024 px.

Both run L-BFGS on the same layers (content conv4_2, style conv1_1 ... conv5_1)
on the same images, in this process, one after the other. Brushwork runs a
single scale at the given size here, so that every timed step is at that
size. Reported: the median of the timed steps after two warm-up steps.

    python tests/benchmarks/bench_step_time.py [--sizes 256 512 1024] [--steps 4] [--profile]

Also reports what a step achieves against the machine's peak: a step is the
forward pass to conv5_1 plus the gradient with respect to the input, about
2 x 2 x sum(C_in x C_out x 9 x H x W) multiply-adds over the 13 convolutions
(the weights need no gradient). The peak is cores x FMA units x vector lanes
x 2 x clock, read from /proc/cpuinfo (``--ghz`` overrides the clock; a
virtual machine reports its base clock). ``--profile`` prints where a
float32 step's time goes.
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


CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def step_gflop(height: int, width: int, last: str = "conv5_1") -> float:
    """Multiply-adds x 2 of one step (forward to ``last`` and the input gradient), in GFLOP."""
    from brushwork.engine.network.layers import CONV_LAYERS, layer_index

    flops, c_in = 0, 3
    for name in CONV_LAYERS[: layer_index(last) + 1]:
        block = int(name[4])
        c_out = CHANNELS[block]
        flops += 2 * c_in * c_out * 9 * (height >> (block - 1)) * (width >> (block - 1))
        c_in = c_out
    return 2 * flops / 1e9


def cpu_peak_gflops(ghz: float | None = None) -> tuple[float, str]:
    """float32 peak of this CPU and how it was worked out (2 FMA units per core assumed)."""
    import os

    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
    if ghz is None:
        mhz = [float(line.split(":")[1]) for line in flags.splitlines() if line.startswith("cpu MHz")]
        ghz = max(mhz) / 1000 if mhz else 2.0
    cores = os.cpu_count() or 1
    peak = cores * 2 * lanes * 2 * ghz
    return peak, f"{cores} cores x 2 FMA units x {lanes} float32 lanes x 2 x {ghz:.2f} GHz"


def profile_step(size: int) -> None:
    """Where one float32 step's time goes, by operator."""
    from brushwork.engine import StyleParams, StyleTransfer, load_image
    from brushwork.engine.run import schedule
    from torch.profiler import profile

    schedule.FIRST_SIDE = size
    engine = StyleTransfer(
        load_image(CONTENT), load_image(STYLE), StyleParams(size=size, steps=8, stop_early=False, precision="float32")
    )
    run = engine.run()
    for _ in range(3):
        next(run)
    with profile() as prof:
        next(run)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))


def brushwork_step(size: int, steps: int, **params) -> float:
    from brushwork.engine import StyleParams, StyleTransfer, load_image
    from brushwork.engine.run import schedule

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
    # "auto" is bfloat16 on a CPU with AVX-512 BF16 or AMX (and on GPUs), float32 elsewhere.
    "brushwork (defaults: auto precision, clean edges)": {},
    "brushwork, auto precision, plain canvas": {"clean_edges": False, "trim_frame": False},
    "brushwork, float32, clean edges": {"precision": "float32"},
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    ap.add_argument("--steps", type=int, default=4, help="timed steps per configuration")
    ap.add_argument("--ghz", type=float, help="the CPU's clock, for the peak (default: from /proc/cpuinfo)")
    ap.add_argument("--profile", action="store_true", help="print where a float32 step's time goes")
    args = ap.parse_args(argv)
    import torch
    from brushwork.engine import load_image
    from brushwork.engine.pictures import images
    from brushwork.engine.run.scale_building import canvas_margin

    peak, how = cpu_peak_gflops(args.ghz)
    print(f"CPU float32 peak: {peak:.0f} GFLOP/s ({how})")
    rows, records = [], []
    for size in args.sizes:
        peer = pastiche_step(size, args.steps)
        rows.append([size, "pastiche (float32)", f"{peer:.3f}", "1.00", "", ""])
        record = {"size": size, "pastiche": peer, "brushwork": {}}
        width, height = images.fit_dims(*load_image(CONTENT).size, size)[::-1]
        plain = step_gflop(height, width)
        margin = 2 * canvas_margin(size)
        framed = step_gflop(height + margin, width + margin)
        record["gflop_per_step"] = {"plain": plain, "clean_edges": framed}
        for label, params in CONFIGS.items():
            ours = brushwork_step(size, args.steps, stop_early=False, **params)
            gflop = plain if params.get("clean_edges") is False else framed
            rate = gflop / ours
            share = f"{rate / peak:.0%}" if "float32" in label and not torch.cuda.is_available() else ""
            rows.append([size, label, f"{ours:.3f}", f"{ours / peer:.2f}", f"{rate:.0f}", share])
            record["brushwork"][label] = {"seconds": ours, "ratio": ours / peer, "gflops": rate}
        records.append(record)
        print_table(["size", "system", "s/step", "ratio", "GFLOP/s", "of fp32 peak"], rows)
        print(flush=True)
    save_json("step_time", {"cpu_peak_gflops": peak, "peak_from": how, "results": records})
    if args.profile:
        profile_step(max(args.sizes))
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
