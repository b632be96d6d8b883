"""Watching a print render: the whole picture scaled down, and a crop at 1:1 of the print.

A picture of 3543 px shown in a dialog is shrunk ten times: the brushwork an
artist judges a print by is gone. The crop shows a part of it at the print's
own pixels (until the last scale, the current scale's picture enlarged to
them). Where it lies is a rectangle on the whole picture; it moves by
dragging on the whole picture, by dragging the crop itself like a sheet of
paper, or by the wheel over the crop (Shift for sideways).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

CROP_VIEW = 300  # the crop's side on screen: 300 print pixels
WHEEL_PIXELS = 60  # print pixels one notch of the wheel moves the crop


class CropFrame:
    """Where the crop lies: its centre as a share of the picture's width and height, kept inside it."""

    def __init__(self) -> None:
        self.centre = QPointF(0.5, 0.5)
        self.share = (1.0, 1.0)  # the crop's width and height as a share of the picture's

    def set_share(self, width: float, height: float) -> None:
        self.share = (min(1.0, width), min(1.0, height))
        self.move_to(self.centre)

    def move_to(self, centre: QPointF) -> None:
        half_w, half_h = self.share[0] / 2, self.share[1] / 2
        self.centre = QPointF(min(max(centre.x(), half_w), 1 - half_w), min(max(centre.y(), half_h), 1 - half_h))

    def rect(self) -> QRectF:
        """The crop as shares of the picture (0-1 on both axes)."""
        w, h = self.share
        return QRectF(self.centre.x() - w / 2, self.centre.y() - h / 2, w, h)


