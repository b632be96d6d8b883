"""Before Qt starts on Linux/X11: name the system libraries its xcb plugin needs and cannot find.

Qt's own message ("Could not load the Qt platform plugin xcb") names one library
at best, and not always the missing one. We try each library the plugin links
to and name the Debian/Ubuntu package that provides it.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

# Shared library -> the package providing it (Debian and Ubuntu names; Fedora
# ships the same libraries as xcb-util-cursor, xcb-util-wm, xcb-util-keysyms, ...).
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}


def uses_xcb(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """True if Qt will start its xcb (X11) plugin."""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":")[0].split(";")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def missing_xcb_packages(load: Callable[[str], object] = ctypes.CDLL) -> list[str]:
    """The packages whose libraries cannot be loaded, in a stable order."""
    missing = []
    for library, package in XCB_LIBRARIES.items():
        try:
            load(library)
        except OSError:
            missing.append(package)
    return missing


def xcb_problem(environ: Mapping[str, str] = os.environ, load: Callable[[str], object] = ctypes.CDLL) -> str | None:
    """A message for the terminal if the window cannot open on X11, else None."""
    if not uses_xcb(environ):
        return None
    missing = missing_xcb_packages(load)
    if not missing:
        return None
    return (
        "brushwork: the window needs system libraries that are not installed: "
        f"{', '.join(missing)}.\n"
        f"On Debian or Ubuntu: sudo apt-get install {' '.join(missing)}\n"
        "(brushwork-render, the command-line painter, works without them.)"
    )
