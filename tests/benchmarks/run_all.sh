#!/usr/bin/env bash
# Remake every benchmark figure of docs/performance.md (about three
# hours on a 2-core CPU). Needs the shared images and scorer beside the checkout
# (or BRUSHWORK_SHARED), and matplotlib (pip install -e '.[bench]'). Say which
# kind of CPU the figures come from: they differ by about 2x between CPUs with
# and without bfloat16 (grep -o 'avx512_bf16\|amx_bf16' /proc/cpuinfo).
set -euo pipefail
cd "$(dirname "$0")/../.."
python tests/benchmarks/bench_step_time.py --sizes 256 512 1024 --profile
for bench in first_preview memory; do
    python "tests/benchmarks/bench_$bench.py"
done
python tests/benchmarks/bench_time_to_finished.py --sizes 256 512
python tests/benchmarks/bench_slider_latency.py
python tests/benchmarks/bench_levers.py --compile
python tests/benchmarks/bench_time_to_quality.py --sizes 256 512
python tests/benchmarks/bench_region_seam.py --size 256
python tests/benchmarks/bench_print_size.py --sizes 512 1024 2048 --tile 512