class WholePictureWidget(QWidget):
    """The whole picture, fitted, with the crop's rectangle; press or drag to put the crop there."""

    crop_moved = Signal(QPointF)  # the new centre, as shares of the picture

    def __init__(self, frame: CropFrame, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame = frame
        self.image: QImage | None = None
        self._scaled: QImage | None = None  # the picture at the size shown, made once per picture or resize
        self.setMinimumSize(320, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag to choose the part shown at 1:1")

    def set_image(self, image: QImage | None) -> None:
        self.image, self._scaled = image, None
        self.update()

    def picture_rect(self) -> QRectF:
        """Where the picture is drawn, fitted and centred."""
        if self.image is None or self.image.isNull():
            return QRectF()
        size = QSize(self.image.width(), self.image.height()).scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        # At the top, under its label, like the crop beside it.
        return QRectF((self.width() - size.width()) / 2, 0, size.width(), size.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._scaled = None
        super().resizeEvent(event)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        target = self.picture_rect()
        if target.isEmpty():
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "The picture shows after the first step")
            return
        if self._scaled is None or self._scaled.size() != target.size().toSize():
            # Scaling a print-size picture takes tens of milliseconds: once per picture, not per paint.
            self._scaled = self.image.scaled(
                target.size().toSize(), Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        painter.drawImage(target.topLeft(), self._scaled)
        crop = self.frame.rect()
        box = QRectF(
            target.left() + crop.left() * target.width(),
            target.top() + crop.top() * target.height(),
            crop.width() * target.width(),
            crop.height() * target.height(),
        )
        # Light over dark, so that the rectangle shows on any picture.
        painter.setPen(QPen(QColor(0, 0, 0, 200), 3))
        painter.drawRect(box)
        painter.setPen(QPen(QColor(255, 255, 255), 1))
        painter.drawRect(box)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._put_crop(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._put_crop(event.position())

    def _put_crop(self, point: QPointF) -> None:
        target = self.picture_rect()
        if target.isEmpty():
            return
        self.crop_moved.emit(
            QPointF((point.x() - target.left()) / target.width(), (point.y() - target.top()) / target.height())
        )


class CropWidget(QWidget):
    """The crop at 1:1 of the print; drag it like paper, or scroll it with the wheel."""

    crop_moved = Signal(QPointF)

    def __init__(self, frame: CropFrame, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame = frame
        self.image: QImage | None = None
        self.print_size = (1, 1)  # (width, height) of the print in pixels
        self._drag_from: QPointF | None = None
        self.setFixedSize(CROP_VIEW, CROP_VIEW)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip("Drag, or scroll (Shift: sideways), to move around the print at 1:1")

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        if self.image is None or self.image.isNull():
            return
        crop = self.frame.rect()
        source = QRectF(
            crop.left() * self.image.width(),
            crop.top() * self.image.height(),
            crop.width() * self.image.width(),
            crop.height() * self.image.height(),
        )
        # At 1:1 of the print; a print smaller than the view is centred in it.
        shown = QSize(round(crop.width() * self.print_size[0]), round(crop.height() * self.print_size[1]))
        target = QRectF(
            (self.width() - shown.width()) / 2, (self.height() - shown.height()) / 2, shown.width(), shown.height()
        )
        enlarged = source.width() < target.width() - 0.5
        # The last scale is shown pixel for pixel; a smaller one is enlarged smoothly, as the next scale starts from.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, enlarged)
        painter.drawImage(target, self.image, source)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None and event.buttons() & Qt.MouseButton.LeftButton:
            moved = event.position() - self._drag_from
            self._drag_from = event.position()
            self._move_by(-moved.x(), -moved.y())  # the paper follows the hand: the view goes the other way

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = None
            self.setCursor(Qt.CursorShape.OpenHandCursor)

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120 or event.angleDelta().x() / 120
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier or not event.angleDelta().y():
            self._move_by(-notches * WHEEL_PIXELS, 0)
        else:
            self._move_by(0, -notches * WHEEL_PIXELS)
        event.accept()

    def _move_by(self, dx: float, dy: float) -> None:
        """Move the crop by (dx, dy) print pixels."""
        centre = self.frame.centre
        self.crop_moved.emit(QPointF(centre.x() + dx / self.print_size[0], centre.y() + dy / self.print_size[1]))


class PrintPreviewPane(QWidget):
    """The whole picture and the 1:1 crop side by side, sharing one ``CropFrame``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame = CropFrame()
        self.whole = WholePictureWidget(self.frame)
        self.crop = CropWidget(self.frame)
        self.whole_label = QLabel("Whole picture")
        self.crop_label = QLabel("1:1 at print size")
        self.crop_label.setWordWrap(True)
        self.crop_label.setFixedWidth(CROP_VIEW)
        # Room for two lines always: the crop must not jump when the label's text changes.
        self.crop_label.setFixedHeight(2 * self.crop_label.fontMetrics().lineSpacing() + 4)
        self.crop_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        self.whole_label.setFixedHeight(self.crop_label.height())
        self.whole_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        left = QVBoxLayout()
        left.addWidget(self.whole_label)
        left.addWidget(self.whole, 1)
        right = QVBoxLayout()
        right.addWidget(self.crop_label)
        right.addWidget(self.crop)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 1)
        layout.addLayout(right)
        self.whole.crop_moved.connect(self.move_crop)
        self.crop.crop_moved.connect(self.move_crop)

    def set_print_size(self, width: int, height: int) -> None:
        self.crop.print_size = (max(1, width), max(1, height))
        self.frame.set_share(CROP_VIEW / max(1, width), CROP_VIEW / max(1, height))
        self.update_views()

    def set_picture(self, image: QImage | None) -> None:
        """The newest picture, at the size of the scale being painted."""
        self.whole.set_image(image)
        self.crop.set_image(image)
        if image is not None and not image.isNull():
            factor = self.crop.print_size[0] / image.width()
            if factor > 1.01:
                self.crop_label.setText(f"1:1 at print size (this scale enlarged {factor:.1f}x until the last)")
            else:
                self.crop_label.setText("1:1 at print size")

    def move_crop(self, centre: QPointF) -> None:
        self.frame.move_to(centre)
        self.update_views()

    def update_views(self) -> None:
        self.whole.update()
        self.crop.update()
