"""Where the studio keeps the artist's files, found without Qt.

The window asks Qt (``QStandardPaths.AppDataLocation`` for organisation and
application "Brushwork"); ``brushwork-render`` must find the same folder, so
that a preset saved in the studio can be used by name on the command line.
These are Qt's rules for that location on each platform.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ORGANISATION = APPLICATION = "Brushwork"


def app_data_dir() -> Path:
    """The studio's app-data folder (presets, session, autosave, log)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / ORGANISATION / APPLICATION


def user_presets_dir() -> Path:
    return app_data_dir() / "presets"
