"""The show's time: a `Clock` the engine is given, so tests can step it by hand.

`Clock` is what the engine needs of time and of its thread: a monotonic `now_ms`, the local wall
time (`wall`), timers (`call_later` / `cancel`) and the one door in from other threads
(`call_soon_threadsafe`, see `player.core.tasks`). Three implementations:
- `ManualClock` (tests): time moves only in `advance(ms)`, which runs every timer that falls
  due, in order, each at its own time; nothing else runs.
- `EventLoop` (`rehearse`): a plain single-threaded event loop, no Qt.
- the Qt clock (`player.qt.controller`), on QTimers and the GUI thread.

Every callback runs on the clock's own thread, one at a time.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(order=True)
class Timer:
    """A pending `call_later`; give it back to `Clock.cancel`."""

    due_ms: int
    seq: int
    fn: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class Clock(Protocol):
    def now_ms(self) -> int:
        """Monotonic time in ms (only differences mean anything)."""
        ...

    def wall(self) -> datetime:
        """The local wall-clock time now, with its UTC offset."""
        ...

    def call_later(self, ms: int, fn: Callable[[], None]) -> Timer:
        """Call `fn()` on the clock's thread in `ms` ms (0 or less: as soon as possible, after
        the callback running now). Never blocks."""
        ...

    def cancel(self, timer: Timer | None) -> None:
        """Stop `timer` from firing (None, fired or cancelled timers are fine)."""
        ...

    def call_soon_threadsafe(self, fn: Callable[[], None]) -> None:
        """From any thread: call `fn()` on the clock's thread soon (`player.core.tasks.Loop`)."""
        ...


def _run(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception:  # one failing callback must not stop the loop or the show
        log.exception("callback %r failed", fn)


class ManualClock:
    """A clock that moves only when told. `wall()` starts at `start` (default 2026-11-28
    19:30 local) and moves with `now_ms`."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = 0
        self._start = (start or datetime(2026, 11, 28, 19, 30)).astimezone()
        self._timers: list[Timer] = []
        self._seq = itertools.count()
        self._posted: deque[Callable[[], None]] = deque()
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self._now

    def wall(self) -> datetime:
        return self._start + timedelta(milliseconds=self._now)

    def call_later(self, ms: int, fn: Callable[[], None]) -> Timer:
        timer = Timer(self._now + max(0, int(ms)), next(self._seq), fn)
        heapq.heappush(self._timers, timer)
        return timer

    def cancel(self, timer: Timer | None) -> None:
        if timer is not None:
            timer.cancelled = True

    def call_soon_threadsafe(self, fn: Callable[[], None]) -> None:
        with self._lock:
            self._posted.append(fn)

    def advance(self, ms: int = 0) -> None:
        """Let `ms` pass: run what is posted and every timer due by then, in time order, the
        clock standing at each timer's due time while it runs."""
        end = self._now + max(0, int(ms))
        while True:
            self._run_posted()
            while self._timers and self._timers[0].cancelled:
                heapq.heappop(self._timers)
            if not self._timers or self._timers[0].due_ms > end:
                break
            timer = heapq.heappop(self._timers)
            self._now = max(self._now, timer.due_ms)
            _run(timer.fn)
        self._now = end
        self._run_posted()

    def _run_posted(self) -> None:
        while True:
            with self._lock:
                if not self._posted:
                    return
                fn = self._posted.popleft()
            _run(fn)


class EventLoop:
    """A plain event loop on the thread that calls `run()` (for `rehearse`: no Qt at all).

    Timers are kept in a heap; other threads post through `call_soon_threadsafe`, which wakes
    the loop. `stop()` (from any thread, or a signal handler) ends `run()`."""

    def __init__(self) -> None:
        self._timers: list[Timer] = []
        self._seq = itertools.count()
        self._posted: deque[Callable[[], None]] = deque()
        self._wake = threading.Condition()
        self._stopped = False

    def now_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000

    def wall(self) -> datetime:
        return datetime.now().astimezone()

    def call_later(self, ms: int, fn: Callable[[], None]) -> Timer:
        timer = Timer(self.now_ms() + max(0, int(ms)), next(self._seq), fn)
        with self._wake:
            heapq.heappush(self._timers, timer)
            self._wake.notify()
        return timer

    def cancel(self, timer: Timer | None) -> None:
        if timer is not None:
            timer.cancelled = True

    def call_soon_threadsafe(self, fn: Callable[[], None]) -> None:
        with self._wake:
            self._posted.append(fn)
            self._wake.notify()

    def stop(self) -> None:
        self._stopped = True
        with self._wake:
            self._wake.notify()

    def run(self) -> None:
        """Run callbacks until `stop()`."""
        self._stopped = False
        while not self._stopped:
            fn = self._next()
            if fn is not None:
                _run(fn)

    def _next(self) -> Callable[[], None] | None:
        with self._wake:
            if self._posted:
                return self._posted.popleft()
            while self._timers and self._timers[0].cancelled:
                heapq.heappop(self._timers)
            if self._timers and self._timers[0].due_ms <= self.now_ms():
                return heapq.heappop(self._timers).fn
            wait = (self._timers[0].due_ms - self.now_ms()) / 1000 if self._timers else 0.5
            self._wake.wait(timeout=max(0.0, min(wait, 0.5)))
        return None
