"""Shared pieces of the benchmarks: paths, the neutral scorer, pastiche as a peer.

Benchmarks compare Brushwork with the ``pastiche`` CLI side by side, in one
run on one machine, and report ratios: this machine is shared and noisy, so
an absolute time alone says little.

The images and the scorer live in the ``shared`` folder beside the checkout
(``BRUSHWORK_SHARED`` overrides where); users do not have it, so nothing but
the benchmarks uses it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("BRUSHWORK_SHARED", ROOT.parent / "shared"))
IMAGES = SHARED / "images"
RESULTS = Path(os.environ.get("BRUSHWORK_RESULTS", ROOT / "tests" / "benchmarks" / "results"))
PAIRS = [
    ("chelsea.png", "starry_night.jpg"),
    ("chelsea.png", "wave.jpg"),
    ("coffee.png", "starry_night.jpg"),
    ("coffee.png", "wave.jpg"),
]
STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
# pastiche runs where Brushwork's "auto" would: on the GPU when there is one.
PEER_DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
SCORER_BETA = 10.0
# What holds a bfloat16 CPU to AVX2, to measure the other kind of CPU on it (see cpu_kind):
#   ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 python tests/benchmarks/...
# Both are inherited by the pastiche run, so the peer is held to AVX2 too.
EMULATION_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY")


def machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"cpu": cpu, "kind": cpu_kind(), "cores": os.cpu_count(), "torch": torch.__version__, "gpu": gpu}


def cpu_kind() -> str:
    """Which kind of CPU a figure comes from: the two kinds differ by about 2x (see docs/performance.md)."""
    from brushwork.engine.network.precision import cpu_has_fast_bf16, cpu_reports_bf16, onednn_isa_capped_below_bf16

    if cpu_has_fast_bf16():
        return "AVX-512 BF16/AMX"
    if onednn_isa_capped_below_bf16() and cpu_reports_bf16():
        # Measured on a bfloat16 CPU held to AVX2: the same instructions, but not the same chip or clock.
        caps = ", ".join(f"{name}={os.environ[name]}" for name in EMULATION_VARIABLES if name in os.environ)
        return f"no bfloat16 (AVX2/FMA), emulated on an AVX-512 BF16 CPU with {caps}"
    return "no bfloat16 (AVX2/FMA)"


def save_json(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2))
    return path


def plot_grid(records: list[dict], draw, path: Path) -> None:
    """One small plot per record, four to a row: ``draw(ax, record)`` fills each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(4, len(records))
    rows = (len(records) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for ax, record in zip(axes.flat, records, strict=False):
        draw(ax, record)
    for ax in list(axes.flat)[len(records) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def stack_rows(rows: list[Image.Image]) -> Image.Image:
    """Contact-sheet rows one under the other, on white, as wide as the widest."""
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), "white")
    y = 0
    for row in rows:
        sheet.paste(row, (0, y))
        y += row.height
    return sheet


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for i, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


class Scorer:
    """The neutral scorer from ``shared/tools/score.py``, network loaded once."""

    def __init__(self) -> None:
        path = SHARED / "tools" / "score.py"
        spec = importlib.util.spec_from_file_location("brushwork_bench_score", path)
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        self.net = self.module.oxford_vgg19()
        self._tmp = RESULTS / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def total(self, content: Path, style: Path, picture: Image.Image | Path, size: int, beta=SCORER_BETA) -> float:
        """content + beta * style of ``picture`` rescaled to ``size`` (long side)."""
        if isinstance(picture, Image.Image):
            path = self._tmp / "scored.png"
            picture.save(path)
            picture = path
        content_err, style_err = self.module.score(str(content), str(style), str(picture), size, net=self.net)
        return content_err + beta * style_err

    def pastiche_weights(self, content: Path, style: Path, size: int, beta=SCORER_BETA) -> tuple[float, list[float]]:
        """Layer weights that make pastiche's loss equal the scorer's objective.

        pastiche's content term is w * mean((F - P)^2) and each style term
        w * mean((G - A)^2), with the same Gram (F F^T / HW) as the scorer. So
        w_content = C H W / ||P||^2 and w_style = (beta / 5) C^2 / ||A||^2 turn
        them into the scorer's relative errors.
        """
        m = self.module
        c = m.load(str(content), size)
        s = m.load(str(style), size)
        with torch.no_grad():
            fc, fs = m.taps(self.net, c), m.taps(self.net, s)
        (content_idx,) = m.CONTENT
        p = fc[content_idx]
        w_content = p.numel() / p.pow(2).sum().item()
        w_style = []
        for idx in m.STYLE:
            a = m.gram(fs[idx])
            w_style.append(beta / len(m.STYLE) * a.shape[0] ** 2 / a.pow(2).sum().item())
        return w_content, w_style


