"""VGG19's convolutional layers, named the way Gatys et al. and Caffe name them.

``conv{b}_{c}`` is the c-th convolution of block b. Throughout Brushwork a layer
name means the activation *after* that convolution's ReLU (the paper's
``relu{b}_{c}``), because that is what the paper's losses are computed on.
"""

BLOCK_DEPTHS = (2, 2, 4, 4, 4)
BLOCK_CHANNELS = (64, 128, 256, 512, 512)

CONV_LAYERS: tuple[str, ...] = tuple(
    f"conv{b}_{c}" for b, depth in enumerate(BLOCK_DEPTHS, start=1) for c in range(1, depth + 1)
)
"""All sixteen layers in forward order."""

# The names the Keras conversion of the Oxford weights uses for the same layers.
KERAS_NAMES: dict[str, str] = {name: f"block{name[4]}_conv{name[6]}" for name in CONV_LAYERS}

# Indices of the convolutions inside torchvision's ``vgg19().features``.
TORCHVISION_INDICES: dict[str, int] = {}
_index = 0
for _block, _depth in enumerate(BLOCK_DEPTHS, start=1):
    for _conv in range(1, _depth + 1):
        TORCHVISION_INDICES[f"conv{_block}_{_conv}"] = _index
        _index += 2  # a conv, then its ReLU
    _index += 1  # the block's pooling layer
del _index, _block, _depth, _conv

# Shallower keeps more of the photo's exact detail (conv3_2: textures, lettering,
# fine edges), deeper lets the style move shapes more (Gatys et al. use conv4_2).
CONTENT_LAYER_CHOICES = ("conv3_2", "conv4_2", "conv5_2", "conv5_4")
DEFAULT_CONTENT_LAYER = "conv4_2"

# The paper's style layers; the weights are those of the source material the
# product is built around (the "School of AI" talk), not the paper's 1/5 each.
DEFAULT_STYLE_WEIGHTS: dict[str, float] = {
    "conv1_1": 1.0,
    "conv2_1": 0.8,
    "conv3_1": 0.6,
    "conv4_1": 0.4,
    "conv5_1": 0.3,
}


def layer_index(name: str) -> int:
    """Position of ``name`` in forward order; raises ``KeyError`` for unknown names."""
    try:
        return CONV_LAYERS.index(name)
    except ValueError:
        raise KeyError(name) from None


def layer_channels(name: str) -> int:
    """Number of feature maps that layer produces."""
    return BLOCK_CHANNELS[int(name[4]) - 1]


def deepest(names) -> str:
    """The layer among ``names`` that comes last in the forward pass."""
    return max(names, key=layer_index)
