"""Starting the studio: ``brushwork`` and ``python -m brushwork.gui``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import sys

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="brushwork", description="Brushwork: a studio for neural style transfer")
    from brushwork.engine.cli.main import _version

    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--demo", action="store_true", help="open with the bundled samples and start painting")
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add Brushwork, with its icon, to the desktop's application menu (Linux) and exit",
    )
    args = parser.parse_args(argv)
    if args.install_desktop_entry:
        from .desktop_entry import install_desktop_entry

        for path in install_desktop_entry():
            print(f"wrote {path}")
        return 0
    problem = xcb_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1

    import qasync
    from PySide6.QtWidgets import QApplication

    from .roles import CONTENT, STYLE
    from .studio_window import StudioWindow, default_data_dir

    app = QApplication.instance() or QApplication(sys.argv[:1])
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
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    return 0


if __name__ == "__main__":
    sys.exit(main())
