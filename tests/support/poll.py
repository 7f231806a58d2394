"""Waiting on a child process (real ffmpeg, a rehearsal): there is no event to wait on, so its
files are polled until they say what the test waits for, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(done: Callable[[], T], seconds: float, why: str, every_s: float = 0.02) -> T:
    """`done()`'s first true value; AssertionError(`why`) after `seconds` without one."""
    deadline = time.monotonic() + seconds
    while not (value := done()):
        assert time.monotonic() < deadline, why
        time.sleep(every_s)
    return value
