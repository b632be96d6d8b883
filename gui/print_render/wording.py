"""How the print dialog says sizes, memory and time: in an artist's words, and never more exact than known."""

from __future__ import annotations

from brushwork.engine.print_size.print_estimate import GIB, RenderEstimate, ScaleCost
from brushwork.engine.print_size.print_units import length_for
from brushwork.engine.run.time_model import Span


def duration(seconds: float) -> str:
    """``about 12 min``, ``about 1 h 50 min``: an estimate, rounded as one."""
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    hours, minutes = divmod(round(seconds / 600) * 10, 60)  # to ten minutes: more would be false precision
    return f"about {hours} h {minutes} min" if minutes else f"about {hours} h"


def _plain(seconds: float) -> str:
    return duration(seconds).removeprefix("about ")


def time_span(span: Span) -> str:
    """``about 12 min``, or ``10-25 min`` (``40 min to 1 h 20 min``) where the estimate is unsure: a range
    rather than a confident wrong number."""
    if span.sure or _plain(span.low) == _plain(span.high):
        return duration(span.mid)
    if span.high < 3600 and span.low >= 60:
        return f"{_plain(span.low).removesuffix(' min')}-{_plain(span.high)}"
    return f"{_plain(span.low)} to {_plain(span.high)}"


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


def time_text(estimate: RenderEstimate) -> str:
    """The time the render takes here (engine.run.time_model), and what that rests on."""
    steps = f"at most {estimate.steps} steps from the {estimate.scales[0].side} px scale"
    if estimate.seconds is None:
        return f"{steps}; the time shows after the first steps."
    if estimate.measured:
        return (
            f"{time_span(estimate.seconds)}, from the runs timed on this machine ({steps}; scales that settle "
            "early run fewer, as they did here)."
        )
    return (
        f"{time_span(estimate.seconds)}: a first guess, as no run has been timed on this machine yet ({steps}). "
        "The render's own steps correct it as it goes."
    )
