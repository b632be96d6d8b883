"""The live preview: fit to the window, 1:1, wheel zoom, drag to pan, hold to compare, paint region masks."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

MIN_ZOOM, MAX_ZOOM = 0.05, 32.0
WHEEL_STEP = 1.25


class PreviewCanvas(QWidget):
    """Paints the current picture (or, while comparing, the content photo in its place).

    Over it, the region masks' overlay. While a mask tool is active, the left
    button paints instead of panning: ``tool_pressed``, ``tool_moved`` and
    ``tool_released`` carry the pointer in widget coordinates (map them with
    ``target_rect``), and the middle button pans.
    """

    zoom_changed = Signal(float)
    view_moved = Signal(float, float)  # the centre of what is in view, as shares of the picture's width and height
    tool_pressed = Signal(QPointF)
    tool_moved = Signal(QPointF)
    tool_released = Signal(QPointF)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 180)
        self.setMouseTracking(True)
        # A click on the picture takes the keys from a number box typed in before: B, [ and ] then reach the tools.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.picture: QImage | None = None
        self.compare_image: QImage | None = None
        self.comparing = False
        self.split = False  # before/after: the photo left of the divider, the picture right of it
        self.divider = 0.5  # divider position, as a fraction of the picture's width
        self._dragging_divider = False
        self.fit = True
        self.zoom = 1.0
        self._pan = QPointF(0, 0)  # picture offset from centred, in widget pixels
        self._drag_from: QPointF | None = None
        self.placeholder = "Drop a photo and a painting, then press Start"
        self.overlay: QImage | None = None  # the region masks in their colours (gui.regions.region_overlay)
        self.overlay_opacity = 0.5
        # The loupe's square (engine.run.loupe) in picture pixels, and whether it is still being worked on.
        self.loupe: QRectF | None = None
        self.loupe_live = False
        self.tool_active = False
        self.brush_radius: float | None = None  # on screen, in pixels: the outline drawn at the pointer
        self._pointer: QPointF | None = None
        self._painting = False

    def set_tool(self, active: bool, brush_radius: float | None = None) -> None:
        """A mask tool is active (the left button paints); with ``brush_radius``, its outline follows the pointer."""
        self.tool_active = active
        self.brush_radius = brush_radius if active else None
        self.setCursor(Qt.CursorShape.CrossCursor) if active else self.unsetCursor()
        self.update()

    def set_overlay(self, image: QImage | None, opacity: float | None = None) -> None:
        self.overlay = image
        if opacity is not None:
            self.overlay_opacity = opacity
        self.update()

    def update_overlay_area(self, fraction: QRectF) -> None:
        """Repaint where part of the overlay changed (``fraction``: a share of the picture's width and height)."""
        target = self.target_rect()
        if target.isEmpty():
            return
        area = QRectF(
            target.left() + fraction.left() * target.width(),
            target.top() + fraction.top() * target.height(),
            fraction.width() * target.width(),
            fraction.height() * target.height(),
        )
        self.update(area.adjusted(-2, -2, 2, 2).toAlignedRect())

    def set_picture(self, image: QImage | None) -> None:
        self.picture = image
        self.update()

    def set_loupe(self, box: QRectF | None, live: bool = False) -> None:
        """Frame the loupe's square (picture pixels), and show it at 1:1 where the canvas shows it smaller."""
        if box != self.loupe or live != self.loupe_live:
            self.loupe, self.loupe_live = box, live
            self.update()

    def view_centre(self) -> tuple[float, float]:
        """The picture point at the centre of the canvas, as shares of its width and height (clamped)."""
        target = self.target_rect()
        if target.isEmpty():
            return 0.5, 0.5
        x = (self.width() / 2 - target.left()) / target.width()
        y = (self.height() / 2 - target.top()) / target.height()
        return min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)

    def _moved_view(self) -> None:
        self.view_moved.emit(*self.view_centre())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._moved_view()

    def base_image(self) -> QImage | None:
        """What the canvas shows: the picture, or the photo until there is one."""
        return self.picture if self.picture is not None else self.compare_image

    def effective_zoom(self) -> float:
        base = self.base_image()
        if base is None or base.isNull():
            return 1.0
        if self.fit:
            return min(self.width() / base.width(), self.height() / base.height())
        return self.zoom

    def set_fit(self) -> None:
        self.fit = True
        self._pan = QPointF(0, 0)
        self.zoom_changed.emit(self.effective_zoom())
        self._moved_view()
        self.update()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` keeping the picture point under ``anchor`` where it is."""
        old = self.effective_zoom()
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        if anchor is not None and old > 0:
            centre = QPointF(self.width() / 2, self.height() / 2) + self._pan
            self._pan += (anchor - centre) * (1 - zoom / old)
        self.fit = False
        self.zoom = zoom
        self.zoom_changed.emit(zoom)
        self._moved_view()
        self.update()

    def target_rect(self) -> QRectF:
        """Where the picture is drawn, in widget coordinates."""
        base = self.base_image()
        if base is None or base.isNull():
            return QRectF()
        zoom = self.effective_zoom()
        w, h = base.width() * zoom, base.height() * zoom
        centre = QPointF(self.width() / 2, self.height() / 2) + (QPointF(0, 0) if self.fit else self._pan)
        return QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().dark())
        image = self.compare_image if self.comparing and self.compare_image is not None else self.base_image()
        if image is None or image.isNull():
            painter.setPen(self.palette().brightText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        zoom = self.effective_zoom()
        # Show real pixels when the artist zooms in far; smooth when fitting.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.fit or zoom < 2.0)
        target = self.target_rect()
        # The photo keeps its own shape: after a new photo the picture on screen may have another one.
        shape = _fitted(target, image) if image is self.compare_image else target
        painter.drawImage(shape, image, QRectF(image.rect()))
        if self.split and self.compare_image is not None and not self.comparing:
            self._paint_split(painter, target)
        if self.overlay is not None and self.overlay_opacity > 0:
            painter.setOpacity(self.overlay_opacity)
            painter.drawImage(target, self.overlay, QRectF(self.overlay.rect()))
            painter.setOpacity(1.0)
        if self.loupe is not None and not self.comparing:
            self._paint_loupe(painter, target, image)
        if self.brush_radius is not None and self._pointer is not None:
            self._paint_brush_outline(painter)

    def _paint_loupe(self, painter: QPainter, target: QRectF, image: QImage) -> None:
        """A light and a dark frame round the loupe's square; where the canvas shows the picture smaller
        than 1:1, the square also at 1:1 in the lower right corner, framed the same way (its pixels are what
        the finished picture will hold there, which a reduced view cannot show)."""
        scale = target.width() / image.width()
        box = self.loupe
        on_canvas = QRectF(
            target.left() + box.left() * scale,
            target.top() + box.top() * scale,
            box.width() * scale,
            box.height() * scale,
        )
        style = Qt.PenStyle.SolidLine if self.loupe_live else Qt.PenStyle.DashLine
        self._frame(painter, on_canvas, style)
        if scale < 0.99 and box.width() + 16 < self.width() and box.height() + 16 < self.height():
            inset = QRectF(self.width() - box.width() - 8, self.height() - box.height() - 8, box.width(), box.height())
            painter.drawImage(inset, image, box)
            self._frame(painter, inset, style)

    @staticmethod
    def _frame(painter: QPainter, rect: QRectF, style: Qt.PenStyle) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 200), 3, style))
        painter.drawRect(rect)
        painter.setPen(QPen(QColor(255, 255, 255, 240), 1, style))
        painter.drawRect(rect)

    def _paint_brush_outline(self, painter: QPainter) -> None:
        """Light and dark rings, so that the outline shows on any picture."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for colour, radius in (
            (QColor(0, 0, 0, 200), self.brush_radius + 1),
            (QColor(255, 255, 255, 230), self.brush_radius),
        ):
            painter.setPen(QPen(colour, 1))
            painter.drawEllipse(self._pointer, radius, radius)

    def _outline_rect(self) -> QRectF:
        r = (self.brush_radius or 0) + 3
        return QRectF(self._pointer.x() - r, self._pointer.y() - r, 2 * r, 2 * r)

    def _move_pointer(self, position: QPointF | None) -> None:
        """Repaint only where the brush outline was and is (a whole repaint per move would cost more)."""
        if self.brush_radius is not None and self._pointer is not None:
            self.update(self._outline_rect().toAlignedRect())
        self._pointer = position
        if self.brush_radius is not None and self._pointer is not None:
            self.update(self._outline_rect().toAlignedRect())

    def _paint_split(self, painter: QPainter, target: QRectF) -> None:
        """The photo over the left part of the picture, up to the divider."""
        before = self.compare_image
        cut = target.width() * self.divider
        source_cut = before.width() * self.divider
        painter.drawImage(
            QRectF(target.left(), target.top(), cut, target.height()),
            before,
            QRectF(0, 0, source_cut, before.height()),
        )
        x = target.left() + cut
        painter.setPen(QPen(QColor(255, 255, 255, 230), 2))
        painter.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()))
        painter.setBrush(QColor(255, 255, 255, 230))
        painter.drawEllipse(QPointF(x, target.center().y()), 7, 7)

    def divider_x(self) -> float:
        target = self.target_rect()
        return target.left() + target.width() * self.divider

    def set_divider_at(self, x: float) -> None:
        target = self.target_rect()
        if target.width() > 0:
            self.divider = min(max((x - target.left()) / target.width(), 0.0), 1.0)
            self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if notches and self.base_image() is not None:
            self.set_zoom(self.effective_zoom() * WHEEL_STEP**notches, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.tool_active and event.button() == Qt.MouseButton.MiddleButton and not self.fit:
            self._drag_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if self.tool_active:
            self._painting = True
            self.tool_pressed.emit(event.position())
        elif self.split and abs(event.position().x() - self.divider_x()) < 12:
            self._dragging_divider = True
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif not self.fit:
            self._drag_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.tool_active:
            self._move_pointer(event.position())
        if self._painting:
            self.tool_moved.emit(event.position())
        elif self._dragging_divider:
            self.set_divider_at(event.position().x())
        elif self._drag_from is not None:
            self._pan += event.position() - self._drag_from
            self._drag_from = event.position()
            self._moved_view()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._painting and event.button() == Qt.MouseButton.LeftButton:
            self._painting = False
            self.tool_released.emit(event.position())
        self._drag_from = None
        self._dragging_divider = False
        self.setCursor(Qt.CursorShape.CrossCursor) if self.tool_active else self.unsetCursor()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.tool_active:  # a quick second dab, not a change of zoom
            self.mousePressEvent(event)
            return
        self.set_zoom(1.0, event.position()) if self.fit else self.set_fit()

    def leaveEvent(self, event) -> None:
        self._move_pointer(None)
        super().leaveEvent(event)


def _fitted(target: QRectF, image: QImage) -> QRectF:
    """The largest rectangle of ``image``'s shape centred in ``target``."""
    if image.isNull() or target.isEmpty():
        return target
    scale = min(target.width() / image.width(), target.height() / image.height())
    width, height = image.width() * scale, image.height() * scale
    return QRectF(target.center().x() - width / 2, target.center().y() - height / 2, width, height)


class PreviewPane(QWidget):
    """The canvas with its small toolbar (Fit, 1:1, zoom readout, hold to compare).

    Over the canvas's top, a note says how the picture falls short of the
    settings and inputs now (``gui.run.canvas_picture``), or which snapshot
    it is, with a button back to the run (``live_requested``).
    """

    live_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = PreviewCanvas()
        self.note = QFrame(self.canvas)  # over the picture, so that showing it never moves the picture
        self.note.setObjectName("canvas_note")
        self.note.setAutoFillBackground(True)
        self.note.setFrameShape(QFrame.Shape.StyledPanel)
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_button = QPushButton()
        note_layout = QHBoxLayout(self.note)
        note_layout.setContentsMargins(8, 4, 8, 4)
        note_layout.addWidget(self.note_label, 1)
        note_layout.addWidget(self.note_button)
        self.note.hide()
        self.note_button.clicked.connect(self.live_requested)
        self.fit_button = QToolButton(text="Fit")
        self.fit_button.setToolTip("Fit the picture to the pane (double-click the picture to toggle)")
        self.actual_button = QToolButton(text="1:1")
        self.actual_button.setToolTip("Show one picture pixel per screen pixel; the wheel zooms")
        self.compare_button = QPushButton("Hold to compare")
        self.compare_button.setToolTip("Hold (or hold C) to see the content photo in the picture's place")
        self.split_button = QToolButton(text="Before | after", checkable=True)
        self.split_button.setToolTip("Split view: the photo left of a divider you can drag, the picture right of it")
        self.zoom_label = QLabel("fit")
        # While a setting changes on a slow scale the engine works smaller
        # (engine.run.live_preview): say so, or a coarser picture looks like a fault.
        self.working_label = QLabel("")
        self.working_label.setObjectName("working_label")
        self.working_label.setStyleSheet("font-style: italic")
        self.working_label.setVisible(False)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (self.fit_button, self.actual_button, self.zoom_label):
            bar.addWidget(widget)
        bar.addSpacing(16)
        bar.addWidget(self.working_label)
        bar.addStretch(1)
        bar.addWidget(self.split_button)
        bar.addWidget(self.compare_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)
        self.fit_button.clicked.connect(self.canvas.set_fit)
        self.actual_button.clicked.connect(lambda: self.canvas.set_zoom(1.0))
        self.compare_button.pressed.connect(lambda: self.set_comparing(True))
        self.compare_button.released.connect(lambda: self.set_comparing(False))
        self.canvas.zoom_changed.connect(self._on_zoom_changed)
        self.split_button.toggled.connect(self.set_split)

    def set_picture(self, image: QImage | None) -> None:
        self.canvas.set_picture(image)
        if self.canvas.fit:
            self._on_zoom_changed(self.canvas.effective_zoom())

    def show_note(self, text: str | None, action_text: str | None = None) -> None:
        """Say ``text`` over the canvas (None hides it); with ``action_text``, a button that asks for the run."""
        if not text:
            self.note.hide()
            return
        if self.note.isVisible() and (text, action_text or "") == (self.note_label.text(), self.note_button.text()):
            return  # said again at every frame: nothing to lay out
        self.note_label.setText(text)
        self.note_button.setText(action_text or "")
        self.note_button.setVisible(bool(action_text))
        # Without a button the note lets the mouse through: a stroke or a drag may start under it.
        self.note.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, not action_text)
        self._place_note()
        self.note.show()
        self.note.raise_()

    def _place_note(self) -> None:
        width = max(self.canvas.width() - 16, 100)
        height = self.note.heightForWidth(width)  # the label wraps: as tall as its lines at this width
        self.note.setGeometry(8, 8, width, height if height > 0 else self.note.sizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.note.isVisible():
            self._place_note()

    def show_loupe(self, loupe) -> None:
        """Frame the loupe's square (an ``engine.run.progress.LoupeFrame``, or None) and say what it is."""
        if loupe is None:
            self.canvas.set_loupe(None)
            if self.working_label.property("loupe"):
                self.working_label.setProperty("loupe", False)
                self.working_label.setVisible(False)
            return
        self.canvas.set_loupe(QRectF(loupe.left, loupe.top, loupe.side, loupe.side), loupe.live)
        if loupe.live:
            self.working_label.setText(f"Loupe: {loupe.side} px at full resolution while you adjust")
        else:
            self.working_label.setText("Loupe: the whole picture is catching up")
        self.working_label.setToolTip(
            "A change of texture is painted first in this square at full resolution, centred on what you "
            "look at, so that you see it within a second. The whole picture follows once you let go; the "
            "square is never part of a saved picture."
        )
        self.working_label.setProperty("loupe", True)
        self.working_label.setVisible(True)

    def show_working_side(self, side: int | None, full: tuple[int, int] | None = None) -> None:
        """Say that the picture is worked on at ``side`` px while settings change; None hides it."""
        if side is None:
            if not self.working_label.property("loupe"):
                self.working_label.setVisible(False)
            return
        self.working_label.setProperty("loupe", False)
        self.working_label.setText(f"Preview scale {side} px while you adjust")
        size = f"{full[0]}x{full[1]}" if full else "full size"
        self.working_label.setToolTip(
            f"Steps at {size} are slow on this machine, so a change is worked out at {side} px first "
            "and shown on the picture at once. Detail at full size comes back a second after you let go."
        )
        self.working_label.setVisible(True)

    def set_compare_image(self, image: QImage | None) -> None:
        """The photo: shown while comparing, in the split view, and until the first picture."""
        self.canvas.compare_image = image
        self.canvas.update()

    def set_split(self, on: bool) -> None:
        self.split_button.setChecked(on)
        self.canvas.split = on
        self.canvas.update()

    def set_comparing(self, on: bool) -> None:
        self.canvas.comparing = on
        self.canvas.update()

    def _on_zoom_changed(self, zoom: float) -> None:
        prefix = "fit, " if self.canvas.fit else ""
        self.zoom_label.setText(f"{prefix}{zoom * 100:.0f} %")
