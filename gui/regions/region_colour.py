"""The type regions are known by, below every module that works with their masks (none imports another for it)."""

Colour = tuple[int, int, int]  # a region's RGB: what a mask is found by
