"""Starting the studio: ``brushwork`` and ``python -m brushwork.gui``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import sys
from pathlib import Path

from brushwork.engine.files.bundled_files import sample_images

from .platform_check import xcb_problem


def _configure_logging(data_dir) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        data_dir / "brushwork.log", maxBytes=2_000_000, backupCount=2, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler, logging.StreamHandler()])


def report_slot_errors_to(window) -> None:
    """An exception escaping a Qt slot goes to the artist and the log, not only to stderr.

    PySide prints such exceptions and carries on; the first release shipped a
    Start button whose every click failed that way, unseen.
    """

    def hook(kind, exc, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        window.report_unexpected(exc.with_traceback(tb))

    sys.excepthook = hook


def _parser() -> argparse.ArgumentParser:
    from brushwork.engine.cli.main import _version

    parser = argparse.ArgumentParser(
        prog="brushwork",
        description="Brushwork: a studio for neural style transfer",
        epilog="Qt's own options (-style fusion, -platform xcb, -reverse, ...) are passed to Qt.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("content", nargs="?", type=Path, help="a photo (or clip) to open in Content")
    parser.add_argument("style", nargs="?", type=Path, help="a painting to open in Style")
    parser.add_argument("--demo", action="store_true", help="open with the bundled samples and start painting")
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add Brushwork, with its icon, to the desktop's application menu (Linux) and exit",
    )
    return parser


def qt_application(argv: list[str]):
    """The QApplication, and what is left of ``argv`` once Qt has taken its own options.

    Qt knows its options (``-style fusion``, ``-platform offscreen``,
    ``-qwindowgeometry 800x600``, ...) and takes them out of the list it is
    given; Brushwork parses the rest. An application made before (a test's)
    has taken its options already.
    """
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        return app, list(argv)
    app = QApplication(["brushwork", *argv])
    return app, app.arguments()[1:]


async def open_files(window, paths: list[Path]) -> None:
    """Files named on the command line, into Content then Style, as a drop of both would put them.

    The restored session's images are loading already: these wait for them, so that they
    replace them and are never replaced by them.
    """
    from .roles import CONTENT, STYLE

    restoring = [task for task in window._tasks if task is not asyncio.current_task()]
    await asyncio.gather(*restoring, return_exceptions=True)
    for role, path in zip((CONTENT, STYLE), paths, strict=False):
        task = window.load_image_into(role, path)
        if task is not None:
            await task


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    # --help, --version and --install-desktop-entry need no window (nor Qt's libraries): a
    # first look, which leaves Qt's options alone, answers them before Qt starts.
    early, _unknown = parser.parse_known_args(argv)
    if early.install_desktop_entry:
        from .desktop_entry import install_desktop_entry

        for path in install_desktop_entry():
            print(f"wrote {path}")
        return 0
    problem = xcb_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1

    import qasync

    from .roles import CONTENT, STYLE
    from .studio_window import StudioWindow, default_data_dir

    app, own = qt_application(argv)
    args = parser.parse_args(own)
    files = [path for path in (args.content, args.style) if path is not None]
    if args.demo and files:
        parser.error("--demo opens the bundled samples: give it no files")
    app.setApplicationName("Brushwork")
    app.setOrganizationName("Brushwork")
    app.setDesktopFileName("brushwork")
    from PySide6.QtGui import QIcon

    from .desktop_entry import icon_path

    app.setWindowIcon(QIcon(str(icon_path())))
    _configure_logging(default_data_dir())
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = StudioWindow(restore=not args.demo)
    report_slot_errors_to(window)
    window.show()

    async def demo() -> None:
        content, style = sample_images()
        await asyncio.gather(window.load_image_into(CONTENT, content), window.load_image_into(STYLE, style))
        window.start()

    if args.demo:
        window.spawn(demo())
    elif files:
        window.spawn(open_files(window, files))
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    return 0


if __name__ == "__main__":
    sys.exit(main())
