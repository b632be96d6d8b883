"""The studio window (Qt). Every module here runs Qt methods; PySide6 6.12 on Python 3.11 and older drops a
reference to None with each that returns nothing, so None is kept alive first (``none_refcount``)."""

from .none_refcount import keep_none_alive

keep_none_alive()
