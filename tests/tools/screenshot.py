"""Make the README's screenshot: the window mid-run on the bundled samples.

    QT_QPA_PLATFORM=offscreen python -m tests.tools.screenshot resources/readme/window.png

It starts a real run in a window with fresh settings, waits until the picture
is well into the final scale, and grabs the window.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.screenshot")
    parser.add_argument("output", type=Path)
    parser.add_argument("--size", type=int, default=384, help="picture size for the run")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--at", type=float, default=0.8, help="grab after this fraction of the steps")
    args = parser.parse_args(argv)

    from engine.resources import sample_images
    from gui.roles import CONTENT, STYLE
    from tests.tools.scratch_window import scratch_window

    loop, window = scratch_window("brushwork-shot-")
    window.resize(1280, 860)
    window.show()

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
