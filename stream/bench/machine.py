"""The machine a benchmark ran on: CPU model and the instruction sets that change the ratios.

int8 kernels use AVX-512 VNNI (or AMX) where the CPU has them and fall back to AVX2, so the
same benchmark gives other ratios on another CPU: every benchmark prints this in its header
and stores it in its JSON.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

__all__ = ["describe", "machine"]

# /proc/cpuinfo flag -> the name people know it by
_FLAGS = {
    "avx2": "AVX2",
    "avx512f": "AVX-512",
    "avx512_vnni": "AVX-512 VNNI",
    "avx_vnni": "AVX-VNNI",
    "amx_int8": "AMX-INT8",
    "asimd": "NEON",
    "asimddp": "NEON dot product",
}


def machine(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, Any]:
    """``{cpu, cores, isa: [...]}``; the CPU is ``platform.processor()`` where there is no
    /proc/cpuinfo (not Linux)."""
    model, flags = "", set[str]()
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name in ("model name", "hardware", "cpu model") and not model:
                model = value.strip()
            elif name in ("flags", "features") and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return {
        "cpu": model or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "isa": [label for flag, label in _FLAGS.items() if flag in flags],
    }


def describe(info: dict[str, Any]) -> str:
    isa = ", ".join(info["isa"]) or "no AVX2/AVX-512/VNNI reported"
    return f"{info['cpu']} ({info['cores']} cores; {isa})"
