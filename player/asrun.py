"""The as-run log: every step of the night as it happened, one JSON object per line.

Appended, flushed and fsync'd line by line, so a crash or power cut loses at most the line being
written. One file per show in the user's data folder (`paths.data_dir() / "as-run"`).
Fields: index, id, kind ("film" | "card" | "intermission"), title, file, planned_start,
started_at, ended_at (ISO-8601 with offset, or null), played_ms, outcome ("played" | "failed" |
"skipped" | "stopped"), error.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from player import paths

OUTCOMES = ("played", "failed", "skipped", "stopped")


@dataclass(frozen=True)
class AsRunEntry:
    index: int
    id: str
    kind: str
    title: str
    file: str | None
    planned_start: str | None
    started_at: str | None
    ended_at: str | None
    played_ms: int
    outcome: str
    error: str | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> AsRunEntry:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})


def now_iso() -> str:
    """The local time with its UTC offset, to the millisecond."""
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def default_path(playlist_path: Path | None, when: datetime | None = None) -> Path:
    """A new file for one show: `<data>/as-run/<playlist>-<YYYYmmdd-HHMMSS>.jsonl`."""
    when = when or datetime.now()
    stem = playlist_path.stem if playlist_path else "night"
    stem = re.sub(r"[^\w.-]+", "_", stem)[:60] or "night"
    return paths.data_dir() / "as-run" / f"{stem}-{when:%Y%m%d-%H%M%S}.jsonl"


class AsRunLog:
    """Append-only writer. `write` blocks for the fsync (~ms on a local disk)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open all night)

    def write(self, entry: AsRunEntry) -> None:
        self._file.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def read(path: str | Path) -> list[AsRunEntry]:
    """Every complete line of an as-run file (a torn last line is ignored)."""
    out: list[AsRunEntry] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        try:
            out.append(AsRunEntry.from_json(json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out
