"""Time to a finished picture, Brushwork against pastiche, judged by the neutral scorer.

For each content/style pair and size, pastiche optimises the scorer's own
objective (layer weights computed from the targets so that its terms equal
the scorer's) for 300 L-BFGS steps; its final scorer total is the target.
Brushwork is configured to the same objective (alpha 1, beta 10, conv1_1 ...
conv5_1 at 1/5 each, content conv4_2) and we measure the wall time it needs
to reach that total, trying a few step budgets and keeping the fastest.

    python tests/benchmarks/bench_time_to_quality.py [--sizes 256 512] [--pairs 0 1 2 3]

Prints a table, writes results/time_to_quality.json and a plot of the scorer
total against wall time for both systems.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import (
    IMAGES,
    PAIRS,
    RESULTS,
    STYLE_LAYERS,
    Scorer,
    print_table,
    run_brushwork,
    run_pastiche,
    save_json,
)

PASTICHE_STEPS = 300
BUDGETS = {256: (60, 100, 160), 512: (100, 160, 240), 1024: (160, 240)}


def brushwork_params(size: int, steps: int, **overrides):
    from engine.params import StyleParams

    return StyleParams(
        alpha=1.0,
        beta=10.0,
        style_layers=dict.fromkeys(STYLE_LAYERS, 0.2),
        content_layer="conv4_2",
        size=size,
        steps=steps,
        **overrides,
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--pairs", type=int, nargs="+", default=list(range(len(PAIRS))))
    ap.add_argument("--budgets", type=int, nargs="+", help="Brushwork step budgets to try")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--tag", default="time_to_quality")
    args = ap.parse_args(argv)
    scorer = Scorer()
    rows, records, curves = [], [], {}
    for size in args.sizes:
        for index in args.pairs:
            content_name, style_name = PAIRS[index]
            content, style = IMAGES / content_name, IMAGES / style_name
            weights = scorer.pastiche_weights(content, style, size)
            peer = run_pastiche(content, style, size, PASTICHE_STEPS, RESULTS / "tmp" / "pastiche", weights=weights)
            peer.score(scorer, content, style, size)
            target = peer.totals[-1][1]
            peer_time = peer.time_to(target)
            best = None
            tried = []
            for budget in args.budgets or BUDGETS[size]:
                ours = run_brushwork(content, style, brushwork_params(size, budget, precision=args.precision))
                ours.score(scorer, content, style, size)
                reached = ours.time_to(target)
                tried.append({"budget": budget, "time_to_target": reached, "final_total": ours.totals[-1][1],
                              "wall": ours.wall, "curve": ours.totals})  # fmt: skip
                if reached is not None and (best is None or reached < best[0]):
                    best = (reached, budget, ours)
            key = f"{content_name[:-4]}+{style_name[:-4]}@{size}"
            curves[key] = (peer, best[2] if best else ours)
            ratio = best[0] / peer_time if best else None
            rows.append([key, f"{target:.4f}", f"{peer_time:.1f}", f"{best[0]:.1f}" if best else "not reached",
                         best[1] if best else "-", f"{ratio:.3f}" if ratio else "-"])  # fmt: skip
            records.append({"pair": key, "size": size, "target_total": target, "pastiche_time": peer_time,
                            "pastiche_curve": peer.totals, "brushwork_time": best[0] if best else None,
                            "brushwork_budget": best[1] if best else None, "ratio": ratio, "tried": tried})  # fmt: skip
            print_table(["pair", "target", "pastiche s", "brushwork s", "budget", "ratio"], rows)
            print(flush=True)
    save_json(args.tag, {"pastiche_steps": PASTICHE_STEPS, "results": records})
    plot(curves, RESULTS / f"{args.tag}.png")
    return 0


def plot(curves: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(curves)
    cols = min(4, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for ax, (key, (peer, ours)) in zip(axes.flat, curves.items(), strict=False):
        for curve, style in ((peer, "o-"), (ours, "s-")):
            t, v = zip(*curve.totals, strict=True)
            ax.plot(t, v, style, markersize=3, label=curve.label)
        ax.axhline(peer.totals[-1][1], color="grey", linewidth=0.8, linestyle="--")
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("wall time (s)")
        ax.set_ylabel("scorer total")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    sys.exit(main())
