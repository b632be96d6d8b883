"""The optimisers that change the picture's pixels: L-BFGS and Adam."""
