"""The studio in the desktop's application menu: a .desktop file and the icon (Linux, freedesktop.org)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from brushwork.engine.files.bundled_files import resources_dir

DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Name=Brushwork
GenericName=Style transfer studio
Comment=Repaint a photo in the style of a painting, live
Exec={command} %F
Icon=brushwork
Terminal=false
Categories=Graphics;2DGraphics;RasterGraphics;
MimeType=image/png;image/jpeg;image/webp;image/tiff;
"""


def icon_path() -> Path:
    return resources_dir() / "icon.png"


def install_desktop_entry(data_home: Path | None = None) -> list[Path]:
    """Write the menu entry and the icon under ``data_home`` (default: XDG_DATA_HOME); returns what was written."""
    data_home = Path(data_home or os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    launcher = shutil.which("brushwork")
    command = f'"{launcher}"' if launcher else f'"{sys.executable}" -m gui'
    entry = data_home / "applications" / "brushwork.desktop"
    icon = data_home / "icons" / "hicolor" / "256x256" / "apps" / "brushwork.png"
    entry.parent.mkdir(parents=True, exist_ok=True)
    icon.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(DESKTOP_ENTRY.format(command=command), encoding="utf-8")
    shutil.copyfile(icon_path(), icon)
    return [entry, icon]
