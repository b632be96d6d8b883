"""Fixtures and helpers for the window tests (pytest-qt, offscreen, qasync)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from pathlib import Path

import pytest
import qasync
from brushwork.gui.studio_window import StudioWindow
from PySide6.QtCore import QElapsedTimer, QMimeData, QPoint, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from tests.conftest import make_painting, make_photo

# Waits end as soon as their condition holds, so a long limit costs nothing on a fast
# machine and keeps a busy one (another process on both cores) from failing a test.
# 60 s was not enough: with a user's trial painting in another window beside the suite,
# the print render's four 200 px tiled steps after a resume took longer.
SLOW = 180_000


class ScriptedDialogs:
    """Answers the window's questions without showing anything."""

    def __init__(self) -> None:
        self.open_image_path: Path | None = None
        self.save_image_path: Path | None = None
        self.preset_file: Path | None = None
        self.text: str | None = None
        self.confirm_answer = True
        self.unsaved_answer = "discard"
        self.partial_answer = "enlarge"
        self.export_answer = None  # (ExportOptions, suffix) or None
        self.print_path: Path | None = None  # what the print dialog's file chooser gives
        self.mask_path: Path | None = None  # what Import mask... and Export mask... are given
        self.timelapse_file: Path | None = None  # what Export time-lapse... is given
        self.clip_file: Path | None = None  # what Render clip... is given
        self.asked: list[str] = []

    def open_image(self, title, folder, clips=False):
        self.asked.append("open_image with clips" if clips else "open_image")
        return self.open_image_path

    def clip_output_path(self, suggested):
        self.asked.append(f"clip_output_path {suggested.name}")
        return self.clip_file

    def save_image(self, suggested):
        self.asked.append("save_image")
        return self.save_image_path

    def open_mask(self, folder):
        self.asked.append("open_mask")
        return self.mask_path

    def export_mask_path(self, suggested):
        self.asked.append("export_mask_path")
        return self.mask_path

    def open_preset(self, folder):
        return self.preset_file

    def save_preset(self, suggested):
        return self.preset_file

    def open_weights(self, folder):
        return None

    def ask_text(self, title, label, default=""):
        self.asked.append("ask_text")
        return self.text

    def confirm(self, title, text):
        self.asked.append(f"confirm: {text}")
        return self.confirm_answer

    def export_options(self, painted_side, target_side, has_16_bits):
        self.asked.append(f"export: painted {painted_side}, target {target_side}, 16-bit {has_16_bits}")
        return self.export_answer

    def export_path(self, suggested):
        self.asked.append("export_path")
        return self.save_image_path

    def timelapse_path(self, suggested, suffix):
        self.asked.append(f"timelapse_path {suffix}")
        return self.timelapse_file

    def print_output_path(self, suggested):
        self.asked.append("print_output_path")
        return self.print_path

    def about(self, text):
        self.asked.append(f"about: {text}")

    def partial_picture(self, shown, target, notes=(), action="Save"):
        said = "".join(f"; {note}" for note in notes)
        self.asked.append(f"partial: {shown} -> {target}{said}" + ("" if action == "Save" else f" [{action}]"))
        return self.partial_answer

    def unsaved_picture(self):
        self.asked.append("unsaved")
        return self.unsaved_answer


@pytest.fixture
def event_loop_qt(qapp):
    """A qasync loop over pytest-qt's application, so async slots run while tests wait."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    yield loop
    executor.shutdown(wait=True)
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    # pytest-qt drove the Qt loop, so qasync still thinks it runs; say it stopped, then close it.
    loop._QEventLoop__is_running = False
    loop.close()


@pytest.fixture
def image_paths(tmp_path):
    content, style = tmp_path / "photo.png", tmp_path / "painting.png"
    make_photo(64, 48).save(content)
    make_painting(56, 56).save(style)
    return content, style


def make_window(qtbot, tmp_path, dialogs=None, restore=True) -> StudioWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = StudioWindow(
        settings=settings, data_dir=tmp_path / "data", dialogs=dialogs or ScriptedDialogs(), restore=restore
    )
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def window(qtbot, tmp_path, event_loop_qt):
    win = make_window(qtbot, tmp_path)
    yield win
    # Every test leaves no engine thread behind: shutdown must end it.
    assert win.controller.shutdown(10000), "the engine thread did not end"
    assert win.clips.job.shutdown(10000), "the clip render's thread did not end"


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop(target: QWidget, mime: QMimeData, pos: QPoint | None = None) -> QDropEvent:
    """Deliver a real drag-enter then drop, as the platform would."""
    pos = pos or target.rect().center()
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(QPointF(pos), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    event = QDropEvent(QPointF(pos), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, event)
    return event


def load_both(qtbot, window, image_paths) -> None:
    """Drop the photo and the painting on their wells, as a hand does, and wait for both."""
    content, style = image_paths
    drop(window.content_well, file_mime(content))
    drop(window.style_well, file_mime(style))
    qtbot.waitUntil(
        lambda: window.content_well.path == content and window.style_well.path == style and not window._tasks,
        timeout=SLOW,
    )


def click(qtbot, button) -> None:
    """A left mouse click in the middle of ``button``, as the artist makes it."""
    assert button.isVisible() and button.isEnabled(), f"{button.text()!r} cannot be clicked"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot, spin, text: str) -> None:
    """Click into a number box, select what it holds, type ``text`` and press Enter."""
    qtbot.mouseClick(spin.lineEdit(), Qt.MouseButton.LeftButton)
    spin.selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)


def gap_probe():
    """A 10 ms timer on the GUI thread: returns the list its gaps (ms) go into, and the started timer."""
    gaps: list[int] = []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setInterval(10)

    def tick():
        if clock.isValid():
            gaps.append(clock.restart())
        else:
            clock.start()

    probe.timeout.connect(tick)
    probe.start()
    return gaps, probe


def os_thread_names() -> list[str]:
    """The process's OS threads by name (Qt names a QThread's after its objectName, cut to 15 bytes)."""
    names = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as handle:
                names.append(handle.read().strip())
        except FileNotFoundError:  # the thread ended while we looked
            pass
    return names


def drag_slider(qtbot, slider, pixels: int) -> None:
    """Press the slider's handle with the mouse, move it ``pixels`` to the right in a few steps, let go."""
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    style = slider.style()
    handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, slider)
    start = handle.center()
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 5):
        qtbot.mouseMove(slider, pos=QPoint(start.x() + pixels * i // 4, start.y()))
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=QPoint(start.x() + pixels, start.y()))
