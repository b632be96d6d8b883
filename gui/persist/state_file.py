"""The JSON state file every autosave keeps (``autosave.AutosaveStore``), and its writes in the background."""

from __future__ import annotations

import concurrent.futures
import json
import logging
from collections.abc import Callable
from pathlib import Path

from brushwork.engine.files.atomic_write import write_atomically

log = logging.getLogger(__name__)


def write_state(path: Path, state: dict) -> None:
    """Atomically: a crash mid-write leaves the previous complete state."""
    write_atomically(path, json.dumps(state, indent=2).encode())


def read_state(path: Path) -> dict | None:
    """The state, or None if it is missing, unreadable or not a JSON object."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def write_in_background(writer: concurrent.futures.Executor, what: str, write: Callable, *args) -> None:
    """Run an autosave write on ``writer``; a failure is logged, never fatal to the work it saves."""

    def report(future: concurrent.futures.Future) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.warning("%s failed: %s", what, future.exception())

    try:
        writer.submit(write, *args).add_done_callback(report)
    except RuntimeError:  # the writer is shut down: the window is closing
        log.warning("%s skipped: the window is closing", what)
