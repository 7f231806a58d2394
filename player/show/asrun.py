"""The as-run log: every step of the night as it happened, one JSON object per line.

Appended, flushed and fsync'd line by line, so a crash or power cut loses at most the line being
written. A line torn by a power cut or a full disk is skipped by `read`, and the writer starts its
next line on a fresh line so no later entry is glued to the torn one. One file per show in the
user's data folder (`paths.data_dir() / "as-run"`).
Fields: index, id, kind ("film" | "card" | "intermission"), title, file, planned_start,
started_at, ended_at (ISO-8601 with offset, or null), played_ms (time on screen, pauses left
out), paused_ms, outcome ("played" | "failed" | "skipped" | "stopped"), error, and with show
control `osc`: the messages sent as the step started and ended, each {when: "start" | "end",
address, args, at (ISO-8601), error (null when sent, else why not)}; absent when none.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from player.core import paths
from player.core.model import Outcome, StepKind
from player.show.showcontrol import OscSent


@dataclass(frozen=True)
class AsRunEntry:
    index: int
    id: str
    kind: StepKind
    title: str
    file: str | None
    planned_start: str | None
    started_at: str | None
    ended_at: str | None
    played_ms: int
    outcome: Outcome
    error: str | None = None
    paused_ms: int = 0
    osc: tuple[OscSent, ...] = ()

    def to_json(self) -> dict:
        line = {
            "index": self.index,
            "id": self.id,
            "kind": self.kind.value,
            "title": self.title,
            "file": self.file,
            "planned_start": self.planned_start,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "played_ms": self.played_ms,
            "paused_ms": self.paused_ms,
            "outcome": self.outcome.value,
            "error": self.error,
        }
        if self.osc:
            line["osc"] = [sent.to_json() for sent in self.osc]
        return line

    @classmethod
    def from_json(cls, data: dict) -> AsRunEntry:
        """ValueError or TypeError when `data` is not an as-run line."""
        return cls(
            index=int(data["index"]),
            id=str(data.get("id") or ""),
            kind=StepKind(data["kind"]),
            title=str(data.get("title") or ""),
            file=data.get("file"),
            planned_start=data.get("planned_start"),
            started_at=data.get("started_at"),
            ended_at=data.get("ended_at"),
            played_ms=int(data.get("played_ms") or 0),
            outcome=Outcome(data["outcome"]),
            error=data.get("error"),
            paused_ms=int(data.get("paused_ms") or 0),
            osc=tuple(OscSent.from_json(sent) for sent in data.get("osc") or ()),
        )


def iso(when: datetime) -> str:
    """A time for the log: local, with its UTC offset, to the millisecond."""
    return when.astimezone().isoformat(timespec="milliseconds")


def now_iso() -> str:
    return iso(datetime.now())


def default_path(playlist_path: Path | None, when: datetime | None = None) -> Path:
    """A new file for one show: `<data>/as-run/<playlist>-<YYYYmmdd-HHMMSS>.jsonl`."""
    when = when or datetime.now()
    stem = paths.safe_file_name(playlist_path.stem if playlist_path else "", "night")
    return paths.data_dir() / "as-run" / f"{stem}-{when:%Y%m%d-%H%M%S}.jsonl"


class AsRunLog:
    """Append-only writer. `write` blocks for the fsync (~ms on a local disk).

    Never raises on construction: a folder that cannot be made or a file that cannot be opened
    (read-only folder, full disk) makes each `write` try again and raise OSError, so the show
    runs on and its engine decides how to warn.
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

    def write(self, entry: AsRunEntry | dict) -> None:
        """Append one line; OSError when it could not be written (nothing or part of it is on
        disk; a part is skipped by `read` and the next line starts on a line of its own)."""
        fd = self._open()
        value = entry.to_json() if isinstance(entry, AsRunEntry) else entry
        data = json.dumps(value, ensure_ascii=False).encode("utf-8") + b"\n"
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
    """Every complete step line of an as-run file (a torn line, or one that is not a step's,
    is left out)."""
    out: list[AsRunEntry] = []
    try:
        data = Path(path).read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return out
    # Line by line in bytes: a line torn inside a multi-byte character spoils only itself.
    for line in data.split(b"\n"):
        try:
            value = json.loads(line.decode("utf-8"))
            if isinstance(value, dict):
                out.append(AsRunEntry.from_json(value))
        except (ValueError, TypeError, KeyError):
            continue
    return out
