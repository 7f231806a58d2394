"""The show journal: where the night is, saved atomically at least once a second.

After a crash or a power cut, `--resume` reads it and the show continues at the same step within
a second or two of where it stopped; a step already completed is not replayed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from player import paths
from player.atomic import atomic_write

JOURNAL_VERSION = 1


@dataclass(frozen=True)
class JournalState:
    """`step_index` is the step on screen (or armed); `completed` says it has ended, so a
    resume starts at the next one; `position_ms` is how far into it the show was."""

    playlist: str
    step_index: int
    position_ms: int = 0
    completed: bool = False
    finished: bool = False
    as_run: str | None = None
    saved_at: str | None = None
    version: int = JOURNAL_VERSION

    def resume_point(self) -> tuple[int, int] | None:
        """(step_index, position_ms) to continue from, or None when the night was over."""
        if self.finished:
            return None
        if self.completed:
            return self.step_index + 1, 0
        return self.step_index, max(0, self.position_ms)


def default_path(playlist_path: Path | None) -> Path:
    """One journal per playlist file: `<data>/journal/<stem>-<hash of the path>.json`."""
    key = str(playlist_path.absolute()) if playlist_path else "<memory>"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
    stem = re.sub(r"[^\w.-]+", "_", playlist_path.stem if playlist_path else "night")[:60]
    return paths.data_dir() / "journal" / f"{stem}-{digest}.json"


def save(path: str | Path, state: JournalState) -> None:
    """Atomic (temp + fsync + rename); blocks for the fsync."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(asdict(state), ensure_ascii=False, indent=1))


def load(path: str | Path) -> JournalState | None:
    """The saved state, or None when there is none or it cannot be read."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("version") != JOURNAL_VERSION:
            return None
        return JournalState(**{k: data[k] for k in JournalState.__dataclass_fields__ if k in data})
    except (OSError, ValueError, TypeError, KeyError):
        return None
