"""The default run's time to a finished picture with this round's stopping rule and the one before, against
pastiche's default 300 steps, in the same run (issue 27, item 3).

The rule before: the loss's gain looked at every 10 steps over the last 10 (10 % coarse, 3 % output) and a
fresh L-BFGS at each scale. Now: every 2 steps over the last 6 (6 %, 1.8 %) and the last scale's step scale
carried over (``engine.run.convergence``, ``LBFGS.adopt_step_scale``). Both are rated by the neutral scorer.

    ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 python tests/benchmarks/bench_stopping_rule.py --pairs 1 2

Prints a line per pair, writes results/time_to_finished_avx2_stopping.json (``--tag``) and the finished
pictures under results/tmp/.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, PAIRS, RESULTS, Scorer, cpu_kind, run_brushwork, run_pastiche, save_json

BEFORE = {"GAIN_WINDOW": 10, "LOOK_EVERY": 10, "COARSE_MIN_GAIN": 0.10, "FINAL_MIN_GAIN": 0.03}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--tag", default="time_to_finished_avx2_stopping")
    args = ap.parse_args(argv)
    from brushwork.engine.optimisers.lbfgs import LBFGS
    from brushwork.engine.run import convergence
    from brushwork.engine.settings.style_params import StyleParams

    after = {name: getattr(convergence, name) for name in BEFORE}
    adopt = LBFGS.adopt_step_scale
    scorer = Scorer()
    records = []
    for pair in args.pairs:
        content_name, style_name = PAIRS[pair]
        content, style = IMAGES / content_name, IMAGES / style_name
        peer = run_pastiche(content, style, args.size, 300, RESULTS / "tmp" / "pastiche")
        peer.score(scorer, content, style, args.size)
        record = {
            "pair": f"{content_name[:-4]}+{style_name[:-4]}@{args.size}", "pastiche_s": peer.wall,
            "pastiche_launch_s": peer.launch_wall, "pastiche_total": peer.totals[-1][1],
        }  # fmt: skip
        for label, rule, carry in (("before", BEFORE, False), ("after", after, True)):
            for name, value in rule.items():
                setattr(convergence, name, value)
            LBFGS.adopt_step_scale = adopt if carry else (lambda self, per_element: None)
            try:
                ours = run_brushwork(content, style, StyleParams(size=args.size), every_seconds=4.0)
            finally:
                LBFGS.adopt_step_scale = adopt
                for name, value in after.items():
                    setattr(convergence, name, value)
            ours.score(scorer, content, style, args.size)
            record |= {
                f"{label}_s": ours.wall, f"{label}_total": ours.totals[-1][1],
                f"{label}_ratio": ours.wall / peer.wall, f"{label}_ratio_launch": ours.wall / peer.launch_wall,
            }  # fmt: skip
            ours.samples[-1][1].save(RESULTS / "tmp" / f"stopping_{label}_{pair}.png")
        records.append(record)
        print(json.dumps(record), flush=True)
        save_json(args.tag, {"cpu_kind": cpu_kind(), "results": records})
    return 0


if __name__ == "__main__":
    sys.exit(main())
