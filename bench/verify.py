"""Benchmark of `verify`: hashing a bundle against `sha256sum -c` on the same manifest.

    .venv/bin/python bench/verify.py [--mb 800] [--files 8] [--repeat 3]

Writes a bundle of --files files (random bytes, --mb MB in all) with its MANIFEST.sha256, then
measures, alternating runs so both see the same machine load, each as the median of --repeat:
  - warm (files in the page cache): `sha256sum -c` vs `verify_bundle` with 1 and 2 jobs;
  - cold (each file dropped from the page cache first with posix_fadvise DONTNEED, this
    bundle's files only): the same three.
Prints MB/s and the ratio to sha256sum (above 1 is faster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from player.organiser.manifest import (
    MANIFEST_NAME,
    Entry,
    manifest_text,
    sha256_of,
    verify_bundle,
)


def make_bundle(folder: Path, total_mb: int, files: int) -> int:
    media = folder / "media"
    media.mkdir(parents=True)
    size = total_mb * 1_000_000 // files
    entries = []
    for index in range(files):
        path = media / f"film {index + 1}.mp4"
        with open(path, "wb") as handle:
            for _ in range(size // (1 << 20)):
                handle.write(os.urandom(1 << 20))
            handle.write(os.urandom(size % (1 << 20)))
        entries.append(Entry(f"media/{path.name}", size, sha256_of(path)))
    (folder / MANIFEST_NAME).write_text(
        manifest_text(entries, playlist=None, made_by="bench"), encoding="utf-8"
    )
    return size * files


def drop_cache(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def gnu(folder: Path) -> None:
    subprocess.run(["sha256sum", "--quiet", "-c", MANIFEST_NAME], cwd=folder, check=True)


def ours(folder: Path, jobs: int) -> None:
    report = verify_bundle(folder, jobs=jobs)
    assert report.ok, report.failures()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=800)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-verify-", dir="/var/tmp") as tmp:
        folder = Path(tmp)
        total = make_bundle(folder, args.mb, args.files)
        print(f"bundle: {args.files} files, {total / 1e6:.0f} MB; {os.cpu_count()} cores")
        runs = {
            "sha256sum -c": lambda: gnu(folder),
            "verify, 1 job": lambda: ours(folder, 1),
            "verify, 2 jobs": lambda: ours(folder, 2),
        }
        for temperature in ("warm", "cold"):
            times: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(args.repeat):
                for name, fn in runs.items():
                    if temperature == "cold":
                        drop_cache(folder)
                    else:
                        gnu(folder)  # fills the cache (and is not timed)
                    times[name].append(timed(fn))
            base = statistics.median(times["sha256sum -c"])
            for name, values in times.items():
                median = statistics.median(values)
                print(
                    f"{temperature} {name:15}: {median:6.2f} s, {total / 1e6 / median:6.0f} MB/s"
                    f"  ratio {base / median:.2f}x sha256sum"
                )


if __name__ == "__main__":
    main()
