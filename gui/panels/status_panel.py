"""The status bar: device, step, scale, losses, speed, time left and a progress bar.

The time left and the progress bar come from the run's ``RunClock``
(``engine.run.run_clock``): the bar follows the run's time, not its step
counter, which jumps to a scale's end when the scale settles early.
"""

from __future__ import annotations

import math

from brushwork.engine.run.progress import Progress
from brushwork.engine.run.run_clock import RunClock
from brushwork.engine.run.time_model import TimeModel, format_span, plan_run
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

BAR_STEPS = 1000  # the progress bar's resolution: a tenth of a percent
# Until a run's first step ends, the weights are read and the first scale built: seconds on a first run
# (a user's trial saw "step -" and an empty bar for 12 s, then 32 %). The bar is busy, with no share claimed.
PREPARING = "preparing the first step"


def _loss(value: float) -> str:
    return "off" if math.isnan(value) else f"{value:.3g}"


class StatusPanel:
    """Fills a ``QStatusBar`` from the progress stream."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        self.device = QLabel("device: -")
        self.step = QLabel("step -")
        self.scale = QLabel("")
        self.losses = QLabel("")
        self.rate = QLabel("")
        self.left = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setRange(0, BAR_STEPS)
        self.progress.setTextVisible(True)
        for widget in (self.device, self.step, self.scale, self.losses, self.rate, self.left):
            # Long texts may be cut in a narrow window; they must never make the window wider than the screen.
            widget.setMinimumWidth(1)
            bar.addPermanentWidget(widget)
        bar.addPermanentWidget(self.progress)
        # A message ("Saved ...", an error's first line) shares the bar with the
        # run's fields, which left it cut mid-word. While a passing one shows
        # that does not fit beside them, the fields give it their room (the
        # progress bar stays); they come back, up to date, when it goes. One
        # that stays ("Finished", "Paused") leaves them: they would be gone.
        self._passing: str | None = None  # the last message shown with a timeout
        self._about: str | None = None  # what the last message is about (message's ``about``)
        bar.messageChanged.connect(self._make_room)
        self.clock: RunClock | None = None  # the run's, from start_run

    def reset(self) -> None:
        self.clock = None
        self._measure_bar()
        self.progress.setValue(0)
        for label in (self.scale, self.losses, self.rate, self.left):
            label.setText("")
        self.step.setText("step -")

    def start_run(self, clock: RunClock) -> None:
        """A run starts, timed by ``clock``: what it will take shows until its own steps say more."""
        self.reset()
        self.clock = clock
        self.step.setText(PREPARING)
        self.progress.setRange(0, 0)  # busy: Qt animates it
        self.left.setText(f"{format_span(clock.forecast)} in all")

    def _measure_bar(self) -> None:
        """The bar measures the run again (it was busy while the first step was prepared)."""
        if self.progress.maximum() != BAR_STEPS:
            self.progress.setRange(0, BAR_STEPS)

    def show_progress(self, p: Progress) -> None:
        if self.clock is None:
            # A run started without a clock: its own steps time it.
            model = TimeModel([], p.device, p.params.style_loss)
            self.clock = RunClock(model, plan_run((p.width, p.height), p.params), cold=False)
        clock = self.clock
        clock.add(p)
        self._measure_bar()
        self.device.setText(f"device: {p.device}")
        self.step.setText(f"step {p.step}/{p.total_steps}")
        scale = f"scale {p.scale + 1}/{p.scales} ({p.width}x{p.height})"
        if p.preview_side is not None:
            scale += f", preview at {p.preview_side} px"
        self.scale.setText(scale)
        terms = p.losses
        self.losses.setText(
            f"content {_loss(terms.content)}  style {_loss(terms.style)}  tv {_loss(terms.tv)}  "
            f"total {_loss(terms.total)}"
        )
        rate = clock.steps_per_second()  # the scale's own: blank for its first step, not the last scale's
        self.rate.setText(f"{rate:.1f} steps/s" if rate is not None else "")
        if not p.finished:
            self.left.setText(f"{format_span(clock.seconds_left())} left")
        self.progress.setValue(round(BAR_STEPS * clock.fraction()))

    def set_paused(self, paused: bool) -> None:
        """A paused run has no rate and no time left: say so instead of freezing the last figures."""
        if paused:
            self.rate.setText("")
            self.left.setText("Paused")

    def finish(self, completed: bool) -> None:
        if self.progress.maximum() == 0:  # ended before its first step
            self.step.setText("step -")
        self._measure_bar()
        self.rate.setText("")
        self.left.setText("Finished" if completed else "Stopped")

    def message(self, text: str, timeout_ms: int = 6000, about: str | None = None) -> None:
        """Show ``text`` (0 ms: until another message); ``about`` names what it is true of, for ``withdraw``."""
        self._passing = text if timeout_ms > 0 else None
        self._about = about
        self.bar.showMessage(text, timeout_ms)

    def withdraw(self, about: str) -> None:
        """Take the message shown ``about`` something off the bar, if it is still there: it is no longer true.

        "Frame 1 is the photo now" stayed once a still photo replaced the clip,
        and "cut.jpg is damaged" once a good file loaded.
        """
        if self._about == about and self.bar.currentMessage():
            self.bar.clearMessage()

    def _make_room(self, text: str) -> None:
        fields = (self.device, self.step, self.scale, self.losses, self.rate, self.left)
        metrics = self.bar.fontMetrics()
        # Each field's text, plus the bar's gaps and the size grip, about an "M" each.
        taken = sum(metrics.horizontalAdvance(f.text()) + metrics.horizontalAdvance("M") for f in fields)
        fits = metrics.horizontalAdvance(text) + taken + self.progress.width() < self.bar.width()
        make_room = bool(text) and text == self._passing and not fits
        for label in fields:
            label.setVisible(not make_room)
