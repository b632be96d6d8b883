"""Clips painted frame by frame, their files, optical flow, and time-lapses of a run."""
