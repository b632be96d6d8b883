"""Regions on the preview: painted masks, their tools, overlay and files."""
