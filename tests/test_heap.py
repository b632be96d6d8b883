"""Print size: freed memory goes back to the system once a run tiles (engine.memory.bound_heap)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")

# Frees every other one of 50 blocks of 8 MiB, after a 16 MiB block has
# raised glibc's mmap threshold as a run's larger tensors do, and prints how
# many MiB the process still holds for them. In its own process: the setting
# lasts for the life of the process.
PROBE = textwrap.dedent(
    """
    import sys
    import torch
    from brushwork.engine.run.out_of_memory import bound_heap

    def resident_mib():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096 / 2**20

    if sys.argv[1] == "bound":
        bound_heap()
    big = torch.ones(4 << 20)
    del big
    base = resident_mib()
    blocks = [torch.ones(2 << 20) for _ in range(50)]
    live = blocks[::2]
    del blocks
    print(round(resident_mib() - base))
    """
)


def _held_mib(mode: str) -> int:
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, cwd=root, timeout=120
    )
    return int(out.stdout.strip().splitlines()[-1])


def test_freed_blocks_go_back_to_the_system_once_bounded():
    # 25 blocks of 8 MiB are live: 200 MiB. glibc's default keeps the 25 freed
    # ones too, in holes of its heap; bounded, they are returned.
    default, bounded = _held_mib("default"), _held_mib("bound")
    assert bounded < 230, bounded
    assert default > bounded + 100, (default, bounded)
