"""How many L-BFGS pairs a print-size scale needs: 3 or 5 in bfloat16, against 20 in float32.

At print size every curvature pair is two pictures' worth of memory, so the
tiled path keeps no more than its budget holds (engine.run.memory_plan). A tiled
step is the whole picture's step (tests/test_tiled_objective.py), so this is
measured where it is quick: at the 512 px top scale, painted whole, from the
finished 256 px picture, for as many steps as a print-size scale gets
(17 to 38 of the default 300). Each history starts from the same picture.

    python tests/benchmarks/bench_tiled_history.py [--size 512] [--steps 30]

Prints the total at a few steps, and each history's last total against
float32's; writes results/tiled_history.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, print_table, save_json

PAIRS = [("chelsea.png", "starry_night.jpg"), ("coffee.png", "wave.jpg")]
HISTORIES = (("3 bf16", 3, torch.bfloat16), ("5 bf16", 5, torch.bfloat16), ("20 fp32", 20, torch.float32))


def finished_lower_scale(content: Image.Image, style: Image.Image, params, top: int) -> Image.Image:
    """The picture at the end of the scale below the top one, as the default run paints it."""
    from brushwork.engine import StyleTransfer

    engine = StyleTransfer(content, style, params)
    for progress in engine.run():
        if progress.step == top and progress.scale_finished:
            engine.cancel()
            return Image.fromarray(progress.preview)
    raise RuntimeError("the run ended before its top scale")


def top_scale_totals(content, style, params, start, top: int, history: int, store, steps: int) -> list[float]:
    """The totals of ``steps`` top-scale steps with L-BFGS keeping ``history`` pairs in ``store``."""
    import brushwork.engine.run.style_transfer as transfer
    from brushwork.engine.optimisers.lbfgs import LBFGS
    from brushwork.engine.run.scale_state import ScaleState

    def optimizer(self, kind):
        self.optimizer = LBFGS(self.picture, history=history, store=store)
        self.optimizer_kind = kind

    original = ScaleState.new_optimizer
    ScaleState.new_optimizer = optimizer
    try:
        engine = transfer.StyleTransfer(content, style, params, start_picture=start, start_step=top)
        totals = []
        for progress in engine.run():
            totals.append(progress.losses.total)
            if len(totals) >= steps:
                break
        engine.cancel()
    finally:
        ScaleState.new_optimizer = original
    return totals


def main() -> None:
    from brushwork.engine import StyleParams, load_image
    from brushwork.engine.run.schedule import plan_stages

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    params = StyleParams(size=args.size, stop_early=False)
    top = plan_stages(args.size, params.steps)[-1].first_step
    records, rows = [], []
    for photo, painting in PAIRS:
        content, style = load_image(IMAGES / photo), load_image(IMAGES / painting)
        start = finished_lower_scale(content, style, params, top)
        runs = {}
        for label, history, store in HISTORIES:
            runs[label] = top_scale_totals(content, style, params, start, top, history, store, args.steps)
        reference = runs[HISTORIES[-1][0]][-1]
        for label, totals in runs.items():
            records.append({"pair": f"{photo} + {painting}", "history": label, "totals": totals})
            at = [f"{totals[i]:.3f}" for i in (0, 9, 16, len(totals) - 1)]
            rows.append([f"{photo} + {painting}", label, *at, f"{totals[-1] / reference:.3f}"])
    last = args.steps
    print_table(["pair", "history", "step 1", "step 10", "step 17", f"step {last}", "last / fp32's"], rows)
    save_json("tiled_history", {"size": args.size, "steps": args.steps, "records": records})


if __name__ == "__main__":
    main()
