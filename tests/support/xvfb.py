"""A private Xvfb server, for the tests and benchmarks that need a real X display.

Xvfb picks a free display number itself (`-displayfd`), so runs never collide on a fixed one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator


class XvfbError(RuntimeError):
    """Xvfb is missing or did not start."""


@contextlib.contextmanager
def xvfb(*server_args: str) -> Iterator[str]:
    """Run Xvfb with `server_args` (e.g. "-screen", "0", "1280x720x24"); yields ':N'."""
    if not shutil.which("Xvfb"):
        raise XvfbError("Xvfb is not installed (the set-up installs the Debian package xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", *server_args],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number, deadline = b"", time.monotonic() + 10
    while time.monotonic() < deadline and not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        if not chunk:
            break
        number += chunk
    os.close(read)
    if not number.strip():
        proc.kill()
        proc.wait(timeout=10)
        raise XvfbError("Xvfb did not start")
    try:
        yield f":{number.decode().strip()}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
