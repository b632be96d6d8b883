"""The run: the step loop, each scale's state, the coarse-to-fine schedule, previews and memory."""
