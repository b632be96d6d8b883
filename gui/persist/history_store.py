"""The history strip's snapshots, kept when the window closes and shown again at the next launch.

A folder of PNGs (one per snapshot) and ``history.json``: in the strip's
order, each snapshot's file, label, step and settings (as a preset, so that
reading them back validates them like one). A snapshot already on disk is
not encoded again; the index is written last, atomically, after the
pictures it names, and files no longer named go after it.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from brushwork.engine.errors import BrushworkError
from brushwork.engine.pictures.images import load_image, save_image
from brushwork.engine.settings.presets import Preset, parse_preset, preset_to_json
from PIL import Image

from ..panels.history_strip import Snapshot
from .state_file import read_state, write_state

log = logging.getLogger(__name__)

INDEX = "history.json"


class HistoryStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._files: dict[int, tuple[Snapshot, str]] = {}  # id of a snapshot on disk -> (it, its file's name)

    def write(self, snapshots: Sequence[Snapshot]) -> None:
        """Keep ``snapshots``, in their order, in place of the history kept before."""
        self.folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for snapshot in snapshots:
            entries.append({**self._entry(snapshot), "file": self._file(snapshot)})
        write_state(self.folder / INDEX, {"snapshots": entries})
        named = {entry["file"] for entry in entries}
        for old in self.folder.glob("*.png"):
            if old.name not in named:
                old.unlink(missing_ok=True)
        self._files = {key: found for key, found in self._files.items() if found[1] in named}

    def _file(self, snapshot: Snapshot) -> str:
        """The snapshot's file, written now unless it is on disk already."""
        found = self._files.get(id(snapshot))
        if found is not None and found[0] is snapshot and (self.folder / found[1]).exists():
            return found[1]
        name = f"{uuid.uuid4().hex[:16]}.png"
        save_image(Image.fromarray(snapshot.picture), self.folder / name)
        self._files[id(snapshot)] = (snapshot, name)
        return name

    @staticmethod
    def _entry(snapshot: Snapshot) -> dict:
        return {
            "label": snapshot.label,
            "step": snapshot.step,
            "total_steps": snapshot.total_steps,
            "run": snapshot.run,
            "preset": json.loads(preset_to_json(Preset("Snapshot", snapshot.params))),
        }

    def read(self) -> list[Snapshot]:
        """The snapshots kept, in order; one that cannot be read is left out (and logged)."""
        state = read_state(self.folder / INDEX)
        entries = state.get("snapshots") if state else None
        if not isinstance(entries, list):
            return []
        snapshots = []
        for entry in entries:
            try:
                params = parse_preset(json.dumps(entry["preset"]), "a snapshot's settings").params
                picture = np.array(load_image(self.folder / str(entry["file"])))
                step, total, run = int(entry["step"]), int(entry["total_steps"]), int(entry.get("run", 0))
                snapshot = Snapshot(picture, params, step, total, str(entry["label"]), run)
            except (KeyError, TypeError, ValueError, OSError, BrushworkError) as exc:
                log.warning("a kept snapshot cannot be read: %s", exc)
                continue
            self._files[id(snapshot)] = (snapshot, str(entry["file"]))
            snapshots.append(snapshot)
        return snapshots
