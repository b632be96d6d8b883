"""A live plot of the loss terms against time, marking where the parameters changed."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.progress import Progress

SERIES = (("total", QColor("#222222")), ("content", QColor("#1f77b4")), ("style", QColor("#d62728")))
MAX_POINTS = 4000


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

    def clear(self) -> None:
        self.points.clear()
        self.param_marks.clear()
        self.scale_marks.clear()
        self._last_params = None
        self._last_scale = None
        self.update()

    def add(self, p: Progress) -> None:
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
        painter.fillRect(self.rect(), QColor("white"))
        plot = QRectF(self.rect()).adjusted(44, 8, -8, -20)
        painter.setPen(QColor("#999999"))
        painter.drawRect(plot)
        if len(self.points) < 2:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "Loss curves appear when a run starts")
            return
        t_end = max(self.points[-1][0], 1e-6)
        values = [math.log10(v) for _, vals in self.points for v in vals.values() if v > 0 and math.isfinite(v)]
        if not values:
            return
        low, high = min(values), max(values)
        if high - low < 1e-6:
            low, high = low - 0.5, high + 0.5

        def to_point(t: float, v: float) -> QPointF:
            x = plot.left() + plot.width() * t / t_end
            y = plot.bottom() - plot.height() * (math.log10(v) - low) / (high - low)
            return QPointF(x, y)

        for marks, style in ((self.scale_marks, Qt.PenStyle.DotLine), (self.param_marks, Qt.PenStyle.DashLine)):
            painter.setPen(QPen(QColor("#888888"), 1, style))
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
            painter.setPen(QPen(colour, 1.5))
            painter.drawPath(path)
        painter.setPen(QColor("#444444"))
        painter.drawText(QPointF(4, plot.top() + 10), f"{10**high:.3g}")
        painter.drawText(QPointF(4, plot.bottom()), f"{10**low:.3g}")
        painter.drawText(QPointF(plot.right() - 60, self.height() - 4), f"{t_end:.0f} s")
        x = plot.left() + 6
        for name, colour in SERIES:
            painter.setPen(colour)
            painter.drawText(QPointF(x, plot.top() + 12), name)
            x += 60
