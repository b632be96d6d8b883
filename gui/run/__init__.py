"""Running the engine off the GUI thread."""
