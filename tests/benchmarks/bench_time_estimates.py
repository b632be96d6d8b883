"""How true the time estimates are: before a run, and at 10 %, 50 % and 90 % of it.

Each case paints one picture in a fresh process (a cold start, as ``brushwork-render`` has), timed by the
clock the command line uses (``engine.run.run_clock``), with this machine's history of past runs in
``--history`` (a folder; by default a new, empty one, so the first case starts from no history and each
later case from the runs before it). For every case it records:

- the estimate before the run from no history at all (the priors), and from the history so far;
- the estimate of the whole run's time (the time spent plus the time left) at the first report at or
  after 10 %, 50 % and 90 % of the run's actual time;
- whether the actual time lay within the range said.

An error is |estimate - actual| / actual. The goals (issue 28): before a run, median within 25 %, worst
within 50 %; during a run, within 15 % from 10 % of the run on.

    python tests/benchmarks/bench_time_estimates.py            # the 12 cases, 256-2048 px (35 min on 2 cores)
    python tests/benchmarks/bench_time_estimates.py --quick    # 256-512 px whole and 512 px tiled (minutes)
    python tests/benchmarks/bench_time_estimates.py --cases 256 512t256 --history ~/.local/share/Brushwork/Brushwork

A case is SIZE, SIZEtTILE (tiled), with /STEPS for a custom step budget, /fixed to turn stop_early off:
``1024t256/150``. Writes results/time_estimates.json (``--out`` elsewhere).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, RESULTS, machine

PAIR = ("chelsea.png", "starry_night.jpg")
# The 12: 256-2048 px, whole and tiled, default and custom steps (about 35 minutes on a quiet 2-core
# CPU with AMX; the large ones with budgets that keep them there).
CASES = (
    "256",
    "384/150",
    "512",
    "512/fixed",
    "512t256",
    "768",
    "1024/150",
    "1024t512/100",
    "1024t256/80",
    "1536t384/80",
    "2048/40",
    "2048t512/40",
)
QUICK = ("256", "384/150", "512", "512/100", "256", "512t256")
MARKS = (0.1, 0.5, 0.9)


def parse_case(case: str) -> dict:
    size, _, rest = case.partition("/")
    side, _, tile = size.partition("t")
    out = {"case": case, "size": int(side), "tile": int(tile or 0), "steps": 300, "stop_early": True}
    for part in filter(None, rest.split("/")):
        if part == "fixed":
            out["stop_early"] = False
        else:
            out["steps"] = int(part)
    return out


def child(case: dict, history_dir: str) -> dict:
    """In the child process: the forecasts, then the run with its clock; its scales go into the history."""
    from brushwork.engine.pictures.images import load_image
    from brushwork.engine.print_size.print_estimate import machine_memory
    from brushwork.engine.run.run_clock import start_clock
    from brushwork.engine.run.style_transfer import StyleTransfer
    from brushwork.engine.run.time_history import RunHistory
    from brushwork.engine.run.time_model import TimeModel, device_key, plan_run
    from brushwork.engine.settings.style_params import StyleParams

    params = StyleParams(size=case["size"], tile=case["tile"], steps=case["steps"], stop_early=case["stop_early"])
    content, style = load_image(IMAGES / PAIR[0]), load_image(IMAGES / PAIR[1])
    history = RunHistory.in_folder(Path(history_dir))
    free, dtype = machine_memory(params)
    device = device_key(params)
    fresh = TimeModel([], device).forecast(plan_run(content.size, params, 0, free, dtype))
    clock = start_clock(history, content.size, params, free_bytes=free, dtype=dtype)
    started = time.perf_counter()
    engine = StyleTransfer(content, style, params)
    reports = []
    for p in engine.run():
        clock.add(p)
        left = clock.seconds_left()
        reports.append((p.elapsed, time.perf_counter() - started, left.low, left.mid, left.high, clock.fraction()))
    wall = time.perf_counter() - started
    history.add(clock.records())
    span = lambda s: [s.low, s.mid, s.high]  # noqa: E731
    scales = [(r.side, r.tile, r.budget, r.taken, r.step_seconds, r.first_seconds) for r in clock.records()]
    return {
        **case,
        "device": device,
        "fresh": span(fresh),
        "before": span(clock.forecast),
        "measured": clock.model.measured,
        "history_scales": len(clock.model.records),
        "wall": wall,
        "elapsed": reports[-1][0],
        "reports": reports,
        "scales": scales,
    }


def errors(result: dict) -> dict:
    actual = result["wall"]

    def error(estimate: float) -> float:
        return abs(estimate - actual) / actual

    out = {
        "fresh": error(result["fresh"][1]),
        "fresh_within": result["fresh"][0] <= actual <= result["fresh"][2],
        "before": error(result["before"][1]),
        "before_within": result["before"][0] <= actual <= result["before"][2],
    }
    for mark in MARKS:
        at = next((r for r in result["reports"] if r[1] >= mark * actual), result["reports"][-1])
        out[f"at_{round(mark * 100)}"] = error(at[1] + at[3])
        out[f"at_{round(mark * 100)}_within"] = at[1] + at[2] <= actual <= at[1] + at[4]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", help="SIZE, SIZEtTILE, with /STEPS or /fixed (see above)")
    parser.add_argument("--quick", action="store_true", help=f"the reduced set: {' '.join(QUICK)}")
    parser.add_argument("--history", help="the history folder to start from and add to (default: a new one)")
    parser.add_argument("--out", type=Path, default=RESULTS / "time_estimates.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        case, history = json.loads(args.child)
        print(json.dumps(child(case, history)))
        return
    cases = [parse_case(c) for c in (args.cases or (QUICK if args.quick else CASES))]
    history = args.history or tempfile.mkdtemp(prefix="brushwork-history-")
    results = []
    for case in cases:
        command = [sys.executable, __file__, "--child", json.dumps([case, history])]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["errors"] = errors(result)
        results.append(result)
        e = result["errors"]
        print(
            f"{case['case']:>13}: {result['wall']:7.1f} s; before: fresh {e['fresh']:6.1%}, "
            f"history {e['before']:6.1%} ({'in' if e['before_within'] else 'OUT of'} range "
            f"{result['before'][0]:.0f}-{result['before'][2]:.0f} s); "
            f"at 10/50/90 %: {e['at_10']:5.1%} {e['at_50']:5.1%} {e['at_90']:5.1%}",
            flush=True,
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"machine": machine(), "pair": PAIR, "results": results}, indent=1))
    summary = {}
    for key in ("fresh", "before", "at_10", "at_50", "at_90"):
        values = [r["errors"][key] for r in results]
        summary[key] = {"median": statistics.median(values), "worst": max(values)}
    with_history = [r["errors"]["before"] for r in results if r["measured"]]
    if with_history:
        summary["before_with_history"] = {"median": statistics.median(with_history), "worst": max(with_history)}
    print(json.dumps(summary, indent=1))
    args.out.write_text(
        json.dumps({"machine": machine(), "pair": PAIR, "results": results, "summary": summary}, indent=1)
    )


if __name__ == "__main__":
    main()
