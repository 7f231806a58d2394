"""The show engine in a Qt program: a clock on QTimers, the engine's reports as Qt signals.

`ShowController` is a thin adapter over `player.show.engine.ShowEngine`: it gives the engine a
`QtClock` (timers on the GUI thread, and the one door in from other threads), turns the engine's
listener calls into signals for the windows, and forwards the operator's actions. All the show's
logic and time live in the engine; nothing here decides anything.

Threads: the engine, the clock's callbacks and every signal run on the GUI thread. Other
threads (libvlc's event threads, measuring workers) come in only through
`QtClock.call_soon_threadsafe`: it appends to a queue and writes one byte to a socket pair, and a
QSocketNotifier wakes the GUI thread, which drains the queue. (Emitting a PySide6 signal straight
from libvlc's threads, together with libvlc's log callback, corrupted reference counts and
crashed Python at exit — measured with PySide6 6.12; libvlc threads must not touch Qt at all.)
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, Qt, QTimer, Signal

from player.core.model import Playlist
from player.media.backend import MediaBackend
from player.show.clock import Timer
from player.show.engine import ShowEngine
from player.show.measure import Measurer, ProbeMeasurer
from player.show.resume import ResumePoint
from player.show.status import ShowListener, ShowStatus

log = logging.getLogger(__name__)


class QtClock(QObject):
    """`player.show.clock.Clock` on the Qt event loop of the thread that makes it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._seq = itertools.count()
        self._qtimers: dict[int, QTimer] = {}
        self._inbox: deque[Callable[[], None]] = deque()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._notifier = QSocketNotifier(self._wake_r.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._closed = False

    def now_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000

    def wall(self) -> datetime:
        return datetime.now().astimezone()

    def call_later(self, ms: int, fn: Callable[[], None]) -> Timer:
        # A QTimer of its own: precise (a coarse timer may be 5 % late: 0.4 s on an 8 s card).
        ms = max(0, int(ms))
        timer = Timer(self.now_ms() + ms, next(self._seq), fn)
        qtimer = QTimer(self)
        qtimer.setSingleShot(True)
        qtimer.setTimerType(Qt.TimerType.PreciseTimer)
        self._qtimers[timer.seq] = qtimer

        def fire() -> None:
            self._qtimers.pop(timer.seq, None)
            qtimer.deleteLater()
            if not timer.cancelled and not self._closed:
                timer.cancelled = True
                _call(fn)

        qtimer.timeout.connect(fire)
        qtimer.start(ms)
        return timer

    def cancel(self, timer: Timer | None) -> None:
        if timer is None:
            return
        timer.cancelled = True
        qtimer = self._qtimers.pop(timer.seq, None)
        if qtimer is not None:
            qtimer.stop()
            qtimer.deleteLater()

    def call_soon_threadsafe(self, fn: Callable[[], None]) -> None:
        self._inbox.append(fn)
        # A full buffer means wake-ups are pending already; OSError: we are closing.
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while self._wake_r.recv(4096):
                pass
        while self._inbox and not self._closed:
            _call(self._inbox.popleft())

    def close(self) -> None:
        self._closed = True
        for qtimer in self._qtimers.values():
            qtimer.stop()
        self._qtimers.clear()
        self._notifier.setEnabled(False)
        self._wake_r.close()
        self._wake_w.close()


def _call(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception:  # one failing callback must never take the GUI thread down
        log.exception("callback %r failed on the GUI thread", fn)


_gui_clock: QtClock | None = None
_gui_clock_guard = threading.Lock()


def gui_loop() -> QtClock:
    """The GUI thread's clock, for `player.core.tasks.run_task` from the windows (made on
    first use, on the GUI thread)."""
    global _gui_clock
    with _gui_clock_guard:
        if _gui_clock is None:
            _gui_clock = QtClock()
            app = QCoreApplication.instance()
            if app is not None:
                _gui_clock.moveToThread(app.thread())
        return _gui_clock


class _Signals(ShowListener):
    def __init__(self, owner: ShowController) -> None:
        self.owner = owner

    def status_changed(self, status: ShowStatus) -> None:
        self.owner.status_changed.emit(status)

    def problem_reported(self, message: str) -> None:
        self.owner.problem_reported.emit(message)

    def step_logged(self, entry) -> None:
        self.owner.item_finished.emit(entry)

    def finished(self) -> None:
        self.owner.finished.emit()


class ShowController(QObject):
    """The engine for the windows: `engine` takes the operator's actions (each returns None, or
    the `Refusal` saying why not); the signals carry what it reports."""

    status_changed = Signal(object)  # ShowStatus: on every change and at least once a second
    problem_reported = Signal(str)  # one plain sentence: what failed, what the show did
    item_finished = Signal(object)  # AsRunEntry, as written to the as-run log
    finished = Signal()  # the night is over (the projector shows black)

    def __init__(
        self,
        playlist: Playlist,
        *,
        backend: MediaBackend | None = None,
        as_run_path: str | Path | None = None,
        journal_path: str | Path | None = None,
        resume: ResumePoint | None = None,
        measurer: Measurer | None = None,
        measure: bool = True,
        recovery_ms: int | None = None,
        lock_on_start: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if backend is None:
            from player.media.vlc_backend import VlcBackend

            backend = VlcBackend(video=True)
        self.clock = QtClock(self)
        extra = {} if recovery_ms is None else {"recovery_ms": recovery_ms}
        self.engine = ShowEngine(
            playlist,
            backend,
            self.clock,
            listener=_Signals(self),
            as_run_path=as_run_path,
            journal_path=journal_path,
            resume=resume,
            measurer=measurer or (ProbeMeasurer() if measure else None),
            lock_on_start=lock_on_start,
            **extra,
        )
        self.playlist = playlist
        self.steps = self.engine.steps
        self.backend = backend

    @property
    def status(self) -> ShowStatus:
        return self.engine.status

    @property
    def as_run_path(self) -> Path | None:
        return self.engine.as_run_path

    def set_video_windows(self, handles: tuple[int, int]) -> None:
        self.engine.set_video_windows(handles)

    def close(self) -> None:
        """Stop playback, save the journal, release the backend (call once at the end)."""
        try:
            self.engine.close()
        finally:
            self.clock.close()
