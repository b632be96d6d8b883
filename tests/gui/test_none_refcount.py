"""PySide6 6.12.0 drops a reference to None with every Qt call that returns nothing; on Python 3.11 and older the
window died mid-run ("Fatal Python error: none_dealloc", a user's trial, in the loss chart's paintEvent)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def test_the_window_survives_far_more_qt_calls_than_none_has_references():
    # A few thousand references to None at start; 50 000 lineTo calls would end the process on 3.11 unguarded.
    # In a child process: the failure is an abort, which must not take the test run with it.
    script = textwrap.dedent(
        """
        import gc, sys
        import brushwork.gui
        from PySide6.QtGui import QGuiApplication, QPainterPath
        app = QGuiApplication([])
        path = QPainterPath()
        for i in range(50_000):
            path.lineTo(i, i)
        gc.collect()
        print("alive", sys.getrefcount(None) > 0)
        """
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and "alive True" in done.stdout, done.stderr[-500:]
