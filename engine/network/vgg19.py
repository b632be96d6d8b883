"""VGG19 as a fixed feature extractor: convolutions only, frozen, cut after the last layer needed."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import BLOCK_DEPTHS, CONV_LAYERS, layer_index
from .step_abandon import checkpoint, watch_backward
from .vgg_weights import InputSpace, VGGWeights

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# The last convolution of each block; a pooling layer follows it.
_BLOCK_ENDS = {f"conv{b}_{depth}" for b, depth in enumerate(BLOCK_DEPTHS, start=1)}


class FeatureExtractor(nn.Module):
    """VGG19's convolutional part up to ``last_layer``, returning named ReLU outputs.

    Takes RGB images in [0, 1] and encodes them the way the weights expect, so
    that callers never see Caffe's BGR 0-255 convention. No parameter requires a
    gradient: backpropagation only ever reaches the input picture.
    """

    def __init__(
        self,
        weights: VGGWeights,
        last_layer: str = "conv5_4",
        *,
        pooling: str = "max",
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.layer_names = CONV_LAYERS[: layer_index(last_layer) + 1]
        self.pooling = pooling
        self.dtype = dtype
        device = torch.device(device)
        # cuDNN's fast bf16/fp16 kernels want NHWC; oneDNN on the CPU showed no
        # difference (1.61 vs 1.66 s at 512 px), so the CPU keeps NCHW.
        self.memory_format = torch.channels_last if device.type == "cuda" else torch.contiguous_format
        self.convs = nn.ParameterList()
        for w, b in weights.convs[: len(self.layer_names)]:
            w = w.to(device=device, dtype=dtype).contiguous(memory_format=self.memory_format)
            self.convs.append(nn.Parameter(w, requires_grad=False))
            self.convs.append(nn.Parameter(b.to(device=device, dtype=dtype), requires_grad=False))
        if weights.input_space is InputSpace.CAFFE:
            order, scale = [2, 1, 0], torch.full((3,), 255.0)
            shift = -torch.tensor(CAFFE_MEAN_BGR)
        else:
            order, scale = [0, 1, 2], 1.0 / torch.tensor(IMAGENET_STD)
            shift = -torch.tensor(IMAGENET_MEAN) / torch.tensor(IMAGENET_STD)
        self.channel_order = order
        self.register_buffer("scale", scale.view(1, 3, 1, 1).to(device), persistent=False)
        self.register_buffer("shift", shift.view(1, 3, 1, 1).to(device), persistent=False)

    @property
    def last_layer(self) -> str:
        return self.layer_names[-1]

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """RGB [0, 1] to the network's input space."""
        if self.channel_order != [0, 1, 2]:
            image = image[:, self.channel_order]
        return image * self.scale + self.shift

    def forward(self, image: torch.Tensor, taps) -> dict[str, torch.Tensor]:
        """Activations of the layers in ``taps`` (each after its ReLU).

        The pass stops at the deepest tapped layer, so asking for fewer or
        shallower layers is cheaper.
        """
        taps = set(taps)
        unknown = taps - set(self.layer_names)
        if unknown:
            raise KeyError(f"layers {sorted(unknown)} are beyond this extractor's last layer {self.last_layer}")
        stop = max(layer_index(t) for t in taps)
        out: dict[str, torch.Tensor] = {}
        # Encoding stays float32 (Caffe's 0-255 range); the convolutions run in
        # self.dtype and the gradient flows back to the float32 picture.
        x = self.encode(image).to(self.dtype).contiguous(memory_format=self.memory_format)
        pool = F.max_pool2d if self.pooling == "max" else F.avg_pool2d
        for i, name in enumerate(self.layer_names[: stop + 1]):
            checkpoint()  # a step that a newer change made worthless stops here (engine.network.step_abandon)
            x = F.conv2d(x, self.convs[2 * i], self.convs[2 * i + 1], padding=1)
            # In place is safe: conv2d's backward needs its input, not its output,
            # and a tapped activation is never modified afterwards (the next op
            # is a conv or a pooling, both out of place).
            x = F.relu_(x)
            watch_backward(x)
            if name in taps:
                out[name] = x
            if name in _BLOCK_ENDS and i < stop:
                x = pool(x, kernel_size=2, stride=2)
        return out
