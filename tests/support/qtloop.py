"""Running a Qt event loop for a while, or until something holds, in the tests' child scripts
(no sleeping: the loop itself waits, so timers and libvlc's events are handled on time)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer

POLL_MS = 5


def run_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Run the event loop until `condition()` holds (checked every 5 ms) or `seconds` pass;
    returns `condition()`."""
    loop = QEventLoop()
    end = time.monotonic() + seconds
    poll = QTimer()
    poll.setInterval(POLL_MS)
    poll.timeout.connect(lambda: (condition() or time.monotonic() >= end) and loop.quit())
    poll.start()
    if not condition():
        loop.exec()
    poll.stop()
    return bool(condition())


def run_for(seconds: float) -> None:
    """Run the event loop for `seconds`."""
    run_until(lambda: False, seconds)
