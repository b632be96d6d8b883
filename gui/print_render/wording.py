"""How the print dialog says sizes, memory and time: in an artist's words, and never more exact than known."""

from __future__ import annotations

from brushwork.engine.print_size.print_estimate import GIB, REFERENCE_MACHINE, RenderEstimate, ScaleCost
from brushwork.engine.print_size.print_units import length_for


def duration(seconds: float) -> str:
    """``about 12 min``, ``about 1 h 50 min``: an estimate, rounded as one."""
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    hours, minutes = divmod(round(seconds / 600) * 10, 60)  # to ten minutes: more would be false precision
    return f"about {hours} h {minutes} min" if minutes else f"about {hours} h"


def at_most(seconds: float) -> str:
    """An upper bound on a time: every step run (a scale that settles early ends sooner)."""
    text = duration(seconds)
    return text if seconds < 60 else f"{text} at most"


def size_in_bytes(count: float) -> str:
    return f"{count / GIB:.1f} GiB" if count >= GIB / 2 else f"{count / 2**20:.0f} MiB"


def print_size(width: int, height: int, unit: str, dpi: float) -> str:
    """``30.0 x 20.0 cm at 300 DPI``."""
    return f"{length_for(width, unit, dpi):.1f} x {length_for(height, unit, dpi):.1f} {unit} at {dpi:g} DPI"


def how_painted(scale: ScaleCost) -> str:
    return f"tile by tile ({scale.tile} px tiles)" if scale.tiled else "whole"


def memory_text(estimate: RenderEstimate) -> tuple[str, bool]:
    """What the render needs at its peak, and True when that is more than the memory free."""
    peak, top = estimate.peak, estimate.top
    text = f"about {size_in_bytes(peak.peak_bytes)} at most, at the {peak.side} px scale, {how_painted(peak)}"
    if peak is not top:
        # A whole scale below a tiled top one can need more than the top: say both.
        text += f"; the {top.side} px scale {how_painted(top)}: {size_in_bytes(top.peak_bytes)}"
    if estimate.free_bytes is None:
        return text + ".", False
    free = size_in_bytes(estimate.free_bytes)
    if estimate.limited:
        if estimate.fits:
            return f"{text}: within the {free} limit.", False
        return f"{text}: more than the {free} limit. Raise it, or choose a smaller size or smaller tiles.", True
    if estimate.fits:
        return f"{text}. {free} free now.", False
    return (
        f"{text}: more than the {free} free now, so it may run out of memory. "
        "Close other programs, or choose a smaller size or smaller tiles.",
        True,
    )


def time_text(estimate: RenderEstimate, pace_source: str | None) -> str:
    """The time all the steps take at the pace behind the estimate (a scale that settles ends sooner)."""
    steps = f"{estimate.steps} steps from the {estimate.scales[0].side} px scale"
    if estimate.seconds is None:
        return f"{steps}; the time shows after the first steps."
    where = f"this machine's pace in {pace_source}" if pace_source else f"the pace of {REFERENCE_MACHINE}"
    # Not "at most": a pace measured on a smaller picture can be lower than at print size (a 512 px step
    # costs 10 % less per pixel than a 2048 px one on the benchmark's CPU), and the tiles' cost is a model.
    text = (
        f"{duration(estimate.seconds)} if every step runs, at {where} "
        f"({steps}; a scale that settles early ends sooner)."
    )
    if not pace_source:
        text += " Start a live run for an estimate from your own machine."
    return text
