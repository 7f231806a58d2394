"""The one way to run work off the GUI thread and come back to it (after Picard's
`run_task` / `to_main`).

`run_task(fn, on_done)` runs `fn()` on a worker thread of a small pool and then calls
`on_done(result, error)` on the GUI thread (`error` is the exception or None). `to_main(fn, *args)`
calls `fn(*args)` on the GUI thread from any thread. Tests call `set_synchronous(True)` to run
tasks inline (the callback still runs on the calling thread, straight away).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

_synchronous = False
_relay: _Relay | None = None
_pool: QThreadPool | None = None


class _Relay(QObject):
    """Lives on the GUI thread; a signal emitted from any thread is delivered there (queued)."""

    call = Signal(object, object)  # (callable, args tuple)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(self._on_call)

    @Slot(object, object)
    def _on_call(self, fn: Callable[..., Any], args: tuple) -> None:
        try:
            fn(*args)
        except Exception:  # a failing callback must never take the GUI thread down
            log.exception("callback %r failed on the GUI thread", fn)


def _get_relay() -> _Relay:
    global _relay
    if _relay is None:
        _relay = _Relay()
        app = QCoreApplication.instance()
        if app is not None:
            _relay.moveToThread(app.thread())
    return _relay


def _get_pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(2)  # two cores; probing more files at once adds only latency
    return _pool


def set_synchronous(on: bool) -> None:
    """Run tasks inline on the calling thread (for tests that want no threads)."""
    global _synchronous
    _synchronous = on


def to_main(fn: Callable[..., Any], *args: Any) -> None:
    """Call `fn(*args)` on the GUI thread (queued; returns at once)."""
    if _synchronous:
        fn(*args)
        return
    _get_relay().call.emit(fn, args)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], on_done: Callable[[Any, Exception | None], None]):
        super().__init__()
        self._fn = fn
        self._on_done = on_done

    def run(self) -> None:
        try:
            result, error = self._fn(), None
        except Exception as exc:
            result, error = None, exc
        to_main(self._on_done, result, error)


def run_task(
    fn: Callable[[], Any], on_done: Callable[[Any, Exception | None], None] | None = None
) -> None:
    """Run `fn()` off the GUI thread; then `on_done(result, error)` on the GUI thread.

    Must be called from the GUI thread (or anywhere once `to_main` has been used once from it).
    """
    on_done = on_done or _log_error
    _get_relay()  # created on the calling (GUI) thread
    if _synchronous:
        try:
            result, error = fn(), None
        except Exception as exc:
            result, error = None, exc
        on_done(result, error)
        return
    _get_pool().start(_Task(fn, on_done))


def wait_for_tasks(timeout_ms: int = 30_000) -> bool:
    """Block until the pool is idle (used on quit so no worker outlives the application)."""
    if _pool is None:
        return True
    return _pool.waitForDone(timeout_ms)


def _log_error(_result: Any, error: Exception | None) -> None:
    if error is not None:
        log.error("background task failed: %s", error)
