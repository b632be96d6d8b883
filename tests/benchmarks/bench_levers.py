"""Each speed lever measured on its own, so that we keep what wins.

    python tests/benchmarks/bench_levers.py [--compile]

Runs on chelsea + The Starry Night. Prints one table per lever and writes
results/levers.json plus results/levers_quality.png (the picture with every
speed option on beside the plain float32 one, for the eye).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, RESULTS, STYLE_LAYERS, Scorer, print_table, run_brushwork, save_json

CONTENT, STYLE = IMAGES / "chelsea.png", IMAGES / "starry_night.jpg"
TAPS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv4_2", "conv5_1")


def _timed(fn, repeat=6, warmup=2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _vgg_pass(net, x, extra=()):
    """One forward and backward pass; ``extra`` layers are computed but not used (no truncation)."""

    def run():
        x.grad = None
        feats = net(x, [*TAPS, *extra])
        sum(feats[name].float().square().mean() for name in TAPS).backward()

    return run


def network_levers(weights) -> list[dict]:
    from brushwork.engine.network.vgg19 import FeatureExtractor

    x = torch.rand(1, 3, 341, 512, requires_grad=True)
    rows = []
    for dtype in (torch.float32, torch.bfloat16):
        net = FeatureExtractor(weights, "conv5_1", dtype=dtype)
        rows.append({"lever": f"{str(dtype)[6:]} convolutions", "seconds": _timed(_vgg_pass(net, x))})
        net.memory_format = torch.channels_last
        rows.append({"lever": f"{str(dtype)[6:]} + channels_last", "seconds": _timed(_vgg_pass(net, x))})
    full = FeatureExtractor(weights, "conv5_4", dtype=torch.bfloat16)
    rows.append(
        {"lever": "bfloat16, not truncated (forward to conv5_4)", "seconds": _timed(_vgg_pass(full, x, ["conv5_4"]))}
    )
    return rows


def loop_levers(weights) -> list[dict]:
    from brushwork.engine.network.vgg19 import FeatureExtractor
    from brushwork.engine.objective.scale_objective import Objective
    from brushwork.engine.optimisers.lbfgs import LBFGS
    from brushwork.engine.pictures.images import fit_dims, load_image, resize, to_array, to_tensor
    from brushwork.engine.settings.style_params import StyleParams

    content, style = load_image(CONTENT), load_image(STYLE)
    dims = fit_dims(*content.size, 512)
    c = to_tensor(resize(content, *dims))
    s = to_tensor(resize(style, *fit_dims(*style.size, 512)))
    net = FeatureExtractor(weights, "conv5_1", dtype=torch.bfloat16)
    build = _timed(lambda: Objective(net, c, s, StyleParams()), repeat=3, warmup=1)
    objective = Objective(net, c, s, StyleParams())
    x = c.clone().requires_grad_(True)

    def closure():
        total, _ = objective(x)
        total.backward()
        return total

    def plain():
        x.grad = None
        closure()

    bare = _timed(plain)
    ours = LBFGS(x, history=20)
    ours_step = _timed(lambda: ours.step(closure), repeat=6, warmup=22)  # history full
    y = c.clone().requires_grad_(True)

    def torch_closure():
        theirs.zero_grad()
        total, _ = objective(y)
        total.backward()
        return total

    theirs = torch.optim.LBFGS([y], max_iter=1, history_size=20)
    torch_step = _timed(lambda: theirs.step(torch_closure), repeat=6, warmup=22)
    preview = _timed(lambda: to_array(x), repeat=10)
    return [
        {"lever": "objective: VGG pass + Grams + losses", "seconds": bare},
        {"lever": "  building the targets (done once per scale, not per step)", "seconds": build},
        {"lever": "  + our L-BFGS (history 20)", "seconds": ours_step},
        {"lever": "  + torch.optim.LBFGS (history 20)", "seconds": torch_step},
        {"lever": "  preview array, only when due (<= 10/s)", "seconds": preview},
    ]


def compile_lever(weights) -> list[dict]:
    from brushwork.engine.network.vgg19 import FeatureExtractor

    net = FeatureExtractor(weights, "conv5_1", dtype=torch.bfloat16)
    x = torch.rand(1, 3, 341, 512, requires_grad=True)
    compiled = torch.compile(net)
    began = time.perf_counter()
    _vgg_pass(compiled, x)()
    first = time.perf_counter() - began
    return [
        {"lever": "torch.compile: first call (compile)", "seconds": first},
        {"lever": "torch.compile: step after", "seconds": _timed(_vgg_pass(compiled, x))},
    ]


def _params(size, steps, **kw):
    from brushwork.engine.settings.style_params import StyleParams

    return StyleParams(size=size, steps=steps, **kw)


def quality_levers(scorer: Scorer) -> tuple[list[dict], list]:
    """Runs that change the picture: compare by the scorer (and by eye)."""
    rows, pictures = [], []

    def run(label, size, params, keep=False):
        curve = run_brushwork(CONTENT, STYLE, params, every_seconds=1e9, label=label)
        total = scorer.total(CONTENT, STYLE, curve.samples[-1][1], size)
        rows.append({"lever": label, "size": size, "steps": params.steps, "wall": curve.wall, "total": total})
        if keep:
            pictures.append((label, curve.samples[-1][1]))
        print(f"  {label}: {curve.wall:.1f} s, scorer total {total:.4f}", flush=True)

    # Every speed option on (the defaults) against the plain float32 run, same steps.
    run("defaults: bf16, stop early", 512, _params(512, 300), keep=True)
    run("plain: float32, every step", 512, _params(512, 300, precision="float32", stop_early=False), keep=True)
    # The schedule: coarse to fine against one scale, the scorer's objective (plain canvas).
    same = {
        "style_layers": dict.fromkeys(STYLE_LAYERS, 0.2),
        "clean_edges": False,
        "stop_early": False,
        "trim_frame": False,
    }
    run("coarse to fine 128-256-512, 200 steps", 512, _params(512, 200, **same))
    from brushwork.engine.run import schedule

    first_side = schedule.FIRST_SIDE
    schedule.FIRST_SIDE = 512
    try:
        run("single scale 512, 200 steps", 512, _params(512, 200, **same))
    finally:
        schedule.FIRST_SIDE = first_side
    # L-BFGS history, at 256 px.
    from brushwork.engine.run import style_transfer as transfer

    for history in (20, 50, 100):
        saved = transfer.LBFGS_HISTORY
        transfer.LBFGS_HISTORY = history
        try:
            run(f"L-BFGS history {history}", 256, _params(256, 160, **same))
        finally:
            transfer.LBFGS_HISTORY = saved
    # Early stop with a generous budget.
    run("1000 steps, stop early", 256, _params(256, 1000))
    run("1000 steps, every step", 256, _params(256, 1000, stop_early=False))
    return rows, pictures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compile", action="store_true", help="also measure torch.compile (about a minute)")
    ap.add_argument("--timing-only", action="store_true", help="skip the scored runs (about 15 minutes)")
    args = ap.parse_args(argv)
    from brushwork.engine.network.vgg_weights import load_weights

    weights = load_weights()
    timing = network_levers(weights) + loop_levers(weights)
    if args.compile:
        timing += compile_lever(weights)
    print_table(["lever (512 px, one step)", "seconds"], [[r["lever"], f"{r['seconds']:.4f}"] for r in timing])
    print(flush=True)
    if args.timing_only:
        save_json("levers_timing", {"timing": timing})
        return 0
    quality, pictures = quality_levers(Scorer())
    print_table(
        ["lever", "size", "steps", "wall s", "scorer total"],
        [[r["lever"], r["size"], r["steps"], f"{r['wall']:.1f}", f"{r['total']:.4f}"] for r in quality],
    )
    save_json("levers", {"timing": timing, "quality": quality})
    from PIL import Image

    (_, a), (_, b) = pictures
    side = Image.new("RGB", (a.width * 2 + 10, a.height), "white")
    side.paste(a, (0, 0))
    side.paste(b, (a.width + 10, 0))
    side.save(RESULTS / "levers_quality.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
