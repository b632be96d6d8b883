"""Choosing the compute device: CUDA, then Apple MPS, then the CPU."""

from __future__ import annotations

import warnings

import torch

from ..errors import DeviceError


def _cuda_count() -> int:
    # A CUDA build of torch on a machine without a driver warns when probed.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def available_devices() -> list[str]:
    """Device names this machine can run on, best first (``auto`` not included)."""
    names = [f"cuda:{i}" for i in range(_cuda_count())]
    if _mps_available():
        names.append("mps")
    names.append("cpu")
    return names


def resolve_device(name: str = "auto") -> torch.device:
    """Turn a parameter's device name into a ``torch.device`` that exists here."""
    if name == "auto":
        if _cuda_count():
            return torch.device("cuda", 0)
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "mps":
        if not _mps_available():
            raise DeviceError("Apple MPS was requested but is not available on this machine; use 'auto' or 'cpu'.")
        return torch.device("mps")
    if name.startswith("cuda"):
        count = _cuda_count()
        index = int(name.partition(":")[2] or 0)
        if count == 0:
            raise DeviceError(f"{name} was requested but no CUDA GPU is available; use 'auto' or 'cpu'.")
        if index >= count:
            raise DeviceError(f"{name} was requested but this machine has {count} CUDA GPU(s).")
        return torch.device("cuda", index)
    raise DeviceError(f"Unknown device {name!r}; use auto, cpu, mps, cuda or cuda:N.")


def describe(device: torch.device) -> str:
    """A short human name, e.g. 'CPU' or 'CUDA 0 (NVIDIA H200)'."""
    if device.type == "cuda":
        return f"CUDA {device.index or 0} ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple MPS"
    return "CPU"
