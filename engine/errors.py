"""Exceptions the engine raises for problems a user can fix.

Every message is written for the artist, names the file or field at fault and,
where there is one, says what to do. Front ends show ``str(error)`` as is.
"""


class BrushworkError(Exception):
    """Base class for errors caused by input, files or the environment."""


class ImageLoadError(BrushworkError):
    """An image file could not be read."""


class ImageSaveError(BrushworkError):
    """A picture could not be written."""


class WeightsError(BrushworkError):
    """Network weights are missing, corrupt or of the wrong shape."""


class ParamsError(BrushworkError):
    """A parameter is out of range or of the wrong type."""


class PresetError(BrushworkError):
    """A preset file is unreadable or invalid."""


class DeviceError(BrushworkError):
    """The requested compute device is not available."""


class OutOfMemoryError(BrushworkError):
    """A scale did not fit in memory; ``suggested_size`` is a size that should.

    ``step`` is how far the run got, so that a caller can continue from the
    picture so far at the smaller size.
    """

    def __init__(self, message: str, *, failed_size: int, suggested_size: int, step: int) -> None:
        super().__init__(message)
        self.failed_size = failed_size
        self.suggested_size = suggested_size
        self.step = step


class NumericalError(BrushworkError):
    """The loss became NaN or infinite; the best picture of the recent steps is kept."""
