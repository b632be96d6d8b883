"""A live plot of the loss terms against time, marking where the parameters changed."""

from __future__ import annotations

import math

from brushwork.engine.run.progress import Progress
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

# Content and style in colours that read on light and dark backgrounds; total in the palette's text colour.
SERIES = (("total", None), ("content", QColor("#3b8fd6")), ("style", QColor("#e0523f")))
MAX_POINTS = 4000
# The y range covers this share of the values: one spike (a loss of 1.6e11 the
# step after beta jumped) must not flatten every other curve; it is drawn
# clipped at the edge instead.
RANGE_QUANTILES = (0.02, 0.98)


def robust_range(logs: list[float]) -> tuple[float, float]:
    """The log10 range to draw: the central quantiles of ``logs``, a little padded, never empty."""
    ordered = sorted(logs)
    low = ordered[int(RANGE_QUANTILES[0] * (len(ordered) - 1))]
    high = ordered[round(RANGE_QUANTILES[1] * (len(ordered) - 1))]
    if high - low < 1e-6:
        return low - 0.5, high + 0.5
    pad = 0.05 * (high - low)
    return low - pad, high + pad


class LossChartWidget(QWidget):
    """Painted by hand (no chart library): log-scaled losses over seconds of work.

    A dashed vertical line marks each step whose parameters differ from the
    step before; a dotted one marks the start of each new scale.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.points: list[tuple[float, dict[str, float]]] = []
        self.param_marks: list[float] = []
        self.scale_marks: list[float] = []
        self._last_params = None
        self._last_scale: int | None = None
        self.y_range: tuple[float, float] | None = None  # what the last paint drew, for tests

    def clear(self) -> None:
        self.points.clear()
        self.param_marks.clear()
        self.scale_marks.clear()
        self._last_params = None
        self._last_scale = None
        self.update()

    def add(self, p: Progress) -> None:
        if p.adjusting:
            return  # a preview's losses are counted at another size: they would jump on the chart
        if self._last_params is not None and p.params != self._last_params:
            self.param_marks.append(p.elapsed)
        if self._last_scale is not None and p.scale != self._last_scale:
            self.scale_marks.append(p.elapsed)
        self._last_params, self._last_scale = p.params, p.scale
        values = {"total": p.losses.total, "content": p.losses.content, "style": p.losses.style}
        self.points.append((p.elapsed, values))
        if len(self.points) > MAX_POINTS:  # thin out old points, keep the shape
            self.points = self.points[::2]
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        label_width = self.fontMetrics().horizontalAdvance("8.88e+88") + 8
        plot = QRectF(self.rect()).adjusted(label_width, 8, -8, -20)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawRect(plot)
        if len(self.points) < 2:
            painter.setPen(text)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "Loss curves appear when a run starts")
            return
        t_end = max(self.points[-1][0], 1e-6)
        values = [math.log10(v) for _, vals in self.points for v in vals.values() if v > 0 and math.isfinite(v)]
        if not values:
            return
        low, high = robust_range(values)
        self.y_range = (10**low, 10**high)

        def to_point(t: float, v: float) -> QPointF:
            x = plot.left() + plot.width() * t / t_end
            fraction = min(max((math.log10(v) - low) / (high - low), 0.0), 1.0)  # spikes clipped at the edge
            return QPointF(x, plot.bottom() - plot.height() * fraction)

        for marks, style in ((self.scale_marks, Qt.PenStyle.DotLine), (self.param_marks, Qt.PenStyle.DashLine)):
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1, style))
            for t in marks:
                x = plot.left() + plot.width() * t / t_end
                painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for name, colour in SERIES:
            path = QPainterPath()
            started = False
            for t, vals in self.points:
                v = vals[name]
                if not (v > 0 and math.isfinite(v)):
                    started = False
                    continue
                point = to_point(t, v)
                path.lineTo(point) if started else path.moveTo(point)
                started = True
            painter.setPen(QPen(colour or text, 1.5))
            painter.drawPath(path)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(text)
        # Axis labels left of the plot, the legend inside its top right: they never overlap.
        metrics = self.fontMetrics()
        painter.drawText(QPointF(4, plot.top() + metrics.ascent()), f"{10**high:.3g}")
        painter.drawText(QPointF(4, plot.bottom()), f"{10**low:.3g}")
        painter.drawText(QPointF(plot.left(), self.height() - 4), "log scale")
        seconds = f"{t_end:.0f} s"
        painter.drawText(QPointF(plot.right() - metrics.horizontalAdvance(seconds), self.height() - 4), seconds)
        x = plot.right() - 6 - sum(metrics.horizontalAdvance(name) + 12 for name, _ in SERIES)
        for name, colour in SERIES:
            painter.setPen(colour or text)
            painter.drawText(QPointF(x, plot.top() + metrics.ascent() + 2), name)
            x += metrics.horizontalAdvance(name) + 12
