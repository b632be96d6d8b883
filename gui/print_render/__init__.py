"""Render at print size: the dialog, its parts, and what the window's menu action does (``print_actions``)."""
