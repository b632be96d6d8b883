"""Make the README's screenshot: the window mid-run on the bundled samples.

    QT_QPA_PLATFORM=offscreen python -m tests.tools.screenshot resources/readme/window.png

It starts a real run in a window with fresh settings, waits until the picture
is well into the final scale, and grabs the window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path


def _screen_config(width: int, height: int) -> str:
    """A config file for Qt's offscreen platform describing one screen of this size."""
    config = {"screens": [{"name": "shot", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96}]}
    path = Path(tempfile.mkdtemp(prefix="brushwork-screen-")) / "screen.json"
    path.write_text(json.dumps(config))
    return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.screenshot")
    parser.add_argument("output", type=Path)
    parser.add_argument("--size", type=int, default=384, help="picture size for the run")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--at", type=float, default=0.8, help="grab after this fraction of the steps")
    parser.add_argument("--scale", type=float, default=1.0, help="display scaling, e.g. 1.5 for 150 %%")
    parser.add_argument(
        "--screen", default="1600x1000", help="the screen's size in device pixels (offscreen platform), WxH"
    )
    parser.add_argument("--dark", action="store_true", help="the studio's dark theme (View > Theme > Dark)")
    args = parser.parse_args(argv)
    # Both must be set before Qt starts: scaling as the desktop would set it, the screen as a monitor has it.
    os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    width, height = (int(v) for v in args.screen.lower().split("x"))
    if os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen_config(width, height)}"

    from brushwork.engine.files.bundled_files import sample_images
    from brushwork.gui.roles import CONTENT, STYLE

    from tests.tools.scratch_window import scratch_window

    loop, window = scratch_window("brushwork-shot-")
    if args.dark:
        window.theme.choose("dark")  # View > Theme > Dark
    window.show()  # at its own default size, fitted to the screen as an artist would see it

    async def shoot() -> None:
        content, style = sample_images()
        await asyncio.gather(window.load_image_into(CONTENT, content), window.load_image_into(STYLE, style))
        window.set_params(window.params().replace(size=args.size, steps=args.steps))
        window.start()
        while window.last_progress is None or window.last_progress.step < args.at * args.steps:
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.3)
        window.grab().save(str(args.output))
        window.picture_saved = True  # nothing to ask about on close
        window.close()

    with loop:
        loop.run_until_complete(shoot())
    print(f"saved {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
