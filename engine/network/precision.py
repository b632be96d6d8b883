"""Which number format the convolutions run in.

Grams and losses are float32 whatever this says (see ``engine.objective.loss_terms``); only
the VGG pass changes. On a CPU with AVX-512 BF16 (or AMX) the convolutions run
about 1.8x faster in bfloat16, and the finished picture scores within a
fraction of a percent of the float32 one (see docs/performance.md).
float16 is only offered on GPUs: its narrow range needs care with
Caffe-scaled activations, so "auto" never picks it. Its gradients would
underflow, so with float16 the engine scales the loss (``engine.objective.loss_scaling``).
"""

from __future__ import annotations

import functools
import os
import platform
from pathlib import Path

import torch

from ..errors import DeviceError

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


# oneDNN instruction sets (ONEDNN_MAX_CPU_ISA) below AVX512_CORE_BF16: capped at
# one of these, oneDNN emulates bfloat16 in float32 and is slower than float32.
_ISAS_WITHOUT_BF16 = frozenset({"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI"})


@functools.cache
def cpu_has_fast_bf16() -> bool:
    """True if the CPU computes bfloat16 natively (AVX-512 BF16 or AMX) and oneDNN may use it."""
    if onednn_isa_capped_below_bf16():
        return False
    return cpu_reports_bf16() and torch.backends.mkldnn.is_available()


def cpu_reports_bf16() -> bool:
    """True if the CPU's flags (Linux's /proc/cpuinfo) list AVX-512 BF16 or AMX, whatever oneDNN is allowed."""
    if platform.system() != "Linux":
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def onednn_isa_capped_below_bf16() -> bool:
    """True if ``ONEDNN_MAX_CPU_ISA`` (or its old name ``DNNL_MAX_CPU_ISA``) keeps oneDNN off bfloat16.

    Someone who caps oneDNN this way (the benchmarks do, to measure an AVX2-only
    CPU on one that has AVX-512 BF16) gets float32 from "auto", as such a CPU would.
    """
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or ""
    return isa.strip().upper() in _ISAS_WITHOUT_BF16


def resolve_precision(name: str, device: torch.device) -> torch.dtype:
    """The convolution dtype for a ``precision`` parameter on ``device``."""
    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
        if device.type == "cpu" and cpu_has_fast_bf16():
            return torch.bfloat16
        return torch.float32
    if name == "float16" and device.type == "cpu":
        raise DeviceError("float16 convolutions need a GPU; use 'auto', 'bfloat16' or 'float32' on the CPU.")
    if name == "bfloat16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise DeviceError("This GPU has no bfloat16 support; use 'auto', 'float16' or 'float32'.")
    return _DTYPES[name]