@dataclass
class Curve:
    """(seconds, picture) samples of one run, scored afterwards."""

    label: str
    wall: float = 0.0
    launch_wall: float | None = None  # a peer's whole process, from launch to exit
    samples: list[tuple[float, Image.Image]] = field(default_factory=list)
    totals: list[tuple[float, float]] = field(default_factory=list)

    def score(self, scorer: Scorer, content: Path, style: Path, size: int) -> None:
        self.totals = [(t, scorer.total(content, style, pic, size)) for t, pic in self.samples]

    def time_to(self, target: float) -> float | None:
        """First time the scored total is at or below ``target`` (linear between samples)."""
        prev = None
        for t, total in self.totals:
            if total <= target:
                if prev is None:
                    return t
                (t0, v0) = prev
                return t0 + (t - t0) * (v0 - target) / (v0 - total) if v0 != total else t
            prev = (t, total)
        return None


def run_pastiche(
    content: Path,
    style: Path,
    size: int,
    steps: int,
    workdir: Path,
    every: int = 25,
    weights: tuple[float, list[float]] | None = None,
    extra: list[str] | None = None,
) -> Curve:
    """Run the pastiche CLI, keeping a picture every ``every`` steps with its time."""
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.glob("*.png"):
        old.unlink()
    cmd = [
        sys.executable, "-m", "pastiche", "--device", PEER_DEVICE, "--size", str(size), "--style-size", str(size),
        "--num-steps", str(steps), "--workspace", str(workdir), "--workspace-step", str(every),
        "--seed", "0", "--no-verbose", "-c", str(content), "-s", str(style), "-o", str(workdir / "final.png"),
    ]  # fmt: skip
    if weights is not None:
        w_content, w_style = weights
        cmd += ["--content-layer-weights", repr(w_content), "--style-layer-weights", *map(repr, w_style)]
    cmd += extra or []
    launched = time.perf_counter()
    subprocess.run(cmd, check=True)
    launch_wall = time.perf_counter() - launched
    # Times count from the starting picture pastiche writes once its network and
    # targets are ready: its start-up is not charged to it (ours is, to us).
    frames = sorted(workdir.glob("[0-9]*.png"), key=lambda p: int(p.stem))
    origin = frames[0].stat().st_mtime
    curve = Curve("pastiche")
    for path in frames[1:]:
        curve.samples.append((path.stat().st_mtime - origin, Image.open(path).convert("RGB")))
    curve.wall = curve.samples[-1][0] if curve.samples else 0.0
    curve.launch_wall = launch_wall
    return curve


def run_brushwork(content: Path, style: Path, params, every_seconds: float = 2.0, label="brushwork") -> Curve:
    """Run the engine in-process from a cold weights cache, keeping the output-size picture as it goes.

    The time spent taking samples is not counted as the engine's.
    """
    from brushwork.engine import StyleTransfer, load_image
    from brushwork.engine.network import vgg_weights as weights_module

    weights_module._cache.clear()  # load the weights as a fresh start would
    start = time.perf_counter()
    sampling = 0.0
    engine = StyleTransfer(load_image(content, 4096), load_image(style, 4096), params)
    curve = Curve(label)
    next_sample = every_seconds
    for progress in engine.run():
        now = time.perf_counter() - start - sampling
        if progress.finished or progress.scale_finished or now >= next_sample:
            began = time.perf_counter()
            # result() upsamples the current scale's picture: what the artist gets by stopping now.
            curve.samples.append((now, engine.result()))
            sampling += time.perf_counter() - began
            next_sample = now + every_seconds
    curve.wall = time.perf_counter() - start - sampling
    return curve
