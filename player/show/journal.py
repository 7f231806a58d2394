"""The show journal: where the night is, saved atomically at least once a second.

After a crash or a power cut, `--resume` reads it and the show continues at the same step within
a second or two of where it stopped; a step already completed is not replayed.

One show per playlist at a time: `acquire_lock` takes an exclusive lock (flock) on a file next to
the journal, so a second program opening the same night is told plainly instead of overwriting
the first one's journal. The kernel drops the lock when its process dies, even by kill -9, so a
crash never leaves a stale lock behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from player.core import paths
from player.core.atomic import atomic_write

JOURNAL_VERSION = 1

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JournalState:
    """`step_index` is the step on screen (or armed); `completed` says it has ended, so a
    resume starts at the next one; `position_ms` is how far into it the show was.
    `night_day` (ISO date) is the day the night's times count from; `night_start_ms` its
    planned start in ms after that midnight, so a resumed night is timed against the same plan
    (None: not started yet)."""

    playlist: str
    step_index: int
    position_ms: int = 0
    completed: bool = False
    finished: bool = False
    as_run: str | None = None
    saved_at: str | None = None
    night_day: str | None = None
    night_start_ms: int | None = None
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
    stem = paths.safe_file_name(playlist_path.stem if playlist_path else "", "night")
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


# ---- one show per playlist -------------------------------------------------------------------


class ShowInUse(ValueError):
    """Another running program has this night open; the message says so in one sentence."""


_held: dict[str, list] = {}  # lock file -> [fd, holders]: engines in one process share it
_held_guard = threading.Lock()


@dataclass
class ShowLock:
    """Held until `release` (or the process ends). `path` None: no lock could be taken (the
    journal's folder is not writable) and the show runs without one."""

    path: Path | None

    def release(self) -> None:
        if self.path is None:
            return
        key, self.path = str(self.path), None
        with _held_guard:
            held = _held.get(key)
            if held is None:
                return
            held[1] -= 1
            if held[1] <= 0:
                del _held[key]
                os.close(held[0])  # closing the descriptor drops the flock


def lock_path(journal_path: str | Path) -> Path:
    journal_path = Path(journal_path)
    return journal_path.with_name(journal_path.name + ".lock")


def acquire_lock(journal_path: str | Path) -> ShowLock:
    """Lock the night whose journal is `journal_path`, without waiting. Raises ShowInUse when
    another process holds it. Never raises OSError: a folder where no lock file can be made
    (read-only, full) gives an empty ShowLock and a log warning — the show must still run."""
    path = lock_path(journal_path).absolute()
    key = str(path)
    with _held_guard:
        held = _held.get(key)
        if held is not None:
            held[1] += 1
            return ShowLock(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            log.warning("no show lock at %s: %s", path, exc)
            return ShowLock(None)
        try:
            _lock_fd(fd)
        except BlockingIOError:
            owner = _read_owner(fd)
            os.close(fd)
            who = f" (process {owner})" if owner else ""
            raise ShowInUse(
                f"This night is already open in another Screening Night{who}: close that one "
                "first; a second one would overwrite its journal."
            ) from None
        except OSError as exc:  # a file system without locks: run unlocked
            log.warning("no show lock at %s: %s", path, exc)
            os.close(fd)
            return ShowLock(None)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass  # the owner's pid is only for the message
        _held[key] = [fd, 1]
        return ShowLock(path)


def _lock_fd(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            raise BlockingIOError(str(exc)) from exc
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _read_owner(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
