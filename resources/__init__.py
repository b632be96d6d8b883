"""Data shipped with Brushwork: sample images and built-in presets (no code)."""
