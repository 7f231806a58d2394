"""The one way across threads: long work off the owner's thread, and its result back onto it.

The show engine, the windows and `rehearse` each run on one thread that owns them (the Qt GUI
thread, or the plain event loop of `player.show.clock.EventLoop`). That thread's `Loop` is the
only door in from other threads: `call_soon_threadsafe(fn)` queues `fn` to run there. libvlc's
event threads post the backend's events through it; `run_task` brings results back through it.

Other threads and why they stay (each documented where it lives):
- `run_task` workers: one daemon thread per long job (probing a night, measuring loudness,
  checking media, probing a dropped file). A job may itself run tools in parallel, so jobs
  never share a bounded pool (a job waiting on its own sub-jobs in the same pool deadlocks).
- `parallel`: bounded workers for leaf work that waits on a subprocess (ffprobe, ffmpeg) and
  never on other work; on 2 cores two workers give 1.9-2.0x (measured, see PLATFORM.md).
- the show's records writer (`player.show.record`): as-run lines and journal saves in order,
  each ending in an fsync that must not hold up the show's thread.
- the libvlc backend's release and pre-roll threads (`player.media.vlc_backend`): libvlc calls
  that must not run on the owner's thread (a stop blocks 8-30 ms) nor inside libvlc's callbacks.
- the remote's server thread (`player.remote.server`): aiohttp and OSC on an asyncio loop of
  their own; they reach the engine only through its `Loop`.
- `prepare` and `verify` (`player.organiser`): bounded pools of their own, because their
  progress bars are fed while each job runs (ffmpeg's `-progress`, bytes hashed), not only as
  it ends; and `player.media.transcode`'s reader of a running ffmpeg's stderr.

Pure Python (no Qt, vlc or ffmpeg): tests step it with `player.show.clock.ManualClock`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class Loop(Protocol):
    """The thread that owns the engine or the windows, seen from other threads."""

    def call_soon_threadsafe(self, fn: Callable[[], None]) -> None:
        """Run `fn()` on the loop's thread soon, after what runs there now. Callable from any
        thread, never blocks; `fn` must not raise (an exception is logged and dropped)."""
        ...


Done = Callable[[Any, Exception | None], None]


def run_task(fn: Callable[[], T], on_done: Done, loop: Loop, *, name: str = "task") -> None:
    """Run `fn()` on a new daemon thread; then `on_done(result, error)` on `loop`'s thread
    (`error` is the exception `fn` raised, else None). Returns at once."""

    def work() -> None:
        try:
            result, error = fn(), None
        except Exception as exc:  # handed to on_done, on the owner's thread
            result, error = None, exc
        loop.call_soon_threadsafe(lambda: on_done(result, error))

    threading.Thread(target=work, name=f"screening-night-{name}", daemon=True).start()


def default_workers(count: int) -> int:
    """Workers for `count` subprocess-bound jobs: one per core, at most `count`."""
    return max(1, min(os.cpu_count() or 1, count))


def parallel(
    fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None
) -> Iterator[tuple[T, R | Exception]]:
    """`fn(item)` for every item on `workers` threads (default: one per core); yields
    (item, result or the exception it raised) in the calling thread as each is done. For leaf
    work only: `fn` must not itself wait on other `parallel` or `run_task` work."""
    items = list(items)
    if not items:
        return
    count = workers or default_workers(len(items))
    if count <= 1:
        for item in items:
            try:
                yield item, fn(item)
            except Exception as exc:
                yield item, exc
        return
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="screening-night") as pool:
        futures = {pool.submit(fn, item): item for item in items}
        for future in as_completed(futures):
            error = future.exception()
            yield futures[future], (error if error is not None else future.result())
