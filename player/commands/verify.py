"""`screening-night verify FOLDER [--jobs N]`

Checks a bundle where it arrives: every file its `MANIFEST.sha256` lists is there with the same
size and SHA-256, and the playlist is valid. Files the manifest does not list are reported.
Exit codes: 0 all well (extra files allowed), 1 a file missing, changed or unreadable, or the
playlist invalid (each named), 2 could not run (no folder, no readable manifest).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2
PROGRESS_BYTES = 200_000_000  # a bar only where hashing takes more than a moment


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Exit status: 0 every file there and unchanged and the playlist valid, 1 a file "
        "missing, changed or unreadable or the playlist invalid, 2 could not run."
    )
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="the bundle's folder")
    parser.add_argument("--jobs", type=int, metavar="N", help="files hashed at once (default: 2)")


def run(args: argparse.Namespace) -> int:
    from player.organiser.manifest import VERIFY_JOBS, ManifestError, verify_bundle

    if args.jobs is not None and args.jobs < 1:
        print("screening-night verify: --jobs must be 1 or more", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        with _ByteBar() as progress:
            report = verify_bundle(args.folder, jobs=args.jobs or VERIFY_JOBS, progress=progress)
    except ManifestError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"screening-night verify: cannot verify {args.folder}", file=sys.stderr)
        return EXIT_UNUSABLE
    for result in report.failures():
        print(result, file=sys.stderr)
    for problem in report.playlist_problems:
        print(problem, file=sys.stderr)
    for result in report.extras():
        print(result)
    listed = len(report.files) - len(report.extras())
    if report.ok:
        extra = f"; {len(report.extras())} file(s) not in the manifest" if report.extras() else ""
        print(
            f"Bundle verified: {listed} file(s), {report.bytes_read / 1e6:.1f} MB, same size and "
            f"SHA-256; playlist {report.playlist.name if report.playlist else '(none named)'} "
            f"valid{extra}."
        )
        return EXIT_OK
    bad = len(report.failures())
    playlist = " and the playlist is not valid" if report.playlist_problems else ""
    print(
        f"screening-night verify: the bundle did not arrive whole: {bad} of {listed} file(s) "
        f"missing, changed or unreadable{playlist}.",
        file=sys.stderr,
    )
    return EXIT_PROBLEMS


class _ByteBar:
    """A rich bar (bytes, speed, time left) on stderr for large bundles on a terminal; yields
    the progress callback or None."""

    def __enter__(self):
        self.progress = None
        if not sys.stderr.isatty():
            return None
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.progress is None:
            if total < PROGRESS_BYTES:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self.progress = Progress(
                TextColumn("Verifying"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=total)
        self.progress.update(self.task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()
