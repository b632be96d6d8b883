"""What a run is asked to do: the parameter object, its choices, presets and region settings."""
