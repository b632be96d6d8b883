"""Starting the studio: files and Qt's options on the command line, and the theme it remembers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from brushwork.gui import app as gui_app
from brushwork.gui import studio_window
from PIL import Image
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from tests.conftest import make_painting, make_photo
from tests.gui.conftest import ScriptedDialogs, make_window

REPO = Path(__file__).resolve().parents[2]


def test_files_on_the_command_line_open_in_content_then_style(qtbot, tmp_path, monkeypatch):
    # Issue 29, finding 8: `brushwork photo.jpg painting.jpg` did not open them. The last
    # session's images load at launch too: the files named replace them, whichever decodes first.
    monkeypatch.setattr(studio_window, "default_data_dir", lambda: tmp_path / "appdata")
    monkeypatch.setattr(gui_app, "_configure_logging", lambda data_dir: None)
    last_photo, last_painting = tmp_path / "last_photo.png", tmp_path / "last_painting.png"
    noise = np.random.default_rng(0).integers(0, 256, (1600, 2400, 3), dtype=np.uint8)
    Image.fromarray(noise).save(last_photo)  # slow to decode: it would land after the files named
    Image.fromarray(noise).save(last_painting)
    settings_file = str(tmp_path / "s.ini")
    last = QSettings(settings_file, QSettings.Format.IniFormat)
    last.setValue("images/content", str(last_photo))
    last.setValue("images/style", str(last_painting))
    last.sync()
    photo, painting = tmp_path / "photo.png", tmp_path / "painting.png"
    make_photo(40, 30).save(photo)
    make_painting(32, 32).save(painting)
    seen = {}

    class ClosingWindow(studio_window.StudioWindow):
        """Closes itself once nothing is loading any more, noting what its wells hold."""

        def __init__(self, **kwargs):
            super().__init__(settings=QSettings(settings_file, QSettings.Format.IniFormat), **kwargs)
            self.dialogs = ScriptedDialogs()
            self._check = QTimer(self, interval=20)
            self._check.timeout.connect(self._close_when_loaded)
            self._check.start()

        def _close_when_loaded(self):
            if self._tasks or self.content_well.path is None or self.style_well.path is None:
                return
            self._check.stop()
            seen.update(content=self.content_well.path, style=self.style_well.path)
            self.close()

    monkeypatch.setattr(studio_window, "StudioWindow", ClosingWindow)
    assert gui_app.main([str(photo), str(painting)]) == 0
    assert seen == {"content": photo, "style": painting}


def test_qt_options_go_to_qt_and_the_rest_to_brushwork(tmp_path):
    # Finding 8: `brushwork -style fusion` was refused as "unrecognized arguments".
    code = (
        "import sys\n"
        "from brushwork.gui.app import _parser, qt_application\n"
        "app, own = qt_application(sys.argv[1:])\n"
        "args = _parser().parse_args(own)\n"
        "print(app.style().name(), app.isRightToLeft(), args.content.name, args.style.name, args.demo)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    argv = ["-style", "windows", "photo.png", "-reverse", "painting.png", "-qwindowtitle", "A title"]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["windows", "True", "photo.png", "painting.png", "False"]


def test_the_command_line_refuses_a_third_file_and_files_with_the_demo(capsys):
    for argv in (["a.png", "b.png", "c.png"], ["--demo", "a.png"]):
        with pytest.raises(SystemExit) as stopped:
            gui_app.main(argv)
        assert stopped.value.code == 2
    assert "--demo opens the bundled samples" in capsys.readouterr().err


@pytest.fixture
def system_theme_after(qapp):
    """Whatever a test chose, the application looks as it did before, for the tests after it."""
    style, window_colour = qapp.style().name(), qapp.palette().color(QPalette.ColorRole.Window)
    yield style, window_colour
    qapp.setStyle(style)
    qapp.setPalette(QPalette())


def test_the_theme_is_chosen_in_the_view_menu_and_remembered(qtbot, window, tmp_path, system_theme_after):
    # Finding 8: no dark theme for those who want it (only the README's screenshot script had one).
    style, window_colour = system_theme_after
    app = QApplication.instance()
    assert window.theme_actions["system"].isChecked()
    window.theme_actions["dark"].trigger()  # View > Theme > Dark
    assert window.theme_actions["dark"].isChecked() and not window.theme_actions["system"].isChecked()
    assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert app.palette().color(QPalette.ColorRole.WindowText).lightness() > 180

    # The next launch (a window on the same settings) comes up dark.
    app.setStyle(style)
    app.setPalette(QPalette())
    second = make_window(qtbot, tmp_path)
    try:
        assert second.theme_actions["dark"].isChecked()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
        second.theme_actions["light"].trigger()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200
        assert app.palette().color(QPalette.ColorRole.WindowText).lightness() < 60
        second.theme_actions["system"].trigger()  # back to what the application started with
        assert app.style().name() == style
        assert app.palette().color(QPalette.ColorRole.Window) == window_colour
        assert QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat).value("view/theme") == "system"
    finally:
        assert second.controller.shutdown(10000)
