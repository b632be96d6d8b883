"""What the studio keeps on disk: the session, presets and autosave."""
