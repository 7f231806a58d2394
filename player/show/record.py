"""The show's records on disk: as-run lines and journal saves, written off the show's thread.

Each write ends in an fsync, which a busy or slow disk (a USB stick, a full one) can hold for
hundreds of milliseconds; on the show's thread that delayed the next picture and every timer
(measured: 50-280 ms added to steps under disk load). So the engine hands each record to one
writer thread, in order — an as-run line always reaches the disk before the journal save that
says its step is completed, which is what `player.show.resume` relies on after a crash. Journal
saves waiting behind each other are folded into the latest. Failures come back to the show's
thread through its `Loop`, as `(what, OSError)`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from player.core.tasks import Loop
from player.show import journal
from player.show.asrun import AsRunEntry, AsRunLog

log = logging.getLogger(__name__)

Failed = Callable[[str, OSError], None]  # ("as-run" | "journal", the error)


class Recorder:
    def __init__(self, journal_path: Path, loop: Loop, on_failure: Failed) -> None:
        self.journal_path = journal_path
        self._loop = loop
        self._on_failure = on_failure
        self._asrun: AsRunLog | None = None
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pending_state: journal.JournalState | None = None
        self._lock = threading.Lock()

    def open_as_run(self, path: Path) -> None:
        self._put(("open", path))

    def write(self, entry: AsRunEntry) -> None:
        self._put(("entry", entry))

    def save_journal(self, state: journal.JournalState) -> None:
        with self._lock:
            queued = self._pending_state is not None
            self._pending_state = state
        if not queued:
            self._put(("journal", None))

    def flush(self) -> None:
        """Block until everything handed over so far is written."""
        if self._thread is not None:
            done = threading.Event()
            self._jobs.put(("flush", done))
            done.wait(timeout=30)

    def close(self) -> None:
        """Write what is queued, then stop the writer (blocks for the last fsyncs)."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=30)
            self._thread = None
        if self._asrun is not None:
            self._asrun.close()

    def _put(self, job) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="screening-night-records", daemon=True
            )
            self._thread.start()
        self._jobs.put(job)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            kind, value = job
            try:
                if kind == "flush":
                    value.set()
                elif kind == "open":
                    self._asrun = AsRunLog(value)
                elif kind == "entry":
                    if self._asrun is not None:
                        self._asrun.write(value)
                else:
                    with self._lock:
                        state, self._pending_state = self._pending_state, None
                    if state is not None:
                        journal.save(self.journal_path, state)
            except OSError as exc:
                what = "journal" if kind == "journal" else "as-run"
                self._loop.call_soon_threadsafe(lambda w=what, e=exc: self._on_failure(w, e))
            except Exception:  # a bug here must not stop the records that follow
                log.exception("writing the show's %s failed", kind)
