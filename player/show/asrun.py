"""The as-run log: every step of the night as it happened, one JSON object per line.

Appended, flushed and fsync'd line by line, so a crash or power cut loses at most the line being
written. A line torn by a power cut or a full disk is skipped by `read`, and the writer starts its
next line on a fresh line so no later entry is glued to the torn one. One file per show in the
user's data folder (`paths.data_dir() / "as-run"`).
Fields: index, id, kind ("film" | "card" | "intermission"), title, file, planned_start,
started_at, ended_at (ISO-8601 with offset, or null), played_ms, outcome ("played" | "failed" |
"skipped" | "stopped"), error.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from player.core import paths


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
    stem = paths.safe_file_name(playlist_path.stem if playlist_path else "", "night")
    return paths.data_dir() / "as-run" / f"{stem}-{when:%Y%m%d-%H%M%S}.jsonl"


class AsRunLog:
    """Append-only writer. `write` blocks for the fsync (~ms on a local disk).

    Never raises on construction: a folder that cannot be made or a file that cannot be opened
    (read-only folder, full disk) makes each `write` try again and raise OSError, so the show
    runs on and its controller decides how to warn.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._torn = False  # the file does not end with a newline: start the next line anew
        with contextlib.suppress(OSError):
            self._open()

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(self.path, flags, 0o666)
            try:
                self._torn = _ends_torn(self.path)
            except OSError:
                os.close(fd)
                raise
            self._fd = fd
        return self._fd

    def write(self, entry: AsRunEntry) -> None:
        """Append one line; OSError when it could not be written (nothing or part of it is on
        disk; a part is skipped by `read` and the next line starts on a line of its own)."""
        fd = self._open()
        data = json.dumps(entry.to_json(), ensure_ascii=False).encode("utf-8") + b"\n"
        if self._torn:
            data = b"\n" + data
        view = memoryview(data)
        written = 0
        try:
            while written < len(data):
                written += os.write(fd, view[written:])
            os.fsync(fd)
        except OSError:
            if written:
                self._torn = written < len(data)
            raise
        self._torn = False

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def _ends_torn(path: Path) -> bool:
    """True when the file has bytes and its last one is not a newline."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return False
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"


def read(path: str | Path) -> list[AsRunEntry]:
    """Every complete line of an as-run file (a torn last line is ignored)."""
    out: list[AsRunEntry] = []
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return out
    # Line by line in bytes: a line torn inside a multi-byte character spoils only itself.
    for line in data.split(b"\n"):
        try:
            value = json.loads(line.decode("utf-8"))
            if isinstance(value, dict):
                out.append(AsRunEntry.from_json(value))
        except (ValueError, TypeError):
            continue
    return out


def reconcile_resume(
    point: tuple[int, int], path: str | Path, journal_saved_at: str | None
) -> tuple[int, int]:
    """The resume point (step, position ms) from the journal, corrected by the as-run log.

    A step's as-run line is written just before the journal records the step as completed; a
    crash between the two leaves a journal that says "step k, part-way" while the log already
    closed step k. Then the log is the later word and the resume goes on with step k + 1, so a
    completed step is never replayed (or logged twice)."""
    index, _ = point
    entries = read(path)
    if not entries or entries[-1].index != index or not entries[-1].ended_at:
        return point
    try:
        ended = datetime.fromisoformat(entries[-1].ended_at)
        saved = datetime.fromisoformat(journal_saved_at) if journal_saved_at else None
    except (TypeError, ValueError):
        return point
    if saved is not None and ended <= saved:
        return point  # the journal was saved after that line: it knows better (e.g. Back)
    return index + 1, 0
