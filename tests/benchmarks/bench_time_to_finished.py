"""Time to a finished picture under default settings, Brushwork against pastiche's default 300 steps.

Both systems run as an artist would start them, untouched: pastiche with its
defaults and ``--size N``, Brushwork with ``StyleParams(size=N)``. Brushwork's
time counts from the start (weights loaded) until the run reports its picture
finished. pastiche gets two times: from its launch to its exit (what an
artist waits for), and, stricter, from its first picture (after its network
and targets are ready) to its 300th step, without its start-up. Ratios are
given against both. The neutral scorer rates both finished pictures:
Brushwork must not be worse.

    python tests/benchmarks/bench_time_to_finished.py [--sizes 256 512] [--pairs 0 3]

Prints a table, writes results/time_to_finished.json and a plot of the scorer
total against wall time for both systems.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import (
    IMAGES,
    PAIRS,
    RESULTS,
    Scorer,
    cpu_kind,
    plot_grid,
    print_table,
    run_brushwork,
    run_pastiche,
    save_json,
)

PASTICHE_STEPS = 300  # pastiche's default


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--pairs", type=int, nargs="+", default=[0, 3])
    ap.add_argument("--tag", default="time_to_finished")
    ap.add_argument("--params", default="", help="extra StyleParams fields, as k=v,k=v (for trying levers)")
    args = ap.parse_args(argv)
    from brushwork.engine.settings.style_params import StyleParams

    extra = dict(item.split("=", 1) for item in args.params.split(",") if item)
    extra = {k: json.loads(v) for k, v in extra.items()}
    scorer = Scorer()
    records = []
    for size in args.sizes:
        for index in args.pairs:
            content_name, style_name = PAIRS[index]
            content, style = IMAGES / content_name, IMAGES / style_name
            peer = run_pastiche(content, style, size, PASTICHE_STEPS, RESULTS / "tmp" / "pastiche")
            peer.score(scorer, content, style, size)
            ours = run_brushwork(content, style, StyleParams(size=size, **extra), every_seconds=max(2.0, size / 64))
            ours.score(scorer, content, style, size)
            records.append({
                "pair": f"{content_name[:-4]}+{style_name[:-4]}@{size}", "size": size,
                "pastiche_seconds": peer.wall, "pastiche_launch_seconds": peer.launch_wall,
                "ratio_to_launch": ours.wall / peer.launch_wall,
                "pastiche_total": peer.totals[-1][1], "pastiche_curve": peer.totals,
                "brushwork_seconds": ours.wall, "brushwork_total": ours.totals[-1][1], "brushwork_curve": ours.totals,
                "ratio": ours.wall / peer.wall, "quality_ok": ours.totals[-1][1] <= peer.totals[-1][1],
            })  # fmt: skip
            headers = ["pair", "pastiche s (from launch)", "total", "brushwork s", "total", "ratio (to launch)", "ok"]
            print_table(headers, _rows(records))
            print(flush=True)
            save_json(args.tag, {"cpu_kind": cpu_kind(), "params": extra, "results": records})
            plot(records, RESULTS / f"{args.tag}.png")
    return 0


def _rows(records: list[dict]) -> list[list]:
    return [
        [r["pair"], f"{r['pastiche_seconds']:.1f} ({r['pastiche_launch_seconds']:.1f})", f"{r['pastiche_total']:.3f}",
         f"{r['brushwork_seconds']:.1f}", f"{r['brushwork_total']:.3f}",
         f"{r['ratio']:.3f} ({r['ratio_to_launch']:.3f})", "yes" if r["quality_ok"] else "NO"]
        for r in records
    ]  # fmt: skip


def plot(records: list[dict], path: Path) -> None:
    def draw(ax, record: dict) -> None:
        for key, marker, label in (("pastiche", "o-", "pastiche, 300 steps"), ("brushwork", "s-", "Brushwork")):
            t, v = zip(*record[f"{key}_curve"], strict=True)
            ax.plot(t, v, marker, markersize=3, label=f"{label} ({record[f'{key}_seconds']:.0f} s)")
        ax.set_title(record["pair"], fontsize=9)
        ax.set_xlabel("wall time (s)")
        ax.set_ylabel("scorer total")
        ax.set_yscale("log")
        ax.legend(fontsize=8)

    plot_grid(records, draw, path)


if __name__ == "__main__":
    sys.exit(main())
