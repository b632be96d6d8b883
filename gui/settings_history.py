"""Undo and redo for the settings: every change the artist makes is one step back."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from brushwork.engine.settings.style_params import StyleParams
from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

MERGE_SECONDS = 1.5  # a drag of one slider, reported ten times a second, is one step


def changed_fields(before: StyleParams, after: StyleParams) -> frozenset:
    """What changed, as the keys that decide whether two steps merge into one."""
    fields = {
        f.name
        for f in dataclasses.fields(StyleParams)
        if f.name != "regions" and getattr(before, f.name) != getattr(after, f.name)
    }
    return frozenset(fields | _region_changes(before, after))


def _region_changes(before: StyleParams, after: StyleParams) -> set:
    """Each region's own field, so that a drag of one region's strength merges and nothing else does.

    All region settings are one parameter; as one key, removing two regions,
    or renaming one and then moving another's strength, would be one step.
    A region added or removed gets a key of its own (the list after it):
    two of them never merge.
    """
    if before.regions == after.regions:
        return set()
    colours = tuple(region.rgb for region in after.regions)
    if tuple(region.rgb for region in before.regions) != colours:
        return {("regions", colours)}
    return {
        ("regions", new.rgb, f.name)
        for old, new in zip(before.regions, after.regions, strict=True)
        for f in dataclasses.fields(new)
        if getattr(old, f.name) != getattr(new, f.name)
    }


class _SettingsChange(QUndoCommand):
    def __init__(self, history: SettingsHistory, before: StyleParams, after: StyleParams, text: str) -> None:
        super().__init__(text)
        self.history, self.before, self.after = history, before, after
        self.fields = changed_fields(before, after)
        self.at = time.monotonic()
        self._done = True  # pushed after the change was made: the first redo() has nothing to do

    def id(self) -> int:
        return 1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _SettingsChange) or other.fields != self.fields:
            return False
        if other.at - self.at > MERGE_SECONDS:
            return False
        self.after, self.at = other.after, other.at
        return True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.history.apply(self.after)

    def undo(self) -> None:
        self.history.apply(self.before)


class SettingsHistory(QObject):
    """Records each new set of parameters as an undoable step on a ``QUndoStack``.

    ``apply`` is called with the parameters to go back (or forward) to; it
    must show them and hand them to the run without recording them again.
    """

    def __init__(self, initial: StyleParams, apply: Callable[[StyleParams], None], parent: QObject | None = None):
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self._apply = apply
        self.current = initial
        self._applying = False

    def record(self, params: StyleParams, text: str) -> None:
        if self._applying or params == self.current:
            return
        before, self.current = self.current, params
        self.stack.push(_SettingsChange(self, before, params, text))

    def reset(self, params: StyleParams) -> None:
        """A new starting point (a restored session): nothing to undo before it."""
        self.stack.clear()
        self.current = params

    def apply(self, params: StyleParams) -> None:
        self._applying = True
        try:
            self.current = params
            self._apply(params)
        finally:
            self._applying = False
