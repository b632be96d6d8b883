"""The names a parameter may take, in a module that imports nothing heavy.

``brushwork-render --help`` and ``--version`` build their answer from these;
keeping them apart from the modules that need PyTorch lets the command answer
without loading it (several seconds on a cold start).
"""

COLOR_MODES = ("off", "luminance", "match")
PRECISIONS = ("auto", "float32", "bfloat16", "float16")
OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "noise", "image")
POOLINGS = ("max", "avg")
# The texture statistic the style term matches (engine.objective.texture_statistics): Gatys et al.'s Gram
# matrices, the features' mean and covariance (Wasserstein-2 between Gaussians) or their whole distribution
# along random directions (sliced Wasserstein, Heitz et al. 2021).
STYLE_LOSSES = ("gram", "w2", "sliced")
