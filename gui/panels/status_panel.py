"""The status bar: device, step, scale, losses, speed, time left and a progress bar."""

from __future__ import annotations

import math
from collections import deque

from brushwork.engine.run.progress import Progress, TimeLeft, format_duration
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar


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
        bar.messageChanged.connect(self._make_room)
        self._recent: deque[float] = deque(maxlen=20)  # elapsed at each of the last reports
        self.time_left = TimeLeft()
        self._estimated = False  # an estimate has been shown in this run

    def reset(self) -> None:
        self._recent.clear()
        self.time_left.reset()
        self._estimated = False
        self.progress.setValue(0)
        for label in (self.scale, self.losses, self.rate, self.left):
            label.setText("")
        self.step.setText("step -")

    def show_progress(self, p: Progress) -> None:
        self._recent.append(p.elapsed)
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
        self.rate.setText(f"{self.steps_per_second():.1f} steps/s")
        self.time_left.add(p)
        seconds = self.time_left.seconds()
        if seconds is not None:
            self.left.setText(f"about {format_duration(seconds)} left")
            self._estimated = True
        elif not self._estimated:
            self.left.setText("estimating time left")
        # else: the pace starts afresh after a preview (engine.progress.TimeLeft);
        # the last estimate stays up until the new one is ready.
        self.progress.setMaximum(p.total_steps)
        self.progress.setValue(p.step)

    def set_paused(self, paused: bool) -> None:
        """A paused run has no rate and no time left: say so instead of freezing the last figures."""
        if paused:
            self.rate.setText("")
            self.left.setText("Paused")

    def finish(self, completed: bool) -> None:
        self.rate.setText("")
        self.left.setText("Finished" if completed else "Stopped")

    def steps_per_second(self) -> float:
        """Over the last few reports (one per step run), so that it follows the current scale.

        Reports are counted rather than step numbers: those jump ahead when a
        scale settles early.
        """
        if len(self._recent) < 2:
            return 0.0
        span = self._recent[-1] - self._recent[0]
        return (len(self._recent) - 1) / span if span > 0 else 0.0

    def message(self, text: str, timeout_ms: int = 6000) -> None:
        self._passing = text if timeout_ms > 0 else None
        self.bar.showMessage(text, timeout_ms)

    def _make_room(self, text: str) -> None:
        fields = (self.device, self.step, self.scale, self.losses, self.rate, self.left)
        metrics = self.bar.fontMetrics()
        # Each field's text, plus the bar's gaps and the size grip, about an "M" each.
        taken = sum(metrics.horizontalAdvance(f.text()) + metrics.horizontalAdvance("M") for f in fields)
        fits = metrics.horizontalAdvance(text) + taken + self.progress.width() < self.bar.width()
        make_room = bool(text) and text == self._passing and not fits
        for label in fields:
            label.setVisible(not make_room)
