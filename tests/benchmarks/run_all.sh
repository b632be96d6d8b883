#!/usr/bin/env bash
# Remake every benchmark figure of the README's Performance section (about two
# hours on a 2-core CPU). Needs the shared images and scorer beside the checkout
# (or BRUSHWORK_SHARED), and matplotlib (pip install -e '.[bench]').
set -euo pipefail
cd "$(dirname "$0")/../.."
for bench in step_time first_preview memory; do
    python "tests/benchmarks/bench_$bench.py"
done
python tests/benchmarks/bench_levers.py --compile
python tests/benchmarks/bench_time_to_quality.py --sizes 256 512
