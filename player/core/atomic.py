"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


def atomic_write(path: str | Path, data: bytes | str, *, backup: bool = False) -> Path:
    """Write `data` to `path` through a temp file in the same folder, fsync, then rename.

    With `backup`, the previous file (if any) is kept as `NAME.bak` (e.g. `night.yaml.bak`).
    Blocks; raises OSError when the folder is not writable (the old file is then untouched).
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if not path.exists():  # mkstemp makes it owner-only: give it 0666 less the umask
            os.chmod(tmp, 0o666 & ~_umask())
        else:
            with contextlib.suppress(OSError):
                shutil.copymode(path, tmp)
            if backup:
                bak = path.with_name(path.name + ".bak")
                # A hard link keeps the old bytes without copying; fall back to a copy.
                with contextlib.suppress(FileNotFoundError):
                    bak.unlink()
                try:
                    os.link(path, bak)
                except OSError:
                    shutil.copy2(path, bak)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    return path


def _umask() -> int:
    # os.umask() can only be read by setting it, which races with other threads: ask /proc.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _fsync_dir(folder: Path) -> None:
    # The rename itself is durable only once the folder's entry is on disk.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
