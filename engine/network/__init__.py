"""VGG19 as a fixed feature extractor: its layers, weights, device and number format."""
