"""``brushwork-render``: the engine without a window.

One parser, built from the option groups of the feature modules; each group checks its own options against the
rest, then the first mode that claims the arguments runs them, else the plain run paints the photos here.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Protocol

from ..errors import BrushworkError
from . import clip_options, cluster_options, dry_run, painting_options, picture_run, region_options
from .output import report_error


class OptionGroup(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def check(self, args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
        """Refuse options that do not go together: ``parser.error`` for a usage mistake (exit 2), a
        ``BrushworkError`` for the rest (exit 1). Every check runs before any picture is read or painted."""


class Run(Protocol):
    def run(self, args: argparse.Namespace) -> int: ...


class Mode(Run, Protocol):
    def claims(self, args: argparse.Namespace) -> bool: ...


# Checked in this order; --help lists the groups the same way, after the main options, which argparse always puts
# first. The regions come first for a clearer word on a --region with no mask than the positional arguments'
# usage; painting_options reads those into args.inputs, which the checks after it go by.
GROUPS: tuple[OptionGroup, ...] = (
    region_options,
    painting_options,
    picture_run,
    clip_options,
    cluster_options,
    dry_run,
)
# The first that claims the arguments runs them: a dry run paints nothing anywhere; a clip on Ray is the
# cluster's, not the clip painter's.
MODES: tuple[Mode, ...] = (dry_run, cluster_options, clip_options)
PLAIN_RUN: Run = picture_run


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("brushwork")
    except PackageNotFoundError:
        return "unknown (not installed)"


USAGE = """brushwork-render CONTENT STYLE -o OUT.png [options]
       brushwork-render CONTENT [CONTENT ...] --style STYLE [STYLE ...] -o OUT [options]
       brushwork-render --demo -o OUT.png
       brushwork-render CLIP.mp4 -s STYLE -o OUT.mp4
       brushwork-render CONTENT --regions MASK.png --region red=STYLE --region blue=photo -o OUT.png"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brushwork-render",
        usage=USAGE,
        description="Paint CONTENT in the style of STYLE (Gatys et al. 2016 on the Oxford VGG19). "
        "With --style, every positional argument is a content image or a glob ('photos/*.jpg'), "
        "each painted with the same settings.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    for group in GROUPS:
        group.add_arguments(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        for group in GROUPS:
            group.check(args, parser)
        mode = next((mode for mode in MODES if mode.claims(args)), PLAIN_RUN)
        return mode.run(args)
    except BrushworkError as exc:
        report_error(exc)
        return 1
    except KeyboardInterrupt:
        # Each mode has kept what was painted and said where; the exit status says it was interrupted.
        return 130


if __name__ == "__main__":
    sys.exit(main())
