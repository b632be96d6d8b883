"""A studio window with throwaway settings, on a qasync loop: for scripts that drive it."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from brushwork.gui.studio_window import StudioWindow
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication


def scratch_window(prefix: str = "brushwork-") -> tuple[qasync.QEventLoop, StudioWindow]:
    """A shown window whose settings and app data live in a fresh temporary folder.

    Scripts (screenshots, README pictures, the stress benchmark) must neither
    read nor change the artist's own session, presets or autosave.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    window = StudioWindow(
        settings=QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat), data_dir=scratch, restore=False
    )
    return loop, window
